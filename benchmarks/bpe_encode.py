"""BPE encoding throughput on GPT-2's vocabulary: our `Tokenizer.encode` against the naive `encode_ref` and tiktoken.

The text is the first 1.1 MB of the Shakespeare asset (plays in file-name order, cut at a line end). All three
encoders use GPT-2's merges, and their ids are checked identical. Our tokenizer's cache of encoded pre-tokens is emptied
before each run, so every run starts cold. Runs are paired and alternate; ratios are medians of per-pair ratios of
throughput (ours / reference: higher is better). `--quick` uses ~100 KB and one run.

Prints progress to stderr and, as its last stdout line, the JSON row list that benchmarks/run.py expects.
usage: python benchmarks/bpe_encode.py [--quick]
"""

import argparse
import json
import statistics
import sys

from llmcourse.tokenization import Tokenizer, encode_ref, median_ratio, paired_timings

from llmcourse.assets import asset, get_encoding


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="~100 KB, one run: checks the script works")
    args = p.parse_args(argv)
    n_chars, repeats = (100_000, 1) if args.quick else (1_100_000, 5)
    text = "".join(f.read_text(encoding="utf-8") for f in sorted(asset("shakespeare").glob("*_gut.txt")))
    text = text[: text.index("\n", n_chars) + 1]
    mb = len(text.encode("utf-8")) / 1e6
    files = asset("gpt2-encoding")
    ours = Tokenizer.from_files(files / "encoder.json", files / "vocab.bpe")
    tt = get_encoding("gpt2")
    out = {}

    def ours_cold():
        ours._cache.clear()
        out["ours"] = ours.encode(text)

    t = paired_timings(
        {
            "ours": ours_cold,
            "naive": lambda: out.update(naive=encode_ref(text, ours.vocab, ours.merges)),
            "tiktoken": lambda: out.update(tiktoken=tt.encode_ordinary(text)),
        },
        repeats,
    )
    same = out["ours"] == out["naive"] == out["tiktoken"]
    speed = {k: [mb / s for s in v] for k, v in t.items()}
    rows = []
    for ref, ref_name, target in [
        ("naive", "naive encode_ref (per pre-token, no cache)", ">= 3"),
        ("tiktoken", "tiktoken gpt2", "(reference only)"),
    ]:
        rows.append(
            {
                "benchmark": f"bpe_encode {mb:.1f}MB gpt2",
                "ours": round(statistics.median(speed["ours"]), 3),
                "reference": round(statistics.median(speed[ref]), 3),
                "reference_name": ref_name,
                "unit": "MB/s",
                "ratio": round(median_ratio(speed["ours"], speed[ref]), 3),
                "runs": repeats,
                "target": "(quick run)" if args.quick else target,
                "identical_ids": same,
                "tokens": len(out["ours"]),
            }
        )
        log(rows[-1])
    assert same, "the encoders disagree"
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
