"""Answering models behind one interface: the offline Gemma default, chat servers, and a VLM."""

from videokb.agent.answerers.base import Answerer, AnswererError, Evidence, answerer_names, create_answerer, register

__all__ = ["Answerer", "AnswererError", "Evidence", "answerer_names", "create_answerer", "register"]
