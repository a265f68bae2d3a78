#!/usr/bin/env python3
"""The paired run's verdict (issue 14): the kit's run record against course.py's --out record of the same
run (dropout 0 on both sides, the same initial head, the kit's exported batch order followed in Python).

Must hold: per-step losses within 1% relative for the first 200 steps (or all, if fewer), and final
accuracy and F1 within 0.015. Prints the table and exits 1 when either fails.

    npx kit train --preset P --dropout 0 --init-head test/fixtures/all-minilm-l6-v2/head.safetensors \\
        --export-batch-order order.json --output-dir runs/paired
    python bench/python/course.py --dropout 0 --init-head test/fixtures/all-minilm-l6-v2/head.safetensors \\
        --batch-order order.json --out bench/python/results/paired-python.json
    python bench/python/paired.py runs/paired/run-record.json bench/python/results/paired-python.json
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kit_record", help="run-record.json of the kit's run")
    ap.add_argument("python_record", help="course.py --out JSON of the Python run")
    ap.add_argument("--steps", type=int, default=200, help="steps whose losses must agree within 1%% (default 200)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    with open(args.kit_record) as f:
        kit = json.load(f)
    with open(args.python_record) as f:
        py = json.load(f)

    kl, pl = kit["steps"]["loss"], py["losses"]
    n = min(args.steps, len(kl), len(pl))
    if n == 0:
        raise SystemExit("no steps to compare: one of the records has no losses")
    rel = [abs(a - b) / abs(b) for a, b in zip(kl[:n], pl[:n])]
    worst = max(range(n), key=lambda i: rel[i])
    lr_diff = max(abs(a - b) for a, b in zip(kit["steps"]["lr"][:n], py["lrs"][:n]))
    km = (kit.get("evaluation") or {}).get("metrics") or {}
    result = {
        "steps_compared": n, "kit_steps": len(kl), "python_steps": len(pl),
        "max_rel_loss_diff": rel[worst], "at_step": worst + 1, "kit_loss": kl[worst], "python_loss": pl[worst],
        "losses_within_1pct": rel[worst] <= 0.01, "max_abs_lr_diff": lr_diff,
        "kit": {"accuracy": km.get("accuracy"), "f1": km.get("f1")},
        "python": {"accuracy": py.get("accuracy"), "f1": py.get("f1")},
    }
    if km and "accuracy" in py:
        result["accuracy_diff"] = abs(km["accuracy"] - py["accuracy"])
        result["f1_diff"] = abs(km["f1"] - py["f1"])
        result["metrics_within_0.015"] = result["accuracy_diff"] <= 0.015 and result["f1_diff"] <= 0.015
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    ok = result["losses_within_1pct"] and result.get("metrics_within_0.015", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
