"""Question -> cited answer: plan searches, pack evidence windows, answer, check every citation."""

from videokb.agent.answerers import Answerer, AnswererError, Evidence, answerer_names, create_answerer
from videokb.agent.ask import AskOptions, AskResult, ask, describe_citation

__all__ = [
    "Answerer",
    "AnswererError",
    "AskOptions",
    "AskResult",
    "Evidence",
    "answerer_names",
    "ask",
    "create_answerer",
    "describe_citation",
]
