"""Write ``index/embedders/hub_probes.txt``: the query-like probes that measure how near a stored text sits to
any query at all (``videokb.index.hubness``).

Each probe is 3 to 6 words drawn at random (seed 0) from Debian's ``wamerican`` word list (lower-case words of
3 to 10 letters, a few crude ones left out): no query of any evaluation, no text of any library. Run once; the
file is committed, so every machine embeds the same probes.

    python -m bench.hub_probes
"""

from __future__ import annotations

import random
import re
from pathlib import Path

N_PROBES = 512
WORDS = Path("/usr/share/dict/american-english")
OUT = Path(__file__).resolve().parents[1] / "index" / "embedders" / "hub_probes.txt"
# Left out so that the committed file reads cleanly; they would probe no differently from any other word.
_CRUDE = re.compile(r"sex|mastur|fuck|shit|cunt|dick|cock|puss|porn|nigg|fag|bitch|whor|slut|rape|nazi|penis|"
                    r"vagin|anal|anus|orgas|tit|crap|piss|bastard|homo|lesb|gay|negro|kike|spic|chink|retard|"
                    r"bugger|turd|erotic|breast|nipple|butt|arse|semen|sperm|testic|scrot|clit|rectum|genital")


def probes(words: list[str], n: int = N_PROBES, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 6))) for _ in range(n)]


def main() -> None:
    words = sorted({w for w in WORDS.read_text(encoding="utf-8").split() if re.fullmatch(r"[a-z]{3,10}", w)
                    and not _CRUDE.search(w)})
    OUT.write_text("\n".join(probes(words)) + "\n", encoding="utf-8")
    print(f"{OUT}: {N_PROBES} probes from {len(words)} words")


if __name__ == "__main__":
    main()
