// Metrics shaped like Hugging Face `evaluate`: `evaluate.load("glue", "mrpc")`, addBatch, compute.
import { load } from "./load";

export const evaluate = { load } as const;
export { load, METRIC_NAMES, type AccuracyF1Result, type AccuracyResult, type F1Result } from "./load";
export { Metric, type MetricBatch, type MetricValues } from "./metric";
export { accuracyScore, binaryF1Score } from "./scores";
