#!/usr/bin/env python3
"""float64 parameters after step 2 of the three tiny-v128-h32 training runs, for DESIGN.md §6's float64 clause.

../shared/reference/tiny-v128-h32/f64/ holds the float64 truth after steps 1 and 3 only, while reference.json
records parameters after every step. This reruns the reference's loop (train mode, dropout 0, the recorded
batch, optimizer and linear schedule; loss.backward(), optimizer.step(), lr_scheduler.step(), zero_grad())
in float64, checks that steps 1 and 3 agree with f64/ (else it writes nothing), and writes the parameters the
tests compare after step 2 to test/fixtures/tiny-f64/after_step2_<run>.safetensors.
Run: /tmp/pyenv/bin/python bench/python/f64_step2.py   (torch, transformers, safetensors)
"""
import os
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_reference import REF, ROOT, RUNS, load_reference, reference_batch, reference_run  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "tiny-f64")
# Two float64 runs that differ only in summation order agree to ~1e-16 absolute here (parameters are at most
# ~1); float32 anywhere would show as ~1e-8. Relative terms would mislead: the key biases' float64 values are
# rounding noise (their gradient is mathematically zero) scaled by lr / eps.
AGREE = 1e-12


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    ref = load_reference()
    batch = reference_batch(ref)
    outputs = {}
    # What the tests compare after step 2: the zero-initialised tensors (biases, LayerNorm biases) and the
    # five reference.json records in full; the rest would only add weight to the repository.
    init = load_file(os.path.join(REF, "checkpoint", "model.safetensors"))
    keep = {n for n, t in init.items() if not t.any()}
    for fixture in ref["train"].values():
        keep |= set(fixture["steps"][1]["params_after_update"])
    for label, fixture in ref["train"].items():
        run = RUNS[label]
        model, optimizer, scheduler = reference_run(fixture, double=True)
        for step in (1, 2, 3):
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            state = {n: p.detach().clone() for n, p in model.named_parameters()}
            if step in (1, 3):
                truth = load_file(os.path.join(REF, "f64", f"after_step{step}_{run}.safetensors"))
                worst = max((state[n] - t).abs().max().item() for n, t in truth.items())
                print(f"{run} step {step}: max |ours - f64/| over all tensors = {worst:.2e}")
                if worst > AGREE:
                    print(f"{run} step {step} does not agree with f64/ (limit {AGREE}); nothing written", file=sys.stderr)
                    return 1
            if step == 2:
                outputs[run] = {n: t for n, t in state.items() if n in keep}
    os.makedirs(OUT, exist_ok=True)
    for run, state in outputs.items():
        path = os.path.join(OUT, f"after_step2_{run}.safetensors")
        save_file({n: t.contiguous() for n, t in state.items()}, path, metadata={"generator": "bench/python/f64_step2.py", "torch": torch.__version__})
        print("wrote", os.path.relpath(path, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
