"""The tiny-v128-h32 reference's three training runs, built as the reference recorded them, for the scripts that
rerun them (f64_step2.py in float64, torch32_spread.py in float32 on several BLAS kernels).

torch and transformers are imported inside the functions: torch32_spread.py's driver runs without them.
"""
import json
import os
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "..", "shared", "reference", "tiny-v128-h32")
# reference.json's fixture labels -> the short names of the f64/ files.
RUNS = {"weight_decay=0.0": "wd0.0", "weight_decay=0.01": "wd0.01", "legacy_transformers_AdamW_weight_decay=0.0": "legacy"}


def load_reference() -> dict:
    with open(os.path.join(REF, "reference.json")) as f:
        return json.load(f)


def reference_batch(ref: dict) -> dict:
    import torch

    return {k: torch.tensor(v) for k, v in ref["batch"].items()}


def reference_run(fixture: dict, double: bool = False):
    """The checkpoint in train mode with dropout 0, and the fixture's optimizer and linear schedule (its recorded calls)."""
    import torch
    import transformers
    from transformers import BertForSequenceClassification, get_scheduler

    model = BertForSequenceClassification.from_pretrained(
        os.path.join(REF, "checkpoint"), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )
    if double:
        model = model.double()
    model.train()
    name, args = fixture["optimizer"].split("(", 1)
    cls = torch.optim.AdamW if name == "torch.optim.AdamW" else transformers.AdamW
    kwargs = eval(f"dict({args[:-1]})", {}, {})  # noqa: S307 - the reference's own recorded keyword arguments
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = cls(model.parameters(), **kwargs)
    sched_args = eval("dict(" + fixture["scheduler"].split("(", 1)[1].split(",", 1)[1], {}, {})  # noqa: S307
    scheduler = get_scheduler("linear", optimizer=optimizer, **sched_args)
    return model, optimizer, scheduler
