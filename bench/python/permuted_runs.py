#!/usr/bin/env python3
"""A distribution of float32 gradient errors, the kit's and PyTorch's, from the same function computed in other orders.

The tiny reference's BERT is invariant under a permutation of its hidden units (the residual stream's 32, applied to
embeddings, LayerNorms, every Linear's input or output) and of its 128 intermediate units: the loss and the gradient of
each attention bias are mathematically unchanged, but every GEMM sums in another order and every LayerNorm reduces in
another order, so each permutation is a fresh draw of float32 rounding. Over N draws, the error of
layer.0.attention.self.value.bias's step-1 gradient (element 20 and the whole tensor) against the float64 truth tells
whether an implementation is less accurate or only drew differently on the reference's one ordering (issue 17).

  --make DIR --count N [--seed S]   write DIR/<k>/ (k = 0 the reference itself) checkpoints
  --torch DIR OUT                   PyTorch's float32 step-1 value-bias gradients for each DIR/<k> (run under
                                    /tmp/py113 with OPENBLAS_CORETYPE set, or a pip torch) -> OUT (.npz)
  --kit DIR TAG OUT                 collect DIR/<k>/kit-TAG.safetensors (`npx tsx bench/step1-grads.ts
                                    DIR/<k>/kit-TAG.safetensors DIR/<k>` for each k) -> OUT (.npz)
  --compare OUT...                  the table
"""
import argparse
import glob
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_reference import REF, load_reference, reference_batch  # noqa: E402

TENSORS = ["bert.encoder.layer.0.attention.self.value.bias", "bert.encoder.layer.1.attention.self.value.bias"]


def permute(state: dict, p, q) -> dict:
    """p: hidden units, q: intermediate units (new[i] = old[p[i]])."""
    out = {}
    for n, w in state.items():
        if n.startswith("bert.embeddings.") and n.endswith("embeddings.weight"):
            w = w[:, p]
        elif "LayerNorm" in n or n.endswith(("attention.output.dense.bias", "output.dense.bias")) and "intermediate" not in n:
            w = w[p]
        elif n.endswith(("self.query.weight", "self.key.weight", "self.value.weight")) or n == "classifier.weight":
            w = w[:, p]
        elif n.endswith("attention.output.dense.weight"):
            w = w[p, :]
        elif n.endswith("intermediate.dense.weight"):
            w = w[q][:, p]
        elif n.endswith("intermediate.dense.bias"):
            w = w[q]
        elif n.endswith("output.dense.weight"):
            w = w[p][:, q]
        elif n == "bert.pooler.dense.weight":
            w = w[p][:, p]
        elif n == "bert.pooler.dense.bias":
            w = w[p]
        out[n] = w.copy()
    return out


def make(d: str, count: int, seed: int) -> None:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    ck = os.path.join(REF, "checkpoint")
    state = load_file(os.path.join(ck, "model.safetensors"))
    hidden = state["bert.embeddings.LayerNorm.weight"].shape[0]
    inter = state["bert.encoder.layer.0.intermediate.dense.bias"].shape[0]
    rng = np.random.default_rng(seed)
    for k in range(count):
        p = np.arange(hidden) if k == 0 else rng.permutation(hidden)
        q = np.arange(inter) if k == 0 else rng.permutation(inter)
        out = os.path.join(d, str(k))
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(ck):
            if f not in ("model.safetensors", "pytorch_model.bin"):
                shutil.copy(os.path.join(ck, f), out)
        save_file(permute(state, p, q), os.path.join(out, "model.safetensors"), {"format": "pt"})


def torch_runs(d: str, out: str) -> None:
    import numpy as np
    import torch
    from transformers import BertForSequenceClassification

    torch.set_num_threads(1)
    batch = reference_batch(load_reference())
    rows = {n: [] for n in TENSORS}
    for k in sorted((int(x) for x in os.listdir(d)), key=int):
        model = BertForSequenceClassification.from_pretrained(os.path.join(d, str(k)), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        model.train()
        model(**batch).loss.backward()
        grads = dict((n, p.grad) for n, p in model.named_parameters())
        for n in TENSORS:
            rows[n].append(grads[n].double().numpy())
    np.savez(out, **{n: np.array(v) for n, v in rows.items()})


def kit_runs(d: str, tag: str, out: str) -> None:
    import numpy as np
    from safetensors.numpy import load_file

    rows = {n: [] for n in TENSORS}
    for k in sorted((int(x) for x in os.listdir(d)), key=int):
        g = load_file(os.path.join(d, str(k), f"kit-{tag}.safetensors"))
        for n in TENSORS:
            rows[n].append(g[n].astype(np.float64))
    np.savez(out, **{n: np.array(v) for n, v in rows.items()})


def compare(files: list, element: int) -> None:
    import numpy as np
    from safetensors.numpy import load_file

    truth = load_file(os.path.join(REF, "f64", "grads_step1_wd0.0.safetensors"))
    for n in TENSORS:
        t = truth[n]
        print(f"{n}: f64[{element}] = {t[element]:.4e}; errors in 1e-12, over the permutations (k = 0 is the reference's order)")
        print(f"{'run':28s} {'N':>3s} {'k=0 [e]':>8s} {'rms [e]':>8s} {'max|[e]|':>8s} {'mean [e]':>9s} {'rms all':>8s} {'max all':>8s}")
        for f in files:
            g = np.load(f)[n]
            e = (g - t) * 1e12
            print(f"{os.path.basename(f)[:-4]:28s} {len(e):3d} {e[0, element]:8.2f} {np.sqrt((e[:, element] ** 2).mean()):8.2f} {np.abs(e[:, element]).max():8.2f} "
                  f"{e[:, element].mean():9.2f} {np.sqrt((e ** 2).mean()):8.2f} {np.abs(e).max():8.2f}")


def main() -> int:
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--make")
    a.add_argument("--count", type=int, default=24)
    a.add_argument("--seed", type=int, default=17)
    a.add_argument("--torch", nargs=2, metavar=("DIR", "OUT"))
    a.add_argument("--kit", nargs=3, metavar=("DIR", "TAG", "OUT"))
    a.add_argument("--compare", nargs="+")
    a.add_argument("--element", type=int, default=20)
    x = a.parse_args()
    if x.make:
        make(x.make, x.count, x.seed)
    if x.torch:
        torch_runs(*x.torch)
    if x.kit:
        kit_runs(*x.kit)
    if x.compare:
        compare(x.compare, x.element)
    return 0


if __name__ == "__main__":
    sys.exit(main())
