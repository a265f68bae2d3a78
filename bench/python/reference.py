#!/usr/bin/env python3
"""Reference outputs of the pretrained checkpoint (sentence-transformers/all-MiniLM-L6-v2) for the kit's
parity tests (test/model/pretrained-parity.test.ts, test/training/pretrained-parity.test.ts).

- A classifier head initialised here as transformers' _init_weights does (normal std 0.02, bias 0) from a
  fixed torch seed, and saved (head.safetensors) so that the kit starts from the same head.
- Eval mode on 2 real MRPC validation batches of 8 (rows 0-7, 8-15; tokenized with truncation=True, padded
  by DataCollatorWithPadding): logits, loss, pooler output, every hidden state.
- 3 training steps (train mode, hidden_dropout_prob = attention_probs_dropout_prob = 0) on MRPC train rows
  0-7, 8-15, 16-23, with the course's legacy `transformers.AdamW(model.parameters(), lr=5e-5)` and
  get_scheduler("linear", num_warmup_steps=0, num_training_steps=1377).
- Everything run twice, in float32 and in float64 (the truth to float32 precision), and, per tensor,
  PyTorch's own float32 error max|torch32 - f64| recorded, as ../shared/reference/tiny-v128-h32/f64 does:
  DESIGN.md §6's ill-conditioned clause needs it.

Small tensors are written in full (logits, losses, pooler outputs, the classifier's weights and gradients,
two rows of each hidden state); every other tensor by sum / abs-sum / first values in float32 and float64.

    HF_HUB_OFFLINE=1 python bench/python/reference.py [--out-dir test/fixtures/all-minilm-l6-v2]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from local_files import CHECKPOINT, ROOT, glue_data_files  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HEAD_SEED = 1234
VALIDATION_BATCHES = [list(range(0, 8)), list(range(8, 16))]
TRAIN_BATCHES = [list(range(0, 8)), list(range(8, 16)), list(range(16, 24))]
NUM_TRAINING_STEPS = 1377
LR = 5e-5
FIRST = 8  # first values kept of each summarised tensor
# Hidden-state rows kept in full: (example, token) = first token of the first example, and a padded
# position of the batch's shortest example (there the attention mask matters).
FULL_PARAMS = ("classifier.weight", "classifier.bias")


def stats(t32, t64):
    import torch
    a, b = t32.detach().double().reshape(-1), t64.detach().double().reshape(-1)
    return {
        "sum": float(a.sum()), "abs_sum": float(a.abs().sum()), "first": a[:FIRST].tolist(),
        # DESIGN.md §6: atol = 1e-6 * max|b| over the whole tensor, which the first values alone do not give.
        "max_abs": float(a.abs().max()) if a.numel() else 0.0,
        "sum_f64": float(b.sum()), "abs_sum_f64": float(b.abs().sum()), "first_f64": b[:FIRST].tolist(),
        "max_abs_torch32_minus_f64": float((a - b).abs().max()) if a.numel() else 0.0,
        "shape": list(t32.shape),
    }


def full(t32, t64):
    return {
        "value": t32.detach().double().tolist(), "f64": t64.detach().double().tolist(),
        "max_abs_torch32_minus_f64": float((t32.detach().double() - t64.detach().double()).abs().max()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "test", "fixtures", "all-minilm-l6-v2"))
    args = ap.parse_args()

    import pyarrow.parquet as pq
    import torch
    import transformers
    from safetensors.torch import save_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, get_scheduler
    from transformers import AdamW  # the French course text's optimizer (legacy; FutureWarning in 4.49)

    torch.set_num_threads(1)
    os.makedirs(args.out_dir, exist_ok=True)
    files = glue_data_files("mrpc", ("train", "validation"))
    tables = {s: pq.read_table(p).to_pydict() for s, p in files.items()}
    tokenizer = AutoTokenizer.from_pretrained(CHECKPOINT)
    collator = DataCollatorWithPadding(tokenizer=tokenizer)

    def batch_of(split, rows):
        t = tables[split]
        enc = tokenizer([t["sentence1"][i] for i in rows], [t["sentence2"][i] for i in rows], truncation=True)
        features = [{k: enc[k][j] for k in enc} | {"labels": t["label"][j_row]} for j, j_row in enumerate(rows)]
        return collator(features)

    def load(dtype):
        model = AutoModelForSequenceClassification.from_pretrained(
            CHECKPOINT, num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        with torch.no_grad():
            model.classifier.weight.copy_(head["classifier.weight"])
            model.classifier.bias.copy_(head["classifier.bias"])
        return model.to(dtype)

    # The shared head: _init_weights' normal(0, initializer_range) and zero bias, from a fixed seed.
    gen = torch.Generator().manual_seed(HEAD_SEED)
    head = {
        "classifier.weight": torch.empty(2, 384).normal_(0.0, 0.02, generator=gen),
        "classifier.bias": torch.zeros(2),
    }
    save_file(head, os.path.join(args.out_dir, "head.safetensors"),
              metadata={"generator": "bench/python/reference.py", "init": f"normal(0, 0.02), torch.Generator seed {HEAD_SEED}; bias 0"})

    models = {"f32": load(torch.float32), "f64": load(torch.float64)}
    names = [n for n, _ in models["f32"].named_parameters()]

    # --- Eval mode ---
    evals = []
    for rows in VALIDATION_BATCHES:
        batch = batch_of("validation", rows)
        outs = {}
        for key, model in models.items():
            model.eval()
            with torch.no_grad():
                out = model(**batch, output_hidden_states=True)
                pooled = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                    token_type_ids=batch["token_type_ids"]).pooler_output
            outs[key] = (out, pooled)
        (o32, p32), (o64, p64) = outs["f32"], outs["f64"]
        lengths = batch["attention_mask"].sum(1).tolist()
        shortest = min(range(len(rows)), key=lambda i: lengths[i])
        padded_token = batch["input_ids"].shape[1] - 1 if lengths[shortest] < batch["input_ids"].shape[1] else 0
        row_picks = [[0, 0], [shortest, padded_token]]
        evals.append({
            "split": "validation", "rows": rows,
            "batch": {k: v.tolist() for k, v in batch.items()},
            "logits": full(o32.logits, o64.logits),
            "loss": full(o32.loss, o64.loss),
            "pooler_output": full(p32, p64),
            "hidden_state_rows": row_picks,
            "hidden_states": [
                {"stats": stats(h32, h64),
                 "rows": [full(h32[b, t], h64[b, t]) for b, t in row_picks]}
                for h32, h64 in zip(o32.hidden_states, o64.hidden_states)
            ],
        })

    # --- Three training steps ---
    runs = {}
    for key, model in models.items():
        model.train()
        optimizer = AdamW(model.parameters(), lr=LR)
        lr_scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=0, num_training_steps=NUM_TRAINING_STEPS)
        steps = []
        for rows in TRAIN_BATCHES:
            batch = batch_of("train", rows)
            lr_used = lr_scheduler.get_last_lr()[0]
            out = model(**batch)
            out.loss.backward()
            grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            params = {n: p.detach().clone() for n, p in model.named_parameters()}
            steps.append({"batch": batch, "lr_used": lr_used, "lr_after": lr_scheduler.get_last_lr()[0],
                          "loss": out.loss.detach(), "logits": out.logits.detach(), "grads": grads, "params": params})
        runs[key] = steps

    train_steps = []
    for k, rows in enumerate(TRAIN_BATCHES):
        s32, s64 = runs["f32"][k], runs["f64"][k]
        train_steps.append({
            "step": k + 1, "split": "train", "rows": rows,
            "batch": {n: v.tolist() for n, v in s32["batch"].items()},
            "lr_used": s32["lr_used"], "lr_after_scheduler_step": s32["lr_after"],
            "loss_before_update": full(s32["loss"], s64["loss"]),
            "logits_before_update": full(s32["logits"], s64["logits"]),
            "grads": {n: full(s32["grads"][n], s64["grads"][n]) for n in FULL_PARAMS},
            "grad_stats": {n: stats(s32["grads"][n], s64["grads"][n]) for n in names},
            "params_after_update": {n: full(s32["params"][n], s64["params"][n]) for n in FULL_PARAMS},
            "param_stats_after_update": {n: stats(s32["params"][n], s64["params"][n]) for n in names},
        })

    fixture = {
        "generator": "bench/python/reference.py",
        "torch_version": torch.__version__, "transformers_version": transformers.__version__, "threads": 1,
        "checkpoint": CHECKPOINT,
        "head_file": "head.safetensors", "head_init": f"normal(0, 0.02) from torch.Generator().manual_seed({HEAD_SEED}); bias 0",
        "note": ("value: PyTorch float32; f64: the same computation in float64 (model.to(torch.float64), same "
                 "head and inputs); max_abs_torch32_minus_f64: over the whole tensor. Stats: sum, abs_sum, first "
                 f"{FIRST} values of the flattened tensor in float32 (sum/abs_sum/first) and float64 (*_f64)."),
        "parameter_names_in_order": names,
        "eval": evals,
        "train_note": ("model.train() with hidden_dropout_prob=0.0 and attention_probs_dropout_prob=0.0; "
                       f"transformers.AdamW(model.parameters(), lr={LR}) (eps 1e-6, weight_decay 0, correct_bias True); "
                       f"get_scheduler('linear', num_warmup_steps=0, num_training_steps={NUM_TRAINING_STEPS}); per step: "
                       "loss.backward(), optimizer.step(), lr_scheduler.step(), optimizer.zero_grad()"),
        "optimizer": f"transformers.AdamW(lr={LR}, betas=(0.9, 0.999), eps=1e-06, weight_decay=0.0, correct_bias=True)",
        "scheduler": f"get_scheduler('linear', num_warmup_steps=0, num_training_steps={NUM_TRAINING_STEPS})",
        "train": train_steps,
    }
    path = os.path.join(args.out_dir, "reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and head.safetensors")


if __name__ == "__main__":
    main()
