#!/usr/bin/env python3
"""Cross-loading between the kit and transformers: a model folder saved by either side (`kit train
--output-dir DIR`, or the Python course's save_pretrained: course.py --save-dir DIR) is loaded by both,
and their eval-mode logits on MRPC validation are compared (target max |difference| <= 1e-4).

    python bench/python/crossload.py DIR [DIR ...] [--rows N] [--out results.json]

Each side tokenizes with the folder's own tokenizer (truncation=True), pads with DataCollatorWithPadding,
batches of 8 in row order. The kit's logits come from `npx tsx bench/kit-logits.ts`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from local_files import ROOT, glue_data_files  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def python_logits(model_dir, rows):
    import pyarrow.parquet as pq
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

    t = pq.read_table(glue_data_files("mrpc", ("validation",))["validation"]).to_pydict()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    model.eval()
    collator = DataCollatorWithPadding(tokenizer=tokenizer)
    out = []
    for i in range(0, rows, 8):
        idx = range(i, min(i + 8, rows))
        enc = tokenizer([t["sentence1"][j] for j in idx], [t["sentence2"][j] for j in idx], truncation=True)
        batch = collator([{k: enc[k][m] for k in enc} for m in range(len(idx))])
        with torch.no_grad():
            out.extend(model(**batch).logits.tolist())
    return out


def kit_logits(model_dir, rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kit-logits.json")
        subprocess.run(["npx", "tsx", "bench/kit-logits.ts", os.path.abspath(model_dir), path, str(rows)], cwd=ROOT, check=True)
        with open(path) as f:
            return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", help="model folders saved by the kit or by transformers")
    ap.add_argument("--rows", type=int, default=408, help="MRPC validation rows (default all 408)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results = []
    for d in args.dirs:
        py = python_logits(d, args.rows)
        kit = kit_logits(d, args.rows)
        diff = max(abs(a - b) for ra, rb in zip(py, kit["logits"]) for a, b in zip(ra, rb))
        agree = sum(int(max(range(2), key=lambda c: ra[c]) == max(range(2), key=lambda c: rb[c])) for ra, rb in zip(py, kit["logits"]))
        scale = max(abs(a) for r in py for a in r)
        r = {"dir": d, "rows": args.rows, "kit_backend": kit["backend"], "max_abs_logit_diff": diff,
             "max_abs_logit": scale, "same_prediction": agree, "within_1e-4": diff <= 1e-4}
        print(json.dumps(r))
        results.append(r)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if all(r["within_1e-4"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
