"""A third-party answerer in one file: it answers with the evidence line that shares most words with the
question, citing that line's window. Registered through the ``videokb.backends`` entry point in pyproject.toml."""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from videokb.agent.answerers import Answerer, Evidence
from videokb.index.backends import BackendConfig

# Lets the test see when videokb imported this module (only once the backend is chosen).
if os.environ.get("VIDEOKB_ECHO_IMPORTED"):
    with open(os.environ["VIDEOKB_ECHO_IMPORTED"], "a") as f:
        f.write("imported\n")


@dataclass
class EchoConfig(BackendConfig):
    min_overlap: int = 1  # fewer question words in common than this: "not found in the archive"

    def __post_init__(self) -> None:
        if self.min_overlap < 1:
            raise ValueError(f"min_overlap must be at least 1, not {self.min_overlap}")


class EchoAnswerer(Answerer):
    name = "echo"
    config_class = EchoConfig

    def __init__(self, min_overlap: int = 1) -> None:
        self.min_overlap = min_overlap

    def stream(self, evidence: Evidence) -> Iterator[str]:
        q = set(re.findall(r"\w+", evidence.question.lower()))
        best = (self.min_overlap - 1, "not found in the archive")
        for n, body in re.findall(r"\[(\d+)\][^\n]*\n((?:[^\n]+\n?)*)", evidence.windows_text):
            for line in body.splitlines():
                text = line.split(": ", 1)[-1]
                score = len(q & set(re.findall(r"\w+", text.lower())))
                if score > best[0]:
                    best = (score, f"{text} [{n}]")
        yield best[1]
