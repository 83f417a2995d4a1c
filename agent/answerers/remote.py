"""Answer with a chat model on a server: anything that speaks the OpenAI chat API (vLLM, llama.cpp server,
LM Studio, OpenAI itself...) or an Ollama server, through llama-index's LLM classes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from videokb.agent.answerers.base import Answerer, AnswererError, Evidence
from videokb.agent.answerers.prompts import CHAT_SYSTEM, chat_user_message
from videokb.index.backends import BackendConfig

logger = logging.getLogger(__name__)


def _messages(evidence: Evidence):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="system", content=CHAT_SYSTEM),
            ChatMessage(role="user", content=chat_user_message(evidence))]


def _stream(llm, evidence: Evidence, where: str) -> Iterator[str]:
    try:
        for chunk in llm.stream_chat(_messages(evidence)):
            if chunk.delta:
                yield chunk.delta
    except Exception as e:  # the client libraries raise their own types; name the server either way
        raise AnswererError(f"the chat server at {where} failed: {type(e).__name__}: {e}") from e


@dataclass
class ChatServerConfig(BackendConfig):
    """A chat server: its URL and model name (``--llm-url``, ``--llm-model``); the key only from the env."""

    url: str | None = field(default=None, metadata={"option": "llm_url"})
    model: str | None = field(default=None, metadata={"option": "llm_model"})
    max_tokens: int = 256
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_tokens < 1 or self.timeout_s <= 0:
            raise ValueError(f"max_tokens must be >= 1 and timeout_s > 0, not {self.max_tokens}, {self.timeout_s}")


class OpenAICompatibleAnswerer(Answerer):
    """``--answerer openai-compatible --llm-url http://localhost:8000/v1 --llm-model NAME``; the API key
    comes from ``$VIDEOKB_LLM_API_KEY`` (or ``$OPENAI_API_KEY``), never from a flag."""

    name = "openai-compatible"
    config_class = ChatServerConfig

    def __init__(self, url: str | None = None, model: str | None = None, max_tokens: int = 256,
                 timeout_s: float = 120.0) -> None:
        if not url or not model:
            raise AnswererError("the openai-compatible answerer needs --llm-url (e.g. http://localhost:8000/v1) "
                                "and --llm-model")
        self.url, self.model, self.max_tokens, self.timeout_s = url, model, max_tokens, timeout_s

    def _llm(self):
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as e:
            raise AnswererError("pip install 'videokb[llm]' (llama-index-llms-openai-like)") from e
        key = os.environ.get("VIDEOKB_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
        return OpenAILike(model=self.model, api_base=self.url, api_key=key, is_chat_model=True, temperature=0.0,
                          max_tokens=self.max_tokens, timeout=self.timeout_s, max_retries=1)

    def stream(self, evidence: Evidence) -> Iterator[str]:
        yield from _stream(self._llm(), evidence, self.url)


class OllamaAnswerer(Answerer):
    """``--answerer ollama --llm-model llama3.2 [--llm-url http://localhost:11434]``."""

    name = "ollama"
    config_class = ChatServerConfig

    def __init__(self, url: str | None = None, model: str | None = None, max_tokens: int = 256,
                 timeout_s: float = 120.0) -> None:
        if not model:
            raise AnswererError("the ollama answerer needs --llm-model (e.g. llama3.2)")
        self.url, self.model, self.max_tokens, self.timeout_s = url or "http://localhost:11434", model, max_tokens, timeout_s

    def stream(self, evidence: Evidence) -> Iterator[str]:
        try:
            from llama_index.llms.ollama import Ollama
        except ImportError as e:
            raise AnswererError("pip install 'videokb[llm]' (llama-index-llms-ollama)") from e
        llm = Ollama(model=self.model, base_url=self.url, temperature=0.0, request_timeout=self.timeout_s,
                     additional_kwargs={"num_predict": self.max_tokens})
        yield from _stream(llm, evidence, self.url)
