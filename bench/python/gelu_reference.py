"""Writes test/fixtures/gelu/torch-gelu.safetensors: PyTorch's exact GELU (approximate="none") and its gradient
on float32 inputs, in float32 (what torch computes) and float64 (the truth to float32 precision), for the kit's
GELU tests (test/backend/native-elementwise.test.ts) to compare with by DESIGN.md section 6.

Inputs: the tails and special points (+-0, +-1e-3, +-1, +-3, +-6, +-10, ...), a grid on [-12, 12], and
normal batches (std 1 and std 4, as BERT's pre-activations run); dy is a normal draw per input.
Run: /tmp/pyenv/bin/python bench/python/gelu_reference.py
"""
import json
import os

import numpy as np
import torch
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "fixtures", "gelu", "torch-gelu.safetensors")


def inputs() -> np.ndarray:
    special = [0.0, -0.0, 1e-3, -1e-3, 1e-7, -1e-7, 0.5, -0.5, 1.0, -1.0, 2.4, -2.4, 3.0, -3.0, 5.7, -5.7,
               6.0, -6.0, 8.0, -8.0, 10.0, -10.0, 13.0, -13.0, 20.0, -20.0, 1e4, -1e4]
    grid = np.linspace(-12.0, 12.0, 1201)
    rng = np.random.default_rng(15)
    normal = rng.standard_normal(2048)
    wide = 4.0 * rng.standard_normal(1024)
    return np.concatenate([np.array(special), grid, normal, wide]).astype(np.float32)


def gelu_and_grad(x: np.ndarray, dy: np.ndarray, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray]:
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    y = torch.nn.functional.gelu(xt, approximate="none")
    y.backward(torch.tensor(dy, dtype=dtype))
    return y.detach().numpy(), xt.grad.numpy()


def main() -> None:
    torch.set_num_threads(1)
    x = inputs()
    dy = np.random.default_rng(16).standard_normal(x.size).astype(np.float32)
    y32, dx32 = gelu_and_grad(x, dy, torch.float32)
    y64, dx64 = gelu_and_grad(x, dy, torch.float64)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    meta = {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "inputs": "28 special points, 1201 on a grid over [-12, 12], 2048 N(0, 1), 1024 N(0, 16)"}
    save_file({"x": x, "dy": dy, "y32": y32, "dx32": dx32, "y64": y64, "dx64": dx64}, OUT,
              metadata={k: str(v) for k, v in meta.items()})
    print(json.dumps({"out": os.path.relpath(OUT), "n": int(x.size), **meta,
                      "max_abs_y32_minus_y64": float(np.max(np.abs(y32 - y64))),
                      "max_abs_dx32_minus_dx64": float(np.max(np.abs(dx32 - dx64))),
                      "torch32_gelu_at_minus_6": float(y32[17])}))


if __name__ == "__main__":
    main()
