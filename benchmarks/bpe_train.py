"""BPE training speed: our `train_bpe` against the naive `train_bpe_ref` and Hugging Face `tokenizers` (ByteLevel BPE).

Corpora: ~1 MB (the first 1.1 MB of the Shakespeare asset, plays in alphabetical order, cut at a line end) and ~5 MB
(the whole asset); vocabularies of 1,024 and 5,000 tokens; plus the issue's 500 tokens on ~130 KB. Every comparison is
paired: the contenders alternate, and the ratio is the median of per-pair ratios. The naive trainer runs on the 1 MB
corpus only (it is slow: minutes per run) and its merges are checked identical to ours. `--quick` shrinks everything to
~100 KB so CI can check that the script still works.

Prints progress to stderr and, as its last stdout line, the JSON row list that benchmarks/run.py expects.
usage: python benchmarks/bpe_train.py [--quick]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from llmcourse.tokenization import hf_bpe, median_ratio, paired_timings, train_bpe, train_bpe_ref

from llmcourse.assets import asset


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def store(out: dict, key: str, fn) -> None:
    "Call `fn` and keep its result in `out[key]` (the timed functions return nothing)."
    out[key] = fn()


def shakespeare(n_chars=None) -> str:
    "The Shakespeare plays concatenated in file-name order, optionally cut at the first line end after `n_chars`."
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(asset("shakespeare").glob("*_gut.txt")))
    return text if n_chars is None else text[: text.index("\n", n_chars) + 1]


def hf_train(path: Path, vocab_size: int):
    "Hugging Face `tokenizers` BPE (the course's `hf_bpe` reference wrapper), checked to reach `vocab_size`."
    tok = hf_bpe(path, vocab_size)
    assert tok.get_vocab_size() == vocab_size
    return tok


def row(name, ours, ref, ref_name, target, **extra):
    return {
        "benchmark": name,
        "ours": round(statistics.median(ours), 4),
        "reference": round(statistics.median(ref), 4),
        "reference_name": ref_name,
        "unit": "s",
        "ratio": round(median_ratio(ours, ref), 5),
        "target": target,
        "runs": len(ours),
        **extra,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="~100 KB corpora, one run each: checks the script works")
    args = p.parse_args(argv)
    if args.quick:
        corpora = {"100KB": 100_000}
        hf_configs = [("100KB", 500)]
        naive_configs = [("100KB", 300)]
        repeats = 1
    else:
        corpora = {"130KB": 130_000, "1MB": 1_100_000, "5MB": None}
        hf_configs = [("130KB", 500), ("1MB", 1024), ("1MB", 5000), ("5MB", 1024), ("5MB", 5000)]
        naive_configs = [("1MB", 1024), ("1MB", 5000)]
        repeats = 5
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, n in corpora.items():
            paths[name] = Path(tmp) / f"shakespeare_{name}.txt"
            paths[name].write_text(shakespeare(n), encoding="utf-8")
            log(f"corpus {name}: {paths[name].stat().st_size:,} bytes")
        for name, vocab in hf_configs:
            path = paths[name]
            t = paired_timings(
                {"ours": partial(train_bpe, path, vocab, progress=False), "hf": partial(hf_train, path, vocab)}, repeats
            )
            target = "ours < 1.5 s; ratio <= 10" if name == "130KB" else "<= 10"
            rows.append(
                row(
                    f"bpe_train {name} vocab {vocab}",
                    t["ours"],
                    t["hf"],
                    "HF tokenizers (ByteLevel BPE)",
                    "(quick run)" if args.quick else target,
                )
            )
            log(rows[-1])
        for name, vocab in naive_configs:
            out = {}
            ours = partial(store, out, "ours", partial(train_bpe, paths[name], vocab, progress=False))
            naive = partial(store, out, "naive", partial(train_bpe_ref, paths[name], vocab))
            t = paired_timings({"ours": ours, "naive": naive}, 1)
            same = out["ours"] == out["naive"]
            rows.append(
                row(
                    f"bpe_train {name} vocab {vocab}",
                    t["ours"],
                    t["naive"],
                    "naive train_bpe_ref",
                    "(quick run)" if args.quick else "<= 0.02 (>= 50x faster; stretch 0.01)",
                    identical_merges=same,
                    speedup=round(t["naive"][0] / t["ours"][0], 1),
                )
            )
            log(rows[-1])
            assert same, "the fast and the naive trainer learned different merges"
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
