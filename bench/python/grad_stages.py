#!/usr/bin/env python3
"""The step-1 backward pass of the tiny reference stage by stage, the kit's and PyTorch's against float64 (issue 17).

--dump OUT [--double]: PyTorch's gradients w.r.t. the input and the output of every nn.Linear ("<module>.in" /
".out", tensor hooks) and the parameter gradients, float32 (or float64 with --double), to OUT. Run it under
/tmp/py113 with each OPENBLAS_CORETYPE, and once with --double for the truth.
Otherwise: TRUTH.safetensors then float32 files (the kit's from bench/step1-intermediates.ts, PyTorch's from
--dump): per stage, in backward order, max and rms |x32 - x64| relative to max|x64|, and for the stages that
feed layer.0.attention.self.value.bias, the error their rows' sum carries into that bias at one element.

Run: python3 bench/python/grad_stages.py TRUTH.safetensors A.safetensors B.safetensors ...
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_reference import REF, load_reference, reference_batch, reference_run  # noqa: E402


def dump(out: str, double: bool) -> None:
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    ref = load_reference()
    model, _, _ = reference_run(ref["train"]["weight_decay=0.0"], double=double)
    got = {}

    def hook(name):
        def f(mod, inp, out):
            inp[0].register_hook(lambda g: got.__setitem__(f"{name}.in", g.detach().clone()))
            out.register_hook(lambda g: got.__setitem__(f"{name}.out", g.detach().clone()))
        return f

    for n, m in model.named_modules():
        if isinstance(m, torch.nn.Linear):
            m.register_forward_hook(hook(n))
    model(**reference_batch(ref)).loss.backward()
    for n, p in model.named_parameters():
        got[n] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in got.items()}, out, {"torch": torch.__version__, "coretype": os.environ.get("OPENBLAS_CORETYPE", "")})


# Not compared: the input of a Linear whose input also goes elsewhere (query / key / value's, intermediate.dense's
# beside the residual): PyTorch's hook sees the tensor's whole gradient, the kit's probe only that Linear's part.
# Backward order of the stages that lead to layer.0's value bias (the rows of the value projection's dY sum to it).
CHAIN = [
    "classifier.out", "classifier.in", "bert.pooler.dense.out", "bert.pooler.dense.in",
    "bert.encoder.layer.1.output.dense.out", "bert.encoder.layer.1.output.dense.in", "bert.encoder.layer.1.intermediate.dense.out",
    "bert.encoder.layer.1.attention.output.dense.out", "bert.encoder.layer.1.attention.output.dense.in",
    "bert.encoder.layer.1.attention.self.value.out", "bert.encoder.layer.1.attention.self.query.out", "bert.encoder.layer.1.attention.self.key.out",
    "bert.encoder.layer.0.output.dense.out", "bert.encoder.layer.0.output.dense.in",
    "bert.encoder.layer.0.intermediate.dense.out", "bert.encoder.layer.0.attention.output.dense.out",
    "bert.encoder.layer.0.attention.output.dense.in", "bert.encoder.layer.0.attention.self.value.out",
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dump")
    p.add_argument("--double", action="store_true")
    p.add_argument("--element", type=int, default=20)
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    if a.dump:
        dump(a.dump, a.double)
        return 0
    import numpy as np
    from safetensors.numpy import load_file

    truth = load_file(a.files[0])
    runs = [(os.path.basename(f).replace(".safetensors", "")[:14], load_file(f)) for f in a.files[1:]]
    e = a.element
    print("per stage: rms|x32 - x64| / max|x64| (1e-8), then, for stages whose row sums feed layer.0's value bias, that sum's error at element", e)
    print("stage".ljust(58) + "".join(n.rjust(15) for n, _ in runs))
    for s in CHAIN:
        t = truth[s].astype(np.float64)
        scale = np.abs(t).max()
        cells = [np.sqrt(((r[s].astype(np.float64) - t) ** 2).mean()) / scale * 1e8 for _, r in runs]
        print(s.ljust(58) + "".join(f"{c:15.3f}" for c in cells))
    # The value bias's gradient is the column sum of the value projection's dY; in exact arithmetic that equals the
    # column sum of attention.output.dense's dX (softmax rows sum to 1), = W_o^T (column sum of its dY).
    L = "bert.encoder.layer.0.attention."
    print(f"error of layer.0 value.bias[{e}] carried by each stage's column sum (1e-12):")
    w = load_file(os.path.join(REF, "checkpoint", "model.safetensors"))[L + "output.dense.weight"].astype(np.float64)
    for s in [L + "output.dense.out", L + "output.dense.in", L + "self.value.out"]:
        t = truth[s].astype(np.float64)
        tsum = t.reshape(-1, t.shape[-1]).sum(0)
        cells = []
        for _, r in runs:
            x = r[s].astype(np.float64).reshape(-1, t.shape[-1]).sum(0) - tsum
            if s.endswith("output.dense.out"):
                x = w.T @ x
            cells.append(x[e] * 1e12)
        print(("sum rows " + s).ljust(58) + "".join(f"{c:15.2f}" for c in cells))
    vb = L + "self.value.bias"
    print(("grad " + vb).ljust(58) + "".join(f"{(r[vb].astype(np.float64)[e] - truth[vb][e]) * 1e12:15.2f}" for _, r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
