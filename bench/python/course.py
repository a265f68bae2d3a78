#!/usr/bin/env python3
"""The Hugging Face course's "A full training" (chapter 3), as written, on the kit's local files.

The course's lines are kept as the course writes them (tokenize_function, map, remove_columns,
rename_column, set_format, DataCollatorWithPadding, DataLoader(shuffle=True, batch_size=8),
AutoModelForSequenceClassification, AdamW, get_scheduler, the loop with tqdm, the evaluation loop, the
metric). What differs, and why:
- The data comes from the same parquet files the kit reads (../shared/hub/datasets/nyu-mll/glue/...),
  through `load_dataset("parquet", ...)`: `load_dataset("glue", "mrpc")` needs the network.
- The metric is evaluate's glue/mrpc definition (sklearn accuracy_score and f1_score): `evaluate.load`
  fetches a script from the Hub.
- The checkpoint is the kit's pretrained one, read offline from the Hugging Face cache.
- Flags for the paired run against the kit: --dropout 0, --init-head, --batch-order, --max-steps.

    HF_HUB_OFFLINE=1 python bench/python/course.py --task mrpc --seed 42 --threads 2 --out run.json
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from local_files import CHECKPOINT, glue_data_files  # noqa: E402
from glue_metric import GlueMetric  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=["mrpc", "sst2"], default="mrpc")
    ap.add_argument("--checkpoint", default=CHECKPOINT, help="Hub repo id or local directory (default %(default)s)")
    ap.add_argument("--seed", type=int, default=42, help="transformers.set_seed: head init, dropout, shuffling")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps; the linear schedule spans N (transformers' max_steps)")
    ap.add_argument("--eval-steps", default="", help="comma-separated steps at which to also evaluate (e.g. 500,2000)")
    ap.add_argument("--dropout", type=float, default=None, help="override hidden_dropout_prob and attention_probs_dropout_prob (0: the paired run)")
    ap.add_argument("--init-head", default=None, help="safetensors file with classifier.weight and classifier.bias to start from")
    ap.add_argument("--batch-order", default=None, help="JSON batch order exported by the kit (kit train --export-batch-order)")
    ap.add_argument("--optim", choices=["transformers", "torch"], default="transformers",
                    help="transformers: the French course's `from transformers import AdamW` (legacy); torch: torch.optim.AdamW")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--save-dir", default=None, help="save_pretrained the fine-tuned model and tokenizer here")
    ap.add_argument("--out", default=None, help="write the run's JSON record here")
    ap.add_argument("--no-progress", action="store_true")
    return ap.parse_args(argv)


class BatchOrder:
    """A batch sampler that replays the kit's exported order, one epoch per pass over the DataLoader."""

    def __init__(self, path, dataset, split, num_rows):
        with open(path) as f:
            order = json.load(f)
        if order.get("dataset") != dataset or order.get("split") != split:
            raise SystemExit(f"--batch-order {path}: holds {order.get('dataset')}/{order.get('split')}, "
                             f"expected {dataset}/{split}; export it from a run on the same task.")
        self.epochs = order["epochs"]
        for e, batches in enumerate(self.epochs):
            rows = sorted(i for b in batches for i in b)
            if rows != list(range(num_rows)):
                raise SystemExit(f"--batch-order {path}: epoch {e} is not a permutation of the {num_rows} {split} rows.")
        self.epoch = 0

    def __len__(self):
        return len(self.epochs[min(self.epoch, len(self.epochs) - 1)])

    def __iter__(self):
        if self.epoch >= len(self.epochs):
            raise SystemExit(f"--batch-order holds {len(self.epochs)} epochs; the run needs more.")
        batches = self.epochs[self.epoch]
        self.epoch += 1
        return iter(batches)


def main(argv=None):
    args = parse_args(argv)
    import numpy as np
    import torch
    import transformers
    from datasets import load_dataset
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, get_scheduler
    from transformers import set_seed

    if args.threads:
        torch.set_num_threads(args.threads)
    set_seed(args.seed)
    task = args.task

    # --- Preprocessing (chapter 3, "Processing the data") ---
    raw_datasets = load_dataset("parquet", data_files=glue_data_files(task))
    checkpoint = args.checkpoint
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)

    if task == "mrpc":
        def tokenize_function(example):
            return tokenizer(example["sentence1"], example["sentence2"], truncation=True)
    else:
        def tokenize_function(example):
            return tokenizer(example["sentence"], truncation=True)

    tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
    data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

    # --- "A full training": post-processing ---
    if task == "mrpc":
        tokenized_datasets = tokenized_datasets.remove_columns(["sentence1", "sentence2", "idx"])
    else:
        tokenized_datasets = tokenized_datasets.remove_columns(["sentence", "idx"])
    tokenized_datasets = tokenized_datasets.rename_column("label", "labels")
    tokenized_datasets.set_format("torch")

    # --- The DataLoaders ---
    if args.batch_order:
        batch_order = BatchOrder(args.batch_order, f"glue/{task}", "train", len(tokenized_datasets["train"]))
        train_dataloader = DataLoader(tokenized_datasets["train"], batch_sampler=batch_order, collate_fn=data_collator)
    else:
        train_dataloader = DataLoader(
            tokenized_datasets["train"], shuffle=True, batch_size=8, collate_fn=data_collator
        )
    eval_dataloader = DataLoader(
        tokenized_datasets["validation"], batch_size=8, collate_fn=data_collator
    )

    # --- The model ---
    overrides = {}
    if args.dropout is not None:
        overrides = dict(hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2, **overrides)
    if args.init_head:
        load_head(model, args.init_head)

    # --- Optimizer and scheduler ---
    if args.optim == "transformers":
        from transformers import AdamW  # the French course text; removed from transformers after 4.49
    else:
        from torch.optim import AdamW
    optimizer = AdamW(model.parameters(), lr=args.lr)

    num_epochs = args.epochs
    num_training_steps = num_epochs * len(train_dataloader)
    if args.max_steps:
        num_training_steps = args.max_steps
        num_epochs = -(-args.max_steps // len(train_dataloader))
    lr_scheduler = get_scheduler(
        "linear",
        optimizer=optimizer,
        num_warmup_steps=0,
        num_training_steps=num_training_steps,
    )

    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    model.to(device)

    eval_at = sorted({int(s) for s in args.eval_steps.split(",") if s.strip()})
    record = {
        "task": task, "checkpoint": checkpoint, "seed": args.seed, "optim": args.optim, "lr": args.lr,
        "dropout": args.dropout, "init_head": args.init_head, "batch_order": args.batch_order,
        "num_training_steps": num_training_steps, "train_batches": len(train_dataloader),
        "eval_batches": len(eval_dataloader),
        "threads": torch.get_num_threads(), "torch": torch.__version__, "transformers": transformers.__version__,
        "numpy": np.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "losses": [], "lrs": [], "evaluations": [],
    }

    # --- The training loop ---
    progress_bar = tqdm(range(num_training_steps), disable=args.no_progress)
    step = 0
    train_seconds = 0.0
    t_run = time.perf_counter()

    model.train()
    for epoch in range(num_epochs):
        for batch in train_dataloader:
            t0 = time.perf_counter()
            batch = {k: v.to(device) for k, v in batch.items()}
            outputs = model(**batch)
            loss = outputs.loss
            loss.backward()

            record["lrs"].append(lr_scheduler.get_last_lr()[0])
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            progress_bar.update(1)
            train_seconds += time.perf_counter() - t0
            record["losses"].append(loss.item())
            step += 1
            if step in eval_at and step != num_training_steps:
                record["evaluations"].append({"step": step, **evaluate(model, eval_dataloader, task, device)})
                model.train()
            if step >= num_training_steps:
                break
        if step >= num_training_steps:
            break
    progress_bar.close()

    # --- The evaluation loop ---
    t_eval = time.perf_counter()
    final = evaluate(model, eval_dataloader, task, device)
    eval_seconds = time.perf_counter() - t_eval
    record["evaluations"].append({"step": step, **final})
    record.update(final)
    record.update(steps_done=step, seconds_per_step=train_seconds / max(step, 1), train_seconds=train_seconds,
                  eval_seconds=eval_seconds, total_seconds=time.perf_counter() - t_run)
    print(json.dumps({k: v for k, v in record.items() if k not in ("losses", "lrs")}, indent=1))

    if args.save_dir:
        model.save_pretrained(args.save_dir)
        tokenizer.save_pretrained(args.save_dir)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)
    return record


def evaluate(model, eval_dataloader, task, device):
    import torch

    metric = GlueMetric(task)
    model.eval()
    for batch in eval_dataloader:
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.no_grad():
            outputs = model(**batch)

        logits = outputs.logits
        predictions = torch.argmax(logits, dim=-1)
        metric.add_batch(predictions=predictions, references=batch["labels"])

    return metric.compute()


def load_head(model, path):
    """Replace the freshly initialised classifier by the one saved in `path` (the paired run's shared head)."""
    import torch
    from safetensors.torch import load_file

    head = load_file(path)
    expected = {"classifier.weight", "classifier.bias"}
    if set(head) != expected:
        raise SystemExit(f"--init-head {path}: holds {sorted(head)}, expected exactly {sorted(expected)}.")
    with torch.no_grad():
        for name, tensor in head.items():
            target = model.get_parameter(name)
            if tuple(target.shape) != tuple(tensor.shape):
                raise SystemExit(f"--init-head {path}: {name} has shape {tuple(tensor.shape)}, the model needs {tuple(target.shape)}.")
            target.copy_(tensor.to(target.dtype))


if __name__ == "__main__":
    main()
