"""PyTorch's side of bench/gpu/steps.ts: 100 timed training steps of the same shape (MiniLM-L6: 6 layers,
hidden 384, 12 heads, intermediate 1536, vocab 30522), batch 8 x length 65, dropout 0.1, AdamW lr 5e-5,
float32, each step ending with loss.item() as the kit's reads the loss. CUDA when there is one, else CPU.
TF32 stays off (PyTorch's default for float32 matmuls), so both sides compute in float32.

    python bench/gpu/pytorch_steps.py [--steps 100] [--warmup 3] [--device cuda|cpu]
Prints one JSON line.
"""
import argparse
import json
import statistics
import time

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = parser.parse_args()

torch.manual_seed(0)
device = torch.device(args.device)
config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                    intermediate_size=1536, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, num_labels=2)
model = BertForSequenceClassification(config).to(device)
model.train()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
batch_size, length = 8, 65
batch = {
    "input_ids": torch.randint(1000, 30522, (batch_size, length), device=device),
    "token_type_ids": (torch.arange(length, device=device) >= length / 2).long().expand(batch_size, length).contiguous(),
    "attention_mask": torch.ones(batch_size, length, dtype=torch.long, device=device),
    "labels": torch.randint(0, 2, (batch_size,), device=device),
}


def step():
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


warmup_ms = []
for _ in range(args.warmup):
    t = time.perf_counter()
    step()
    warmup_ms.append((time.perf_counter() - t) * 1e3)
samples, losses = [], []
t0 = time.perf_counter()
for _ in range(args.steps):
    t = time.perf_counter()
    losses.append(step())
    samples.append((time.perf_counter() - t) * 1e3)
total_ms = (time.perf_counter() - t0) * 1e3
print(json.dumps({
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "device": str(device),
    "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
    "threads": torch.get_num_threads(),
    "tf32": torch.backends.cuda.matmul.allow_tf32,
    "steps": args.steps,
    "warmup_ms": warmup_ms,
    "total_ms": total_ms,
    "median_step_ms": statistics.median(samples),
    "min_step_ms": min(samples),
    "max_step_ms": max(samples),
    "first_loss": losses[0],
    "last_loss": losses[-1],
}))
