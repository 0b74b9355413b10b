"""Transformer throughput on CPU: `TransformerLM` training steps against Hugging Face, and KV-cache decoding.

1. Forward+backward tokens/s of `TransformerLM` against Hugging Face's implementation of the same configuration:
   `GPT2LMHeadModel` for a GPT-2-style config and `LlamaForCausalLM` (with grouped-query attention) for a Llama-style
   one. Both models are built from the same numbers in float32, dropout off, HF with its default (SDPA) attention and
   `use_cache=False`; their parameter counts are checked equal. A timed run is `steps` steps of zero_grad, forward,
   cross-entropy over every position, backward (no optimiser step: the optimiser is not part of either model).
2. Greedy decoding tokens/s of our `generate` with the KV cache against the same loop without it (recomputing the whole
   sequence at every step), for the tiny GPT-2-style preset with the course tokenizer's vocabulary (2,048 tokens, as
   in the chapter's notebook) at 64, 256 and 512 new tokens after a 16-token prompt;
   the two loops are checked to produce identical tokens. Decoding runs on one thread (as the notebooks do): for a
   model this small a second thread only adds contention.

Runs are paired and alternate; ratios are medians of per-pair ratios of throughput (ours / reference, or cached /
uncached: higher is better). `--quick` shrinks the models, the batch and the lengths and runs once, so CI can check
that the script still works.

Prints progress to stderr and, as its last stdout line, the JSON row list that benchmarks/run.py expects.
usage: python benchmarks/model_forward.py [--quick]
"""

import argparse
import json
import os
import statistics
import sys
from functools import partial

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import torch.nn.functional as F

from llmcourse.model import TransformerConfig, TransformerLM, config_to_hf, generate
from llmcourse.tokenization import median_ratio, paired_timings


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def hf_model(cfg: TransformerConfig):
    "A randomly initialised Hugging Face model of the same architecture and sizes as `cfg` (GPT-2 or Llama style)."
    import transformers

    transformers.logging.set_verbosity_error()
    hf_cfg = config_to_hf(cfg, use_cache=False)  # the chapter's own config mapping, tested against from_hf
    return transformers.AutoModelForCausalLM.from_config(hf_cfg)


def store(out: dict, key: str, fn) -> None:
    "Call `fn` and keep its result in `out[key]` (the timed functions return nothing)."
    out[key] = fn()


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def train_steps(model, x, y, steps: int, hf: bool):
    "`steps` forward+backward passes with the mean next-token cross-entropy over every position."
    for _ in range(steps):
        model.zero_grad(set_to_none=True)
        logits = model(input_ids=x, use_cache=False).logits if hf else model(x)  # (B, T, V)
        F.cross_entropy(logits.flatten(0, 1), y.flatten()).backward()


def training_rows(quick: bool):
    if quick:
        sizes = {"vocab_size": 512, "context_length": 64, "d_model": 64, "num_layers": 2, "num_heads": 4}
        batch, T, steps, repeats = 2, 64, 1, 1
    else:
        sizes = {"vocab_size": 8192, "context_length": 256, "d_model": 256, "num_layers": 4, "num_heads": 4}
        batch, T, steps, repeats = 4, 256, 2, 5
    configs = {
        "gpt2-style": (TransformerConfig.preset("tiny-gpt2", **sizes), "HF GPT2LMHeadModel (sdpa)"),
        "llama-style": (
            TransformerConfig.preset("tiny-llama", **sizes, num_kv_heads=2, d_ff=None),
            "HF LlamaForCausalLM (sdpa)",
        ),
    }
    rows = []
    for name, (cfg, ref_name) in configs.items():
        torch.manual_seed(0)
        ours, ref = TransformerLM(cfg).train(), hf_model(cfg).train()
        assert n_params(ours) == n_params(ref), f"{name}: {n_params(ours):,} parameters here, {n_params(ref):,} in HF"
        g = torch.Generator().manual_seed(0)
        data = torch.randint(cfg.vocab_size, (batch, T + 1), generator=g)
        x, y = data[:, :-1], data[:, 1:]
        for model, hf in ((ours, False), (ref, True)):  # warm-up: first calls allocate and pick kernels
            train_steps(model, x, y, 1, hf)
        t = paired_timings(
            {
                "ours": partial(train_steps, ours, x, y, steps, False),
                "hf": partial(train_steps, ref, x, y, steps, True),
            },
            repeats,
        )
        speed = {k: [batch * T * steps / s for s in v] for k, v in t.items()}
        rows.append(
            {
                "benchmark": f"train fwd+bwd {name} d{cfg.d_model} L{cfg.num_layers} V{cfg.vocab_size} B{batch}xT{T}",
                "ours": round(statistics.median(speed["ours"]), 1),
                "reference": round(statistics.median(speed["hf"]), 1),
                "reference_name": ref_name,
                "unit": "tokens/s",
                "ratio": round(median_ratio(speed["ours"], speed["hf"]), 3),
                "target": "(quick run)" if quick else ">= 0.9 (within 10% of HF, or faster)",
                "runs": repeats,
                "params": n_params(ours),
                "threads": torch.get_num_threads(),
            }
        )
        log(rows[-1])
    return rows


def decoding_rows(quick: bool):
    lengths, repeats = ([16, 32], 1) if quick else ([64, 256, 512], 5)
    prompt_len = 16
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model decodes one token at a time: a second thread only adds contention
    cfg = TransformerConfig.preset("tiny-gpt2", vocab_size=2048, context_length=prompt_len + max(lengths))
    torch.manual_seed(0)
    model = TransformerLM(cfg).eval()
    prompt = torch.randint(cfg.vocab_size, (1, prompt_len), generator=torch.Generator().manual_seed(0))
    generate(model, prompt, 8, temperature=0)  # warm-up
    rows = []
    for n in lengths:
        out = {}
        cached = partial(store, out, "cache", partial(generate, model, prompt, n, temperature=0, use_cache=True))
        uncached = partial(store, out, "recompute", partial(generate, model, prompt, n, temperature=0, use_cache=False))
        t = paired_timings({"cache": cached, "recompute": uncached}, repeats)
        same = torch.equal(out["cache"], out["recompute"])
        speed = {k: [n / s for s in v] for k, v in t.items()}
        rows.append(
            {
                "benchmark": f"decode tiny-gpt2 V{cfg.vocab_size} ({n_params(model):,} params) {n} new tokens",
                "ours": round(statistics.median(speed["cache"]), 1),
                "reference": round(statistics.median(speed["recompute"]), 1),
                "reference_name": "same loop without KV cache (recompute)",
                "unit": "tokens/s",
                "ratio": round(median_ratio(speed["cache"], speed["recompute"]), 3),
                "target": "(quick run)" if quick else (">= 5" if n == 256 else "(measured)"),
                "runs": repeats,
                "identical_tokens": same,
                "threads": 1,
            }
        )
        log(rows[-1])
        assert same, "cached and uncached greedy decoding produced different tokens"
    torch.set_num_threads(threads)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one run: checks the script works")
    args = p.parse_args(argv)
    rows = training_rows(args.quick) + decoding_rows(args.quick)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
