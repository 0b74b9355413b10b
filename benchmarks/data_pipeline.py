"""Data-pipeline throughput on this machine: documents/s for HTML extraction, quality filtering and MinHash dedup.

Documents are built offline: plays from the Shakespeare asset cut into ~2 KB pieces and wrapped in HTML with
navigation, script and style boilerplate (extraction and quality), and `planted_corpus` documents of 200 words with
planted near-duplicates (MinHash). Rows:

* extraction: `extract_text_from_html_bytes` docs/s; reference: a PyPI extractor if one is installed (trafilatura,
  resiliparse or inscriptis, in that order), ratio = ours / reference (higher is faster);
* quality: `gopher_quality_filter` docs/s (no reference);
* MinHash: `near_duplicate_clusters` (100 hashes, 20 bands, 5-grams, threshold 0.8) docs/s against datasketch's
  MinHash + MinHashLSH on the same shingles when installed;
* scaling: MinHash dedup docs/s at 4N documents against N documents; near-linear scaling keeps the ratio near 1
  (target >= 0.7).

Timings are the best of `repeats` runs (3; the two MinHash sizes alternate). Ours confirms every LSH candidate with
the true Jaccard and clusters; datasketch's row only finds candidates, so it does less work. `--quick` uses small
corpora and one run.
Prints progress to stderr and, as its last stdout line, the JSON row list that benchmarks/run.py expects.
usage: python benchmarks/data_pipeline.py [--quick]
"""

import argparse
import importlib
import importlib.util
import json
import sys
import time

from llmcourse import data
from llmcourse.assets import asset


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def best_time(fn, repeats):
    "Smallest wall time of `repeats` calls of fn (seconds), and its last result."
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def html_pages(n):
    "n synthetic HTML pages (bytes): ~2 KB pieces of Shakespeare inside navigation, script and style boilerplate."
    text = "".join(f.read_text(encoding="utf-8") for f in sorted(asset("shakespeare").glob("*_gut.txt")))
    pages, pos = [], 0
    for i in range(n):
        piece = text[pos:pos + 2000]
        pos = (pos + 2000) % (len(text) - 2000)
        paras = "".join(f"<p>{p.strip()}</p>\n" for p in piece.split("\n\n") if p.strip())
        pages.append((f"<html><head><meta charset='utf-8'><title>Page {i}</title><style>p {{margin: 0}}</style>"
                      f"<script>var n = {i};</script></head><body><nav><a href='/'>Home</a> | <a href='/a'>About</a>"
                      f"</nav><main><h1>Scene {i}</h1>\n{paras}</main><footer>© Example</footer></body></html>")
                     .encode())
    return pages


def reference_extractor():
    "(name, function bytes -> str) of the first installed PyPI extractor, or (None, None)."
    if importlib.util.find_spec("trafilatura"):
        trafilatura = importlib.import_module("trafilatura")
        return "trafilatura", lambda b: trafilatura.extract(b.decode("utf-8")) or ""
    if importlib.util.find_spec("resiliparse"):
        extract = importlib.import_module("resiliparse.extract.html2text")
        return "resiliparse", lambda b: extract.extract_plain_text(b.decode("utf-8"), main_content=True)
    if importlib.util.find_spec("inscriptis"):
        inscriptis = importlib.import_module("inscriptis")
        return "inscriptis", lambda b: inscriptis.get_text(b.decode("utf-8"))
    return None, None


def datasketch_dedup(shingles, num_perm=100, threshold=0.8):
    "Near-duplicate candidate pairs by datasketch MinHash + MinHashLSH (b = 20, r = 5) on the given shingle sets."
    ds = importlib.import_module("datasketch")
    lsh = ds.MinHashLSH(num_perm=num_perm, params=(20, 5))
    pairs = set()
    for i, s in enumerate(shingles):
        m = ds.MinHash(num_perm=num_perm)
        m.update_batch([x.encode() for x in s])
        pairs.update((int(j), i) for j in lsh.query(m))
        lsh.insert(str(i), m)
    return pairs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small corpora, one run: checks the script works")
    args = p.parse_args(argv)
    n_pages, n_base, repeats = (100, 100, 1) if args.quick else (1000, 1000, 3)
    target = lambda t: "(quick run)" if args.quick else t
    rows = []

    def row(name, ours, ref, ref_name, unit, tgt, **extra):
        rows.append({"benchmark": name, "ours": round(ours, 2), "reference": None if ref is None else round(ref, 2),
                     "reference_name": ref_name, "unit": unit,
                     "ratio": None if ref is None else round(ours / ref, 3), "target": target(tgt), **extra})
        log(rows[-1])

    pages = html_pages(n_pages)
    texts = None
    if hasattr(data, "extract_text_from_html_bytes"):
        t, texts = best_time(lambda: [data.extract_text_from_html_bytes(b) for b in pages], repeats)
        ref_name, ref_fn = reference_extractor()
        ref = n_pages / best_time(lambda: [ref_fn(b) for b in pages], repeats)[0] if ref_fn else None
        row(f"extract {n_pages} HTML pages", n_pages / t, ref, ref_name or "(no PyPI extractor installed)",
            "docs/s", "(measured)")
    else:
        log("llmcourse.data has no extract_text_from_html_bytes yet: extraction row skipped")
    if hasattr(data, "gopher_quality_filter"):
        texts = texts or [b.decode("utf-8") for b in pages]
        t, kept = best_time(lambda: [data.gopher_quality_filter(x) for x in texts], repeats)
        row(f"gopher_quality_filter {len(texts)} docs", len(texts) / t, None, "(none)", "docs/s", "(measured)",
            kept=sum(kept))
    else:
        log("llmcourse.data has no gopher_quality_filter yet: quality row skipped")

    corpora = {n: data.planted_corpus(n_base=n // 2, n_words=200, seed=0)[0] for n in (n_base, 4 * n_base)}
    best = {n: float("inf") for n in corpora}
    for _ in range(repeats):  # alternate the two sizes, so a busy moment on a shared machine hits both alike
        for n, docs in corpora.items():
            t, clusters = best_time(lambda d=docs: data.near_duplicate_clusters(d, 100, 20, 5, 0.8), 1)
            best[n] = min(best[n], t)
            log(f"MinHash dedup of {len(docs)} docs: {t:.2f} s, {len(clusters)} clusters")
    speeds = {n: n / t for n, t in best.items()}
    docs, _ = data.planted_corpus(n_base=2 * n_base, n_words=200, seed=0)
    ref = None
    if importlib.util.find_spec("datasketch"):
        # both sides shingle the text with our ngram_set, so the rows compare signatures and banding
        t_ref = best_time(lambda: datasketch_dedup([data.ngram_set(d, 5) for d in docs]), repeats)[0]
        ref = len(docs) / t_ref
    row(f"minhash dedup {len(docs)} docs", speeds[4 * n_base], ref,
        "datasketch MinHash + MinHashLSH (20 x 5)" if ref else "(datasketch not installed)", "docs/s", "(measured)")
    row(f"minhash dedup scaling {n_base} -> {4 * n_base} docs", speeds[4 * n_base], speeds[n_base],
        f"ours at {n_base} docs", "docs/s", ">= 0.7")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
