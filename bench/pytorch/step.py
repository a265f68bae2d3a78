#!/usr/bin/env python3
"""The kit's training step in PyTorch, for `npm run bench` to put side by side with ours.

A minimal BERT for sequence classification (the layers of transformers' modeling_bert, without
transformers, which is not installed here): same shapes, batch 8, length 65, dropout 0.1, exact GELU,
AdamW (torch.optim, lr 5e-5). Times the forward pass (train mode, torch.no_grad) and the training step
(zero_grad + forward + backward + AdamW step), median over --steps after --warmup, on --threads threads.
Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (python3-torch on libopenblas0-pthread, the kit's BLAS) or a venv with
PyTorch 2.13 (KIT_TORCH_PYTHON). --gemm-check: one GEMM's result hash and the BLAS kernel, no model.
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

SHAPES = {
    "tiny": dict(layers=2, hidden=128, heads=2, intermediate=512),
    "mini": dict(layers=4, hidden=256, heads=4, intermediate=1024),
    "small": dict(layers=4, hidden=512, heads=8, intermediate=2048),
    "base": dict(layers=12, hidden=768, heads=12, intermediate=3072),
    # The pretrained preset's shape (sentence-transformers/all-MiniLM-L6-v2).
    "minilm": dict(layers=6, hidden=384, heads=12, intermediate=1536),
}


def blas_runtime():
    """The BLAS this process loaded: its files, and for OpenBLAS its kernel (core) name, config and threads.

    Read from the library itself (ctypes on the mapped file), since OPENBLAS_CORETYPE may override the kernel
    the CPU would get. threadpoolctl says the same when it is installed; it is optional here.
    """
    import ctypes
    try:
        with open(f"/proc/{os.getpid()}/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if ("blas" in ln.lower() or "mkl" in ln.lower()) and ".so" in ln})
    except OSError:
        libs = []
    info = {"libraries": libs, "corename": None, "config": None, "threads": None}
    for lib in libs:
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_corename.restype = ctypes.c_char_p
            h.openblas_get_config.restype = ctypes.c_char_p
            info["corename"] = h.openblas_get_corename().decode()
            info["config"] = h.openblas_get_config().decode()
            info["threads"] = h.openblas_get_num_threads()
            break
        except (OSError, AttributeError):
            continue
    return info


def set_blas_threads(n):
    """OpenBLAS's pthread pool starts one thread per core whatever torch.set_num_threads says; size it too."""
    import ctypes
    for lib in blas_runtime()["libraries"]:
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            continue


def gemm_check(torch):
    """One seeded float32 GEMM of BERT's dense shape (520 x 384 @ 384 x 1536): its result's sha256, to compare
    a run with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset against the run with them as set."""
    import hashlib
    g = torch.Generator().manual_seed(0)
    a = torch.rand(520, 384, generator=g) - 0.5
    b = torch.rand(384, 1536, generator=g) - 0.5
    c = torch.matmul(a, b)
    return {"shape": [520, 384, 1536], "sha256": hashlib.sha256(c.numpy().tobytes()).hexdigest(), "sum": float(c.double().sum())}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=sorted(SHAPES))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=65)
    ap.add_argument("--vocab", type=int, default=30522)
    ap.add_argument("--gemm-check", action="store_true", help="only the GEMM check, no model")
    args = ap.parse_args()
    if args.shape is None and not args.gemm_check:
        ap.error("--shape is required (or --gemm-check)")

    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    set_blas_threads(args.threads)
    if args.gemm_check:
        import re
        m = re.search(r"BLAS_INFO=([^,]+)", torch.__config__.show())
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blasRuntime": blas_runtime(),
                          "blas": m.group(1).strip() if m else "unknown",
                          "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
                          "gemm": gemm_check(torch)}))
        return 0
    torch.manual_seed(0)
    s = SHAPES[args.shape]
    H, A, I, L = s["hidden"], s["heads"], s["intermediate"], s["layers"]
    p_drop = 0.1

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
            self.attn_out = nn.Linear(H, H)
            self.ln1 = nn.LayerNorm(H, eps=1e-12)
            self.inter = nn.Linear(H, I)
            self.out = nn.Linear(I, H)
            self.ln2 = nn.LayerNorm(H, eps=1e-12)
            self.drop = nn.Dropout(p_drop)

        def heads(self, x):
            b, t, _ = x.shape
            return x.view(b, t, A, H // A).permute(0, 2, 1, 3)

        def forward(self, x, mask):
            q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // A) + mask
            probs = self.drop(torch.softmax(scores, dim=-1))
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(x.shape)
            x = self.ln1(self.drop(self.attn_out(ctx)) + x)
            h = nn.functional.gelu(self.inter(x))
            return self.ln2(self.drop(self.out(h)) + x)

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding(args.vocab, H, padding_idx=0)
            self.pos = nn.Embedding(512, H)
            self.token_type = nn.Embedding(2, H)
            self.ln = nn.LayerNorm(H, eps=1e-12)
            self.drop = nn.Dropout(p_drop)
            self.layers = nn.ModuleList([Layer() for _ in range(L)])
            self.pooler = nn.Linear(H, H)
            self.classifier = nn.Linear(H, 2)

        def forward(self, ids, types, attn, labels):
            pos = torch.arange(ids.shape[1]).unsqueeze(0)
            x = self.drop(self.ln(self.word(ids) + self.token_type(types) + self.pos(pos)))
            mask = (1.0 - attn[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for layer in self.layers:
                x = layer(x, mask)
            pooled = torch.tanh(self.pooler(x[:, 0]))
            logits = self.classifier(self.drop(pooled))
            return nn.functional.cross_entropy(logits, labels)

    model = Bert()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, args.vocab, (args.batch, args.length), generator=g)
    types = torch.zeros_like(ids)
    attn = torch.ones_like(ids)
    labels = torch.randint(0, 2, (args.batch,), generator=g)

    def forward():
        with torch.no_grad():
            model(ids, types, attn, labels).item()

    def step():
        opt.zero_grad()
        loss = model(ids, types, attn, labels)
        loss.backward()
        opt.step()
        loss.item()

    def timed(fn):
        for _ in range(args.warmup):
            fn()
        out = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    fwd = timed(forward)
    steps = timed(step)
    config = torch.__config__.show()
    import re
    m = re.search(r"BLAS_INFO=([^,]+)", config)
    blas = m.group(1).strip() if m else "unknown"
    # Debian links libblas.so.3 through alternatives: say which library it resolves to, and its kernel.
    runtime = blas_runtime()
    libs = runtime["libraries"]
    print(json.dumps({
        "shape": args.shape,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "blas": blas,
        "blasLibraries": libs,
        "blasCorename": runtime["corename"],
        "blasThreads": runtime["threads"],
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "forwardMs": statistics.median(fwd),
        "stepMs": statistics.median(steps),
        "forwardSamplesMs": fwd,
        "stepSamplesMs": steps,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
