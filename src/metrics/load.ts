// evaluate.load(path, configName): the metrics the course and its exercise use.
import { Metric } from "./metric";
import { accuracyScore, binaryF1Score } from "./scores";

export type AccuracyResult = { accuracy: number };
export type F1Result = { f1: number };
export type AccuracyF1Result = { accuracy: number; f1: number };

/** Every GLUE config the evaluate `glue` metric knows; the kit implements those in GLUE_IMPLEMENTED. */
const GLUE_CONFIGS = ["sst2", "mnli", "mnli_mismatched", "mnli_matched", "cola", "stsb", "mrpc", "qqp", "qnli", "rte", "wnli", "hans"];
const GLUE_IMPLEMENTED = ["mrpc", "sst2"];
export const METRIC_NAMES = ["glue", "accuracy", "f1"] as const;

export function load(path: "glue", configName: "mrpc"): Metric<AccuracyF1Result>;
export function load(path: "glue", configName: "sst2"): Metric<AccuracyResult>;
export function load(path: "accuracy"): Metric<AccuracyResult>;
export function load(path: "f1"): Metric<F1Result>;
export function load(path: string, configName?: string): Metric;
export function load(path: string, configName?: string): Metric {
  switch (path) {
    case "glue": {
      if (configName === undefined || !GLUE_CONFIGS.includes(configName)) {
        throw new Error(
          `evaluate.load("glue"): you should supply a configuration name selected in ${JSON.stringify(GLUE_CONFIGS)}` +
            `${configName === undefined ? "" : `, got "${configName}"`} (this kit implements ${GLUE_IMPLEMENTED.join(", ")}).`,
        );
      }
      if (configName === "mrpc") {
        return new Metric<AccuracyF1Result>("glue/mrpc", (p, r) => ({ accuracy: accuracyScore(p, r), f1: binaryF1Score(p, r) }));
      }
      if (configName === "sst2") {
        return new Metric<AccuracyResult>("glue/sst2", (p, r) => ({ accuracy: accuracyScore(p, r) }));
      }
      throw new Error(
        `evaluate.load("glue", "${configName}"): a valid GLUE config, but this kit implements only ${GLUE_IMPLEMENTED.join(", ")}.`,
      );
    }
    case "accuracy":
      rejectConfig(path, configName);
      return new Metric<AccuracyResult>("accuracy", (p, r) => ({ accuracy: accuracyScore(p, r) }));
    case "f1":
      rejectConfig(path, configName);
      return new Metric<F1Result>("f1", (p, r) => ({ f1: binaryF1Score(p, r) }));
    default:
      throw new Error(`evaluate.load: unknown metric "${path}"; available: ${METRIC_NAMES.join(", ")} (glue with "mrpc" or "sst2").`);
  }
}

function rejectConfig(path: string, configName: string | undefined): void {
  if (configName !== undefined) {
    throw new Error(`evaluate.load("${path}", "${configName}"): "${path}" takes no configuration name; call evaluate.load("${path}").`);
  }
}
