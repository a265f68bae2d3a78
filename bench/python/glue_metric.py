"""evaluate's glue metric for mrpc and sst2, offline: `evaluate.load("glue", "mrpc")` fetches its script from
the Hub. Same definition as evaluate's metrics/glue/glue.py: accuracy_score and f1_score of scikit-learn
(binary F1, positive label 1), sst2 accuracy only. add_batch / compute as evaluate's Metric."""
from sklearn.metrics import accuracy_score, f1_score


class GlueMetric:
    def __init__(self, task):
        if task not in ("mrpc", "sst2"):
            raise ValueError(f"GlueMetric: task {task!r} not supported; use 'mrpc' or 'sst2'.")
        self.task = task
        self.predictions = []
        self.references = []

    def add_batch(self, predictions, references):
        self.predictions.extend(int(p) for p in predictions)
        self.references.extend(int(r) for r in references)

    def compute(self):
        preds, refs = self.predictions, self.references
        self.predictions, self.references = [], []
        result = {"accuracy": float(accuracy_score(refs, preds))}
        if self.task == "mrpc":
            result["f1"] = float(f1_score(y_true=refs, y_pred=preds))
        return result
