#!/usr/bin/env python3
"""Step-1 gradient error against float64, the kit's and PyTorch's, tensor by tensor (issue 17).

--dump OUT: PyTorch's float32 step-1 gradients of the tiny reference (train mode, dropout 0, the reference batch),
written to OUT (run it under each OPENBLAS_CORETYPE with /tmp/py113's torch 1.13, once with a pip torch).
Otherwise: compare the float32 gradient files given (the kit's from bench/step1-grads.ts, PyTorch's from --dump)
with f64/grads_step1_wd0.0.safetensors and print, per file, max|g32 - g64| over a tensor and at one element.

Run: python3 bench/python/grad_error.py --tensor bert.encoder.layer.0.attention.self.value.bias --element 20 A.safetensors B.safetensors ...
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_reference import REF, load_reference, reference_batch, reference_run  # noqa: E402


def dump(out: str) -> None:
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    ref = load_reference()
    model, _, _ = reference_run(ref["train"]["weight_decay=0.0"])
    model(**reference_batch(ref)).loss.backward()
    save_file({n: p.grad.contiguous() for n, p in model.named_parameters()}, out, {"torch": torch.__version__, "coretype": os.environ.get("OPENBLAS_CORETYPE", "")})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dump")
    p.add_argument("--tensor", default="bert.encoder.layer.0.attention.self.value.bias")
    p.add_argument("--element", type=int, default=20)
    p.add_argument("--all", action="store_true", help="also print each tensor's max error, file against file")
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    if a.dump:
        dump(a.dump)
        return 0
    import numpy as np
    from safetensors.numpy import load_file

    truth = load_file(os.path.join(REF, "f64", "grads_step1_wd0.0.safetensors"))
    t = truth[a.tensor].astype(np.float64).ravel()
    e = a.element
    print(f"{a.tensor}: f64[{e}] = {t[e]:.6e}, max|f64| = {np.abs(t).max():.3e}")
    print(f"{'file':48s} {'g32[e]':>14s} {'err[e]':>10s} {'max err':>10s} {'at':>4s} {'rms err':>10s}")
    rows = {}
    for f in a.files:
        g = load_file(f)
        x = g[a.tensor].astype(np.float64).ravel()
        d = np.abs(x - t)
        print(f"{os.path.basename(f):48s} {x[e]:14.6e} {d[e]:10.3e} {d.max():10.3e} {int(d.argmax()):4d} {np.sqrt((d * d).mean()):10.3e}")
        rows[f] = {n: float(np.abs(g[n].astype(np.float64) - truth[n]).max()) for n in truth}
    if a.all:
        names = list(truth)
        print("max |g32 - f64| per tensor:")
        print("tensor".ljust(58) + " ".join(os.path.basename(f)[:10].rjust(10) for f in a.files))
        for n in names:
            print(n.ljust(58) + " ".join(f"{rows[f][n]:10.2e}" for f in a.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
