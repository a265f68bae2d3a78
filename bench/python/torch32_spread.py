#!/usr/bin/env python3
"""How far PyTorch's own float32 runs land from the float64 truth, across the BLAS kernels it runs on.

DESIGN.md §6's float64 clause lets a tensor pass when max|ours - f64| <= 2 * max|torch32 - f64| + atol, with
torch32 the reference's one float32 run. That run is one draw: the same PyTorch 1.13 (Debian's build, the one
../shared/reference/tiny-v128-h32/f64/summary.json names), rerun here with OpenBLAS told to use another CPU
kernel (OPENBLAS_CORETYPE), lands further than twice its own error on 9 to 13 of 237 tensors, all of them
zero-initialised biases whose gradient is about Adam's eps (lr*g/(|g|+eps) then multiplies the gradient's
last-bit error by hundreds). With Haswell's kernel it reproduces the reference's errors exactly.

This reruns the reference's three training runs (train mode, dropout 0, the recorded batch, optimizer and
schedule) in float32 under each interpreter given and each OpenBLAS kernel, and writes, per file and tensor,
the largest |torch32 - f64| over those runs to test/fixtures/tiny-f64/torch32-spread.json, with the run it
came from. For step 2, where the float32 reference is known only by its statistics, the same for sum, abs-sum
and first values. The truth: f64/ for steps 1 and 3, test/fixtures/tiny-f64/ (f64_step2.py) for step 2.

Run: python3 bench/python/torch32_spread.py --python /tmp/py113/bin/python --python /tmp/pyenv/bin/python
(each interpreter with torch, transformers and safetensors; see bench/python/README.md)
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_reference import REF, ROOT, RUNS, load_reference, reference_batch, reference_run  # noqa: E402

STEP2 = os.path.join(ROOT, "test", "fixtures", "tiny-f64")
OUT = os.path.join(STEP2, "torch32-spread.json")
# The kernels OpenBLAS 0.3.21 picks among on x86-64 CPUs of the last decade; PyTorch wheels from pip use their
# own kernels and ignore the variable (run once).
CORETYPES = ["Haswell", "SkylakeX", "Cooperlake", "Zen", "Sandybridge"]


def errors() -> dict:
    """One float32 run of the three fixtures in this process: {file: {tensor: err}} and step-2 statistics."""
    import torch
    from safetensors.torch import load_file

    torch.set_num_threads(1)
    ref = load_reference()
    batch = reference_batch(ref)
    out: dict = {"max_abs": {}, "step2_stats": {}}
    for label, fixture in ref["train"].items():
        run = RUNS[label]
        model, optimizer, scheduler = reference_run(fixture)

        def record(file: str, truth: dict, tensors: dict) -> None:
            out["max_abs"][file] = {n: (tensors[n].double() - t).abs().max().item() for n, t in truth.items()}

        for step in (1, 2, 3):
            model(**batch).loss.backward()
            if step == 1:
                truth = load_file(os.path.join(REF, "f64", f"grads_step1_{run}.safetensors"))
                record(f"grads_step1_{run}", truth, {n: p.grad for n, p in model.named_parameters()})
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            params = {n: p.detach() for n, p in model.named_parameters()}
            if step in (1, 3):
                record(f"after_step{step}_{run}", load_file(os.path.join(REF, "f64", f"after_step{step}_{run}.safetensors")), params)
            else:
                truth = load_file(os.path.join(STEP2, f"after_step2_{run}.safetensors"))
                record(f"after_step2_{run}", truth, params)
                stats = {}
                for n, t in truth.items():
                    ours = params[n].double().flatten()
                    t = t.flatten()
                    k = len(fixture["steps"][1]["param_stats_after_update"][n]["first"])
                    stats[n] = {
                        "sum": abs(ours.sum().item() - t.sum().item()),
                        "abs_sum": abs(ours.abs().sum().item() - t.abs().sum().item()),
                        "first": (ours[:k] - t[:k]).abs().max().item(),
                    }
                out["step2_stats"][run] = stats
    out["torch"] = torch.__version__
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="append", required=False, help="an interpreter with torch (repeatable)")
    parser.add_argument("--one", action="store_true", help="internal: print one run's errors as JSON")
    a = parser.parse_args()
    if a.one:
        json.dump(errors(), sys.stdout)
        return 0
    merged: dict = {"max_abs": {}, "step2_stats": {}}
    runs = []
    for py in a.python or [sys.executable]:
        version = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True, check=True).stdout.strip()
        pip_wheel = "+cpu" in version or not version.startswith("1.13")
        for core in [None] if pip_wheel else CORETYPES:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
            if core:
                env["OPENBLAS_CORETYPE"] = core
            tag = f"torch {version}" + (f", OpenBLAS {core}" if core else "")
            print("running", tag, file=sys.stderr)
            res = subprocess.run([py, os.path.abspath(__file__), "--one"], capture_output=True, text=True, env=env)
            if res.returncode != 0:
                print(res.stderr, file=sys.stderr)
                return 1
            r = json.loads(res.stdout)
            runs.append(tag)
            for file, tensors in r["max_abs"].items():
                for n, e in tensors.items():
                    cur = merged["max_abs"].setdefault(file, {}).get(n)
                    if cur is None or e > cur["err"]:
                        merged["max_abs"][file][n] = {"err": e, "run": tag}
            for run, tensors in r["step2_stats"].items():
                for n, s in tensors.items():
                    cur = merged["step2_stats"].setdefault(run, {}).setdefault(n, {})
                    for key, e in s.items():
                        if key not in cur or e > cur[key]["err"]:
                            cur[key] = {"err": e, "run": tag}
    doc = {
        "generator": "bench/python/torch32_spread.py",
        "note": "max over the runs listed of |PyTorch float32 - float64|, per file and tensor (step 2: per statistic)",
        "runs": runs,
        **merged,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", os.path.relpath(OUT, ROOT), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
