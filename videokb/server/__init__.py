"""``videokb serve``: the web page and JSON API over an index."""

from videokb.server.app import create_app
from videokb.server.kb import KnowledgeBase
from videokb.server.security import ServeConfig, ServeConfigError

__all__ = ["KnowledgeBase", "ServeConfig", "ServeConfigError", "create_app"]
