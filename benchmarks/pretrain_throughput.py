"""Pretraining throughput on CPU: our `train` against Hugging Face's GPT-2 in a plain PyTorch loop, nanoGPT's CPU recipe.

The configuration is nanoGPT's CPU recipe for character-level Shakespeare (4 layers, 4 heads, 128 dimensions, a context
of 64, batches of 12, 65 tokens, AdamW with lr 1e-3 and betas (0.9, 0.99), weight decay 0.1, clipping at 1.0, no
dropout), built twice from the same numbers:

* ours: `TransformerLM` in GPT-2 style (biases, tanh-GELU, LayerNorm, learned positions, tied embeddings), trained by
  `llmcourse.training.train` with our written-out `AdamW`, its schedule, clipping and logging, `eval_interval=0`;
* reference: `transformers.GPT2LMHeadModel` of the same sizes (`config_to_hf`, SDPA attention, `use_cache=False`;
  parameter counts checked equal) in the loop every tutorial writes: random windows, forward, `F.cross_entropy`,
  backward, `clip_grad_norm_`, `torch.optim.AdamW` (PyTorch's default implementation) step.

Both see random tokens (speed does not depend on what the tokens are). A timed run is `steps` updates; runs are paired
and alternate; ratios are medians of per-pair ratios. MFU is the model's training FLOPs per token (6 x matmul
parameters + attention, `flops_per_token`) x tokens/s over this machine's float32 matmul peak, measured at the start
(`measure_matmul_peak`, 1024 x 1024 products). Peak memory is the peak resident set size of a fresh process that
imports what its side needs and trains `steps` updates (ru_maxrss: it includes Python, torch and the imports, which
is what a learner's machine has to hold); the resident size after imports alone is reported too.

A last pair times the recipe's exact architecture (no biases, exact GELU, tied embeddings: what nanoGPT trains and
what the notebook's `nanogpt-cpu` recipe uses): ours against `PlainGPT`, a GPT written here in the layout nanoGPT uses
(`nn.Linear`, `nn.LayerNorm`, `F.scaled_dot_product_attention`, `nn.GELU`), trained by the same plain loop. nanoGPT
itself is not a package, so it cannot be installed here; the issue's figure for it (26,000 tokens/s, measured on a
machine whose float32 matmul peak was about 370 GFLOP/s) is printed next to this machine's measured peak so that the
two can be compared in proportion.

`--quick` shrinks everything and runs once, so CI can check that the script still works. Prints progress to stderr
and, as its last stdout line, the JSON row list that benchmarks/run.py expects.
usage: python benchmarks/pretrain_throughput.py [--quick]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from functools import partial

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import torch.nn.functional as F

NANOGPT_TOKENS_PER_S = 26_000  # the measurement of nanoGPT's CPU recipe on the course's 2-core machine
SIZES = dict(vocab_size=65, context_length=64, d_model=128, num_layers=4, num_heads=4)
BATCH = 12
HPARAMS = dict(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1, grad_clip=1.0)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def peak_rss_mib() -> float:
    "This process's peak resident set size (VmHWM; unlike ru_maxrss it is not inherited across fork and exec)."
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024  # kB -> MiB
    except (OSError, StopIteration):  # not Linux: ru_maxrss (bytes on macOS)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def model_config(exact: bool = False):
    from llmcourse.model import TransformerConfig

    if exact:  # nanoGPT's own switches: no biases, exact GELU
        return TransformerConfig(**SIZES, ffn="gelu", bias=False, tie_embeddings=True)
    return TransformerConfig.preset("tiny-gpt2", **SIZES)


def hf_model(cfg):
    "A randomly initialised `GPT2LMHeadModel` with the sizes and switches of `cfg`."
    import transformers

    from llmcourse.model import config_to_hf

    transformers.logging.set_verbosity_error()
    return transformers.GPT2LMHeadModel(config_to_hf(cfg, use_cache=False))


OPTIMIZER = "adamw"  # ours, written out; --optimizer torch / torch_fused times `train` with PyTorch's


def ours_runner(cfg, data, steps: int):
    "A function that trains our model `steps` more updates with `train` (a fresh optimizer each call, as a run has)."
    from llmcourse.model import TransformerLM
    from llmcourse.training import TrainConfig, train

    torch.manual_seed(0)
    model = TransformerLM(cfg)
    tcfg = TrainConfig(max_iters=steps, batch_size=BATCH, warmup_iters=1, eval_interval=0, progress=False,
                       lr=HPARAMS["lr"], betas=HPARAMS["betas"], weight_decay=HPARAMS["weight_decay"],
                       grad_clip=HPARAMS["grad_clip"], optimizer=OPTIMIZER)
    return partial(train, model, {"train": data}, tcfg)


class PlainGPT(torch.nn.Module):
    "A GPT in nanoGPT's layout from stock PyTorch modules: the reference for the exact-architecture row."

    def __init__(self, vocab: int, T: int, d: int, layers: int, heads: int):
        super().__init__()
        nn = torch.nn
        self.heads = heads
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(nn.ModuleDict(dict(
            ln1=nn.LayerNorm(d, bias=False), qkv=nn.Linear(d, 3 * d, bias=False), proj=nn.Linear(d, d, bias=False),
            ln2=nn.LayerNorm(d, bias=False), fc=nn.Linear(d, 4 * d, bias=False), act=nn.GELU(),
            out=nn.Linear(4 * d, d, bias=False))) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, bias=False)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight  # tied
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, idx):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for b in self.blocks:
            q, k, v = b["qkv"](b["ln1"](x)).split(x.shape[-1], dim=-1)
            q, k, v = (t.view(B, T, self.heads, -1).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, -1)
            x = x + b["proj"](y)
            x = x + b["out"](b["act"](b["fc"](b["ln2"](x))))
        return self.head(self.ln_f(x))


def plain_loop(model, data, steps: int, T: int):
    "The loop every tutorial writes: random windows, forward, cross-entropy, backward, clip, torch AdamW step."
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": HPARAMS["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=HPARAMS["lr"], betas=HPARAMS["betas"])
    g = torch.Generator().manual_seed(0)
    forward = getattr(model, "plain_forward", model)

    def run():
        for _ in range(steps):
            starts = torch.randint(len(data) - T - 1, (BATCH,), generator=g)
            batch = torch.stack([data[s:s + T + 1] for s in starts.tolist()])  # (B, T + 1)
            x, y = batch[:, :-1], batch[:, 1:]
            loss = F.cross_entropy(forward(x).flatten(0, 1), y.flatten())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), HPARAMS["grad_clip"])
            opt.step()
            loss.item()

    return run


def hf_runner(cfg, data, steps: int):
    "A function that trains the HF model `steps` updates in a plain loop (nanoGPT's, without its extras)."
    torch.manual_seed(0)
    model = hf_model(cfg).train()
    model.plain_forward = lambda x: model(input_ids=x, use_cache=False).logits  # (B, T, V)
    return plain_loop(model, data, steps, cfg.context_length), model


def child(side: str, steps: int) -> None:
    "Run in a fresh process: import one side, report RSS after imports, train `steps` updates, report peak RSS."
    if side == "hf":
        import transformers  # noqa: F401
        from llmcourse.model import config_to_hf  # noqa: F401
    else:
        import llmcourse.training  # noqa: F401
    after_imports = peak_rss_mib()
    cfg = model_config()
    data = torch.randint(cfg.vocab_size, (200_000,), generator=torch.Generator().manual_seed(0))
    fn = ours_runner(cfg, data.numpy(), steps) if side == "ours" else hf_runner(cfg, data, steps)[0]
    fn()
    peak = peak_rss_mib()
    print(json.dumps({"imports_mib": after_imports, "peak_mib": peak}))


def peak_memory(side: str, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", side, "--steps", str(steps), "--optimizer", OPTIMIZER], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rows(quick: bool) -> list:
    from llmcourse.model import count_params, flops_per_token
    from llmcourse.tokenization import median_ratio, paired_timings
    from llmcourse.training import measure_matmul_peak

    steps, repeats = (2, 1) if quick else (50, 7)
    threads = torch.get_num_threads()
    peak_flops = measure_matmul_peak(n=256 if quick else 1024)
    log(f"float32 matmul peak: {peak_flops / 1e9:.0f} GFLOP/s on {threads} threads")
    cfg = model_config()
    data = torch.randint(cfg.vocab_size, (200_000,), generator=torch.Generator().manual_seed(0))
    ours = ours_runner(cfg, data.numpy(), steps)
    ref, ref_model = hf_runner(cfg, data, steps)
    n_ours, n_ref = count_params(cfg), sum(p.numel() for p in ref_model.parameters())
    assert n_ours == n_ref, f"{n_ours:,} parameters here, {n_ref:,} in HF"
    ours(), ref()  # warm-up: allocations, kernel choices
    t = paired_timings({"ours": ours, "hf": ref}, repeats)
    tokens = steps * BATCH * cfg.context_length
    speed = {k: [tokens / s for s in v] for k, v in t.items()}
    per_token = flops_per_token(cfg, cfg.context_length, training=True)
    med = {k: statistics.median(v) for k, v in speed.items()}
    common = {"runs": repeats, "threads": threads, "params": n_ours, "steps_per_run": steps}
    name = f"pretrain nanoGPT CPU recipe (L4 H4 d128 T64 B12 V65, GPT-2 style, our optimizer={OPTIMIZER!r})"
    out = [
        {"benchmark": f"{name} tokens/s", "ours": round(med["ours"], 1), "reference": round(med["hf"], 1),
         "reference_name": "HF GPT2LMHeadModel + plain loop + torch AdamW", "unit": "tokens/s",
         "ratio": round(median_ratio(speed["ours"], speed["hf"]), 3),
         "target": "(quick run)" if quick else ">= 1.0", **common},
        {"benchmark": f"{name} ms/iter", "ours": round(1e3 * BATCH * cfg.context_length / med["ours"], 2),
         "reference": round(1e3 * BATCH * cfg.context_length / med["hf"], 2),
         "reference_name": "HF GPT2LMHeadModel + plain loop + torch AdamW", "unit": "ms",
         "ratio": round(median_ratio(speed["hf"], speed["ours"]), 3),
         "target": "(quick run)" if quick else "<= 1.0", **common},
        {"benchmark": f"{name} MFU", "ours": round(100 * med["ours"] * per_token / peak_flops, 1),
         "reference": round(100 * med["hf"] * per_token / peak_flops, 1),
         "reference_name": f"HF GPT2LMHeadModel + plain loop (peak {peak_flops / 1e9:.0f} GFLOP/s measured)",
         "unit": "% of fp32 matmul peak", "ratio": round(med["ours"] / med["hf"], 3),
         "target": "(quick run)" if quick else "ours >= 30%", "flops_per_token": per_token, **common},
    ]
    for r in out:
        log(r)
    mem = {side: peak_memory(side, 3 if quick else steps) for side in ("ours", "hf")}
    out.append({"benchmark": f"{name} peak RSS", "ours": round(mem["ours"]["peak_mib"], 1),
                "reference": round(mem["hf"]["peak_mib"], 1),
                "reference_name": "HF GPT2LMHeadModel + plain loop (fresh process each)", "unit": "MiB",
                "ratio": round(mem["ours"]["peak_mib"] / mem["hf"]["peak_mib"], 3),
                "target": "(quick run)" if quick else "ours <= 450 MiB",
                "ours_after_imports": round(mem["ours"]["imports_mib"], 1),
                "reference_after_imports": round(mem["hf"]["imports_mib"], 1), **common})
    log(out[-1])
    exact = model_config(exact=True)
    run_exact = ours_runner(exact, data.numpy(), steps)
    torch.manual_seed(0)
    plain = PlainGPT(exact.vocab_size, exact.context_length, exact.d_model, exact.num_layers, exact.num_heads).train()
    n_plain = sum(p.numel() for p in plain.parameters())
    assert n_plain == count_params(exact), f"{count_params(exact):,} parameters here, {n_plain:,} in PlainGPT"
    run_plain = plain_loop(plain, data, steps, exact.context_length)
    run_exact(), run_plain()  # warm-up
    t = paired_timings({"ours": run_exact, "plain": run_plain}, repeats)
    speed = {k: [tokens / s for s in v] for k, v in t.items()}
    med = {k: statistics.median(v) for k, v in speed.items()}
    per_token = flops_per_token(exact, exact.context_length, training=True)
    out.append({"benchmark": "pretrain nanoGPT CPU recipe, exact architecture (no biases, exact GELU) tokens/s",
                "ours": round(med["ours"], 1), "reference": round(med["plain"], 1),
                "reference_name": "PlainGPT (nanoGPT's layout in stock PyTorch modules) + plain loop",
                "unit": "tokens/s", "ratio": round(median_ratio(speed["ours"], speed["plain"]), 3),
                "target": "(quick run)" if quick else ">= 1.0",
                "mfu_percent": round(100 * med["ours"] * per_token / peak_flops, 1),
                "reference_mfu_percent": round(100 * med["plain"] * per_token / peak_flops, 1),
                "issue_nanogpt_tokens_per_s": NANOGPT_TOKENS_PER_S, "issue_machine_peak_gflops": 370,
                "this_machine_peak_gflops": round(peak_flops / 1e9), **common})
    log(out[-1])
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny runs, once: checks the script works")
    p.add_argument("--optimizer", default="adamw", choices=("adamw", "torch", "torch_fused"),
                   help="the optimizer our `train` uses (TrainConfig.optimizer); default: ours, written out")
    p.add_argument("--child", choices=("ours", "hf"), help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    global OPTIMIZER
    OPTIMIZER = args.optimizer
    if args.child:
        return child(args.child, args.steps)
    print(json.dumps(rows(args.quick)))


if __name__ == "__main__":
    main()
