#!/usr/bin/env python3
"""Builds the test-data models under testdata/models: tiny random-weight Llama checkpoints in Hugging
Face layout, and the reference outputs of Hugging Face transformers for them.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r testdata/requirements.txt
    /tmp/venv/bin/python testdata/generate.py                 # (re)writes testdata/models/<model>/
    /tmp/venv/bin/python testdata/generate.py --check         # regenerates into a temp folder and compares

Per model it writes
    config.json              the hyper-parameters, in the layout the model's MODELS entry names
    model.safetensors        the weights (Hugging Face LlamaForCausalLM names) in the storage dtype
    reference.safetensors    caseN.prefill_logits: float32 [prompt_len, vocab], logits of every prompt position
    reference.json           per case: prompt ids, greedy continuation, min_top2_margin; and the generator's versions

The reference comes from transformers itself, reading the files just written (LlamaForCausalLM.from_pretrained,
float32 arithmetic, eager attention): whatever the config layout, it is what Hugging Face makes of the files.
Everything is seeded; the same versions on the same CPU architecture reproduce every byte.
"""
import argparse
import filecmp
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy
import safetensors
import torch
import transformers
from safetensors.torch import load_file, save
from transformers import LlamaConfig, LlamaForCausalLM

# Versions the committed outputs were made with (testdata/requirements.txt pins the same).
PINNED = {"torch": "2.13.0", "transformers": "5.18.0", "safetensors": "0.8.0", "numpy": "2.4.6"}

NEW_TOKENS = 24          # greedy continuation length (no EOS stop)
MIN_TOP2_MARGIN = 1e-2   # every greedy step's best logit beats the second by this much (2 x the fp16-KV tolerance)
WEIGHT_STD = 0.08        # N(0, 0.08) for embeddings and projections: logits of std ~1, so greedy margins are usable
NORM_STD = 0.1           # RMSNorm weights 1 + N(0, 0.1)

MODELS = [
    {   # Llama-2 style: multi-head attention, plain RoPE, fp16 weights, classic config layout.
        "name": "tiny-llama2", "seed": 2, "dtype": torch.float16, "layout": "classic",
        "config": dict(hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=8,
                       num_key_value_heads=8, head_dim=16, vocab_size=512, max_position_embeddings=512,
                       rms_norm_eps=1e-5, tie_word_embeddings=False,
                       rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        "prompt_lengths": [1, 7, 33, 130],
    },
    {   # Llama-3.1 style: grouped-query attention (8 query / 2 KV heads), llama3 RoPE scaling, bf16 weights,
        # classic config layout (rope_theta and rope_scaling at the top level, as published Llama 3.1 files).
        "name": "tiny-llama3", "seed": 3, "dtype": torch.bfloat16, "layout": "classic",
        "config": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=3, num_attention_heads=8,
                       num_key_value_heads=2, head_dim=16, vocab_size=640, max_position_embeddings=1024,
                       rms_norm_eps=1e-5, tie_word_embeddings=False,
                       rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                        "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                        "original_max_position_embeddings": 64}),
        "prompt_lengths": [3, 17, 64, 200],
    },
    {   # Llama-3.2 style: tied embeddings, GQA 4/2 with head_dim 32 (q width 128 != hidden 96), llama3 scaling,
        # bf16 weights, and the config as transformers 5 writes it (rope_parameters).
        "name": "tiny-llama32", "seed": 32, "dtype": torch.bfloat16, "layout": "rope_parameters",
        "config": dict(hidden_size=96, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, head_dim=32, vocab_size=384, max_position_embeddings=512,
                       rms_norm_eps=1e-5, tie_word_embeddings=True,
                       rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                                        "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                        "original_max_position_embeddings": 32}),
        "prompt_lengths": [2, 16, 47, 150],
    },
]


def versions():
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "safetensors": safetensors.__version__, "numpy": numpy.__version__,
            "python": ".".join(map(str, sys.version_info[:3]))}


def check_versions(allow_other):
    got = versions()
    wrong = {k: got[k] for k, v in PINNED.items() if got[k].split("+")[0] != v}
    if wrong and not allow_other:
        sys.exit(f"generate.py: pinned versions {PINNED}, installed {wrong}; install testdata/requirements.txt "
                 f"(or pass --allow-other-versions and expect different bytes)")


def hf_config(spec):
    return LlamaConfig(**spec["config"], architectures=["LlamaForCausalLM"], bos_token_id=1, eos_token_id=2,
                       dtype=str(spec["dtype"]).split(".")[1])


def config_json(spec, saved):
    """The config.json text: transformers' own (rope_parameters) or the classic layout of published files."""
    if spec["layout"] == "rope_parameters":
        return saved
    cfg = json.loads(saved)
    rope = dict(cfg.pop("rope_parameters"))
    cfg["rope_theta"] = rope.pop("rope_theta")
    cfg["rope_scaling"] = None if rope.get("rope_type") == "default" else rope
    cfg["torch_dtype"] = cfg.pop("dtype")
    return json.dumps(dict(sorted(cfg.items())), indent=2) + "\n"


def random_weights(model, spec):
    """Seeded weights, rounded to the storage dtype (so float32 arithmetic sees exactly the stored values)."""
    gen = torch.Generator().manual_seed(spec["seed"])
    state = {}
    for name, p in model.state_dict().items():
        if name.endswith("norm.weight"):
            w = 1 + NORM_STD * torch.randn(p.shape, generator=gen)
        else:
            w = WEIGHT_STD * torch.randn(p.shape, generator=gen)
        state[name] = w.to(spec["dtype"])
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    return state


def write_checkpoint(spec, out):
    out.mkdir(parents=True, exist_ok=True)
    config = hf_config(spec)
    with tempfile.TemporaryDirectory() as tmp:
        config.save_pretrained(tmp)
        saved = Path(tmp, "config.json").read_text()
    (out / "config.json").write_text(config_json(spec, saved))
    model = LlamaForCausalLM(config)
    state = random_weights(model, spec)
    save_file(dict(sorted(state.items())), out / "model.safetensors",
              metadata={"format": "pt", "generator": "testdata/generate.py", **versions()})


def save_file(tensors, path, metadata):
    """safetensors.torch.save_file with the metadata keys in a fixed order (the Rust writer uses a hash
    map, so two runs would write the same content in different orders)."""
    data = save(tensors, metadata=metadata)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= n, "re-serialised safetensors header grew"
    Path(path).write_bytes(data[:8] + text + b" " * (n - len(text)) + data[8 + n:])


def top2_margin(row):
    top = torch.topk(row, 2).values
    return (top[0] - top[1]).item()


def greedy(model, prompt):
    """NEW_TOKENS argmax steps, each over the full sequence (no cache); returns tokens and the smallest margin."""
    ids = list(prompt)
    margin = math.inf
    with torch.no_grad():
        for _ in range(NEW_TOKENS):
            row = model(torch.tensor([ids])).logits[0, -1]
            margin = min(margin, top2_margin(row))
            ids.append(int(torch.argmax(row)))
    return ids[len(prompt):], margin


def write_reference(spec, out):
    model = LlamaForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(1000 + spec["seed"])
    cases, logits = [], {}
    for i, length in enumerate(spec["prompt_lengths"]):
        # Redraw a prompt until its continuation has no near-tie, so any correct float32 implementation
        # reproduces every token and a 16-bit KV cache (error < 5e-3) does too.
        for attempt in range(1000):
            prompt = torch.randint(3, vocab, (length,), generator=gen).tolist()
            tokens, margin = greedy(model, prompt)
            if margin >= MIN_TOP2_MARGIN:
                break
        else:
            sys.exit(f"{spec['name']}: no prompt of length {length} with a top-2 margin >= {MIN_TOP2_MARGIN}")
        with torch.no_grad():
            logits[f"case{i}.prefill_logits"] = model(torch.tensor([prompt])).logits[0].contiguous()
            # transformers' own incremental decoding (KV cache) must agree with the full-sequence steps.
            cached = model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=NEW_TOKENS,
                                    min_new_tokens=NEW_TOKENS, eos_token_id=None, pad_token_id=0)
        if cached[0, length:].tolist() != tokens:
            sys.exit(f"{spec['name']} case{i}: generate() with a KV cache gives {cached[0, length:].tolist()}, "
                     f"full-sequence steps give {tokens}")
        cases.append({"name": f"case{i}", "prompt": prompt, "greedy": tokens, "min_top2_margin": margin,
                      "prompt_draws": attempt + 1})
    save_file(logits, out / "reference.safetensors", metadata={"generator": "testdata/generate.py", **versions()})
    reference = {"generator": "testdata/generate.py (seed %d)" % spec["seed"], "versions": versions(),
                 "compute_dtype": "float32", "attention": "eager",
                 "weights_dtype": str(spec["dtype"]).split(".")[1], "cases": cases}
    (out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")


def generate(root, names):
    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for spec in MODELS:
        if names and spec["name"] not in names:
            continue
        out = root / spec["name"]
        write_checkpoint(spec, out)
        write_reference(spec, out)
        for f in out.iterdir():
            f.chmod(0o644)
        size = sum(f.stat().st_size for f in out.iterdir())
        print(f"{spec['name']}: {size / 1e6:.2f} MB in {out}")


def check(committed, names):
    """Regenerate into a temp folder and compare with the committed files."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), names)
        differ = []
        for spec in MODELS:
            if names and spec["name"] not in names:
                continue
            for f in ["config.json", "model.safetensors", "reference.json", "reference.safetensors"]:
                a, b = committed / spec["name"] / f, Path(tmp, spec["name"], f)
                if not a.exists() or not filecmp.cmp(a, b, shallow=False):
                    differ.append(str(a))
                    if f == "reference.safetensors" and a.exists():
                        old, new = load_file(a), load_file(b)
                        worst = max((old[k] - new[k]).abs().max().item() for k in new if k in old)
                        print(f"{a}: max |logit difference| {worst:.3g}")
        if differ:
            sys.exit("generate.py --check: these files differ from a fresh generation:\n  " + "\n  ".join(differ))
        print("generate.py --check: the committed files are what this script writes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "models")
    ap.add_argument("--only", action="append", default=[], help="model name (repeatable); default: all")
    ap.add_argument("--check", action="store_true", help="compare a fresh generation with --out, write nothing")
    ap.add_argument("--allow-other-versions", action="store_true")
    args = ap.parse_args()
    check_versions(args.allow_other_versions)
    if args.check:
        check(args.out, args.only)
    else:
        generate(args.out, args.only)


if __name__ == "__main__":
    main()
