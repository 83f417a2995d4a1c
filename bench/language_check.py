"""Is the speech language right? Whisper's language ID, and the language check of ingest/speech_language.py, on
espeak-ng speech in German, Spanish, French, Italian and Mandarin (issue 11: Whisper base took 10 of 24 such videos for
Latin, Nynorsk, Thai or English; the check then made two wrong switches on the ask archives).

    python -m bench.language_check --work ~/.cache/videokb-bench/langcheck       # render, decode, score rules

For every video: Whisper's detection on its first chunk, then its first 30 s decoded in each of the
``RECORD_TRIES`` most likely languages (whatever the detection's probability, so that every rule, and every
number of languages tried up to that, can be scored from one record),
each decoding's mean log-probability per token and per character (None for a loop). Records are cached in
``--work`` (``records.json``); the rules are then scored on them, per split:

- train: the foreign videos of the three search bench libraries (bench/devset*.py) and of the three ask
  archives (the rules were shaped on these; the ask archives hold the two wrong switches seen in issue 12);
- dev: ``DEV_VIDEOS`` below (10 videos, 2 sentences each, written before any record was read).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from videokb.ingest.asr import FasterWhisperTranscriber
from videokb.ingest.audio import iter_audio_chunks
from videokb.ingest.speech_language import (LANGUAGE_CHECK_MIN_TOKENS, LANGUAGE_MARGIN, LANGUAGE_TRIES,
                                            DecodeConfidence, choose_language, language_trial, shared_encoder,
                                            worth_checking)
from videokb.sample import SceneSpec, VideoSpec, make_video

VOICE_LANGUAGE = {"de": "de", "es": "es", "fr-fr": "fr", "fr": "fr", "it": "it", "cmn": "zh", "en-us": "en",
                  "en": "en"}

# Dev: written for this bench before any record was read; never tuned on.
DEV_VIDEOS = [
    ("de", "dev_de_zoo", ["Der Zoo füttert die Pinguine jeden Tag um drei Uhr.",
                          "Die Eintrittskarte für Kinder kostet vier Euro."]),
    ("de", "dev_de_werkstatt", ["Die Werkstatt repariert alte Fahrräder und Nähmaschinen.",
                                "Am Samstag bleibt die Werkstatt geschlossen."]),
    ("es", "dev_es_playa", ["La playa tiene una bandera azul desde hace diez años.",
                            "Los socorristas trabajan hasta las ocho de la tarde."]),
    ("es", "dev_es_cocina", ["En esta cocina preparamos la paella con arroz de Valencia.",
                             "El curso de cocina dura tres horas."]),
    ("fr-fr", "dev_fr_marche", ["Le marché aux fleurs ouvre le dimanche matin.",
                                "Un bouquet de tulipes coûte douze euros."]),
    ("fr-fr", "dev_fr_musee", ["Le musée présente des tableaux du dix-neuvième siècle.",
                               "La visite guidée commence à quatorze heures."]),
    ("it", "dev_it_gelateria", ["La gelateria prepara il gelato al pistacchio ogni mattina.",
                                "Un cono piccolo costa due euro e cinquanta."]),
    ("it", "dev_it_treno", ["Il treno per Firenze parte dal binario sette.",
                            "Il viaggio dura circa un'ora e mezza."]),
    ("cmn", "dev_cmn_shudian", ["这家书店有很多旧地图。", "书店晚上十点关门。"]),
    ("cmn", "dev_cmn_gongyuan", ["公园里有一个很大的湖。", "周末可以在湖上划船。"]),
]


@dataclass(frozen=True)
class Item:
    split: str
    source: str
    spec: VideoSpec
    language: str  # the language spoken


def items() -> list[Item]:
    from bench.devset import build_specs
    from videokb.sample_archive import BANKS

    out: list[Item] = []
    for variant in ("tune", "", "fresh"):
        for spec in build_specs(variant)[0]:
            voices = {s.voice for s in spec.scenes}
            if len(voices) == 1 and VOICE_LANGUAGE.get(next(iter(voices)), "en") != "en":
                out.append(Item("train", f"search bench {variant or 'dev'}", spec,
                                VOICE_LANGUAGE[next(iter(voices))]))
    for n, bank in enumerate(BANKS):
        for file, voice, said, slide, _ in bank.foreign:
            out.append(Item("train", f"ask archive {n}", VideoSpec(
                file, file[:-4].replace("_", " ").title(), (SceneSpec(said, slide_text=slide, voice=voice),)),
                VOICE_LANGUAGE[voice]))
    for voice, stem, said in DEV_VIDEOS:
        out.append(Item("dev", "this bench", VideoSpec(f"{stem}.mp4", stem.replace("_", " ").title(), tuple(
            SceneSpec(s, slide_text=s.split()[0] if voice != "cmn" else s[:4], voice=voice) for s in said)),
            VOICE_LANGUAGE[voice]))
    return out


RECORD_TRIES = 12  # languages decoded per record; ingest tries LANGUAGE_TRIES of them


def record(asr: FasterWhisperTranscriber, model, path: Path) -> dict:
    """Detection and the first 30 s decoded in the 6 likeliest languages, as ``check_language`` would."""
    _, audio = next(iter_audio_chunks(path, asr.chunk_s))
    segs, info = asr._decode(model, audio, None)
    probs = dict(info.all_language_probs or [])
    trial = language_trial(audio, segs)
    tried = {}
    with shared_encoder(model):
        for lang in [info.language] + [x for x, _ in info.all_language_probs if x != info.language][:RECORD_TRIES - 1]:
            decoded, c = asr.trial_decoding(model, trial, lang)
            tried[lang] = {"prob": round(probs.get(lang, 0.0), 4),
                           "conf": None if c is None else [c.per_token, c.per_char],
                           "text": " ".join(s.text.strip() for s in decoded)[:120]}
    return {"detected": info.language, "detected_prob": round(float(info.language_probability), 4),
            "tokens": sum(len(s.tokens) for s in segs), "tried": tried}


def chosen(rec: dict, tries: int = LANGUAGE_TRIES, margin: float = LANGUAGE_MARGIN) -> str:
    """The language ingest keeps for this record (ingest/speech_language.py's rule), trying its ``tries`` likeliest
    languages."""
    if not worth_checking(rec["detected_prob"], rec.get("tokens", LANGUAGE_CHECK_MIN_TOKENS)):
        return rec["detected"]
    conf = {k: None if v["conf"] is None else DecodeConfidence(*v["conf"])
            for k, v in list(rec["tried"].items())[:tries]}
    return choose_language(rec["detected"], conf, margin)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "videokb-bench" / "langcheck")
    ap.add_argument("--split", default="train", choices=("train", "dev", "all"))
    ap.add_argument("--show", action="store_true", help="print each shown video's record")
    ap.add_argument("--sweep", action="store_true", help="score every number of languages tried and margin (train)")
    args = ap.parse_args()
    if args.sweep and args.split != "train":
        ap.error("--sweep scores many rules: on train only (dev is scored once, with the rule ingest uses)")
    logging.basicConfig(level=logging.WARNING)
    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.work / "records.json"
    records = json.loads(cache.read_text()) if cache.exists() else {}
    asr = FasterWhisperTranscriber()
    model = None
    shown = [it for it in items() if args.split in ("all", it.split)]
    for it in shown:
        key = f"{it.source}/{it.spec.filename}"
        if key in records:
            continue
        path = args.work / "videos" / it.source.replace(" ", "_") / it.spec.filename
        if not path.exists():
            make_video(it.spec, path.parent)
        model = model or asr.model()
        t = time.perf_counter()
        records[key] = record(asr, model, path)
        records[key]["seconds"] = round(time.perf_counter() - t, 2)
        cache.write_text(json.dumps(records, ensure_ascii=False, indent=1))
    right = {"detected": 0, "checked": 0}
    for it in shown:
        rec = records[f"{it.source}/{it.spec.filename}"]
        got = chosen(rec)
        right["detected"] += rec["detected"] == it.language
        right["checked"] += got == it.language
        mark = "ok " if got == it.language else "BAD"
        if args.show or got != it.language:
            print(f"{mark} {it.source:22} {it.spec.filename:28} {it.language}: detected {rec['detected']} "
                  f"{rec['detected_prob']:.2f} -> kept {got}")
            if args.show:
                for lang, v in rec["tried"].items():
                    c = "loop or nothing" if v["conf"] is None else f"{v['conf'][0]:.3f} / {v['conf'][1]:.3f}"
                    print(f"      {lang} p={v['prob']:.3f} {c:18} {v['text'][:70]}")
    n = len(shown)
    print(f"{args.split}: {n} foreign-language videos; language right: Whisper's detection {right['detected']}/{n}, "
          f"after the check {right['checked']}/{n}")
    if args.sweep:
        recs = [(records[f"{it.source}/{it.spec.filename}"], it.language) for it in shown]
        print("languages tried x margin: right after the check (records hold "
              f"{min(len(r['tried']) for r, _ in recs)}+ languages each)")
        margins = (0.0, 0.05, 0.11, 0.15, 0.2, 0.3)
        print("tries " + " ".join(f"{m:>5}" for m in margins))
        for tries in (2, 4, 6, 8, 10, 12):
            print(f"{tries:>5} " + " ".join(f"{sum(chosen(r, tries, m) == lang for r, lang in recs):>5}"
                                            for m in margins))


if __name__ == "__main__":
    main()
