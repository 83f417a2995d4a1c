"""File names as the index and the journal keep them: text that is always valid UTF-8 and readable, and
that maps back to the exact bytes of the name on disk.

POSIX names are bytes; Python decodes the ones that are not UTF-8 (Latin-1 names from old drives, Samba
shares) with lone surrogates, which SQLite, Arrow and a UTF-8 terminal all refuse. :func:`shown` writes each
byte that is not UTF-8, and each control character (a newline in a name would break line-oriented output),
as ``\\xNN``; every other character is kept as it is. :func:`on_disk` turns such text back into the path:
the text itself when a file of that name exists, else the name with its escapes decoded. The one name
that cannot be told apart this way (a file literally named ``caf\\xe9`` beside a Latin-1 ``café``) is
refused by discovery, for that file alone (:data:`NAME_COLLISION`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

NAME_COLLISION = "its name shows the same as another file's once written as UTF-8 ({other}); rename one of them"

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def shown(path: str | os.PathLike) -> str:
    """``path`` as valid UTF-8 text: undecodable bytes and control characters as ``\\xNN``."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return text.translate(_CONTROL) if any(ord(c) in _CONTROL for c in text) else text


def is_plain(path: str | os.PathLike) -> bool:
    """Whether ``shown(path)`` is the name itself (no escapes were needed)."""
    return shown(path) == os.fsdecode(path)


def on_disk(text: str) -> Path:
    """The path that :func:`shown` wrote as ``text``."""
    if "\\x" not in text or os.path.lexists(text):
        return Path(text)
    raw = _ESCAPE.sub(lambda m: chr(0xDC00 + int(m[1], 16)) if int(m[1], 16) >= 0x80 else chr(int(m[1], 16)),
                      text)
    return Path(os.fsdecode(os.fsencode(raw)))
