// transformers' BertConfig: every field of a Hub config.json, camelCase here and snake_case on disk.
// numLabels follows PretrainedConfig: it is the size of id2label, and setting it resets the labels to
// LABEL_0..LABEL_{n-1}.
import { readFile } from "node:fs/promises";

export type ProblemType = "regression" | "single_label_classification" | "multi_label_classification";

export type BertConfigFields = {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  positionEmbeddingType: string;
  useCache: boolean;
  classifierDropout: number | null;
  architectures: string[] | null;
  modelType: string;
  problemType: ProblemType | null;
  torchDtype: string | null;
  transformersVersion: string | null;
  gradientCheckpointing: boolean | null;
  id2label: Record<number, string>;
  label2id: Record<string, number>;
};

const DEFAULTS: BertConfigFields = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: "gelu",
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  padTokenId: 0,
  positionEmbeddingType: "absolute",
  useCache: true,
  classifierDropout: null,
  architectures: null,
  modelType: "bert",
  problemType: null,
  torchDtype: null,
  transformersVersion: null,
  gradientCheckpointing: null,
  id2label: defaultLabels(2).id2label,
  label2id: defaultLabels(2).label2id,
};

/** Fields written to config.json only when set (transformers omits them at their defaults). */
const OPTIONAL_KEYS = new Set<keyof BertConfigFields>(["architectures", "problemType", "torchDtype", "transformersVersion", "gradientCheckpointing"]);

export const toSnakeCase = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamelCase = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function defaultLabels(n: number): { id2label: Record<number, string>; label2id: Record<string, number> } {
  const id2label: Record<number, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    id2label[i] = `LABEL_${i}`;
    label2id[`LABEL_${i}`] = i;
  }
  return { id2label, label2id };
}

function isDefaultLabels(id2label: Record<number, string>): boolean {
  const keys = Object.keys(id2label);
  return keys.length === 2 && keys.every((k) => id2label[Number(k)] === `LABEL_${k}`);
}

// What PretrainedConfig's consumers would trip on, checked as the fields arrive: the message names the field.
const positiveInt = (v: unknown) => (Number.isInteger(v) && (v as number) >= 1 ? null : "must be a positive integer");
const nonNegativeInt = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? null : "must be an integer >= 0");
const probability = (v: unknown) => (typeof v === "number" && v >= 0 && v <= 1 ? null : "must be a probability from 0 to 1");
const positiveNumber = (v: unknown) => (typeof v === "number" && v > 0 && Number.isFinite(v) ? null : "must be a positive number");
const text = (v: unknown) => (typeof v === "string" ? null : "must be a string");
const FIELD_RULES: Partial<Record<keyof BertConfigFields, (v: unknown) => string | null>> = {
  vocabSize: positiveInt,
  hiddenSize: positiveInt,
  numHiddenLayers: positiveInt,
  numAttentionHeads: positiveInt,
  intermediateSize: positiveInt,
  maxPositionEmbeddings: positiveInt,
  typeVocabSize: positiveInt,
  padTokenId: nonNegativeInt,
  hiddenDropoutProb: probability,
  attentionProbsDropoutProb: probability,
  classifierDropout: (v) => (v === null ? null : probability(v)),
  layerNormEps: positiveNumber,
  initializerRange: (v) => (typeof v === "number" && v >= 0 ? null : "must be a number >= 0"),
  hiddenAct: text,
  positionEmbeddingType: text,
  modelType: text,
  id2label: (v) => (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 ? null : "must be a non-empty object"),
};

/** Read and check a config.json; every error names the file and the field. */
export async function readBertConfigFile(path: string): Promise<BertConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code ? (err as Error).message : `not valid JSON (${(err as Error).message})`}; restore the file (the one saved with the model, or a fresh download).`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${path}: expected a JSON object of config fields, found ${Array.isArray(json) ? "an array" : JSON.stringify(json)}; restore the file (the one saved with the model, or a fresh download).`);
  }
  const model = (json as Record<string, unknown>).model_type;
  if (model !== undefined && model !== "bert") throw new Error(`${path}: field model_type is ${JSON.stringify(model)}; only "bert" checkpoints are supported.`);
  try {
    return BertConfig.fromJSON(json as Record<string, JsonValue>);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}; fix that field, or restore the file (the one saved with the model, or a fresh download).`);
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class BertConfig implements BertConfigFields {
  vocabSize = DEFAULTS.vocabSize;
  hiddenSize = DEFAULTS.hiddenSize;
  numHiddenLayers = DEFAULTS.numHiddenLayers;
  numAttentionHeads = DEFAULTS.numAttentionHeads;
  intermediateSize = DEFAULTS.intermediateSize;
  hiddenAct = DEFAULTS.hiddenAct;
  hiddenDropoutProb = DEFAULTS.hiddenDropoutProb;
  attentionProbsDropoutProb = DEFAULTS.attentionProbsDropoutProb;
  maxPositionEmbeddings = DEFAULTS.maxPositionEmbeddings;
  typeVocabSize = DEFAULTS.typeVocabSize;
  initializerRange = DEFAULTS.initializerRange;
  layerNormEps = DEFAULTS.layerNormEps;
  padTokenId = DEFAULTS.padTokenId;
  positionEmbeddingType = DEFAULTS.positionEmbeddingType;
  useCache = DEFAULTS.useCache;
  classifierDropout: number | null = DEFAULTS.classifierDropout;
  architectures: string[] | null = DEFAULTS.architectures;
  modelType = DEFAULTS.modelType;
  problemType: ProblemType | null = DEFAULTS.problemType;
  torchDtype: string | null = DEFAULTS.torchDtype;
  transformersVersion: string | null = DEFAULTS.transformersVersion;
  gradientCheckpointing: boolean | null = DEFAULTS.gradientCheckpointing;
  id2label: Record<number, string> = { ...DEFAULTS.id2label };
  label2id: Record<string, number> = { ...DEFAULTS.label2id };
  /** Keys of config.json this class does not know, kept verbatim (snake_case) so that toJSON round-trips. */
  extra: Record<string, JsonValue> = {};

  constructor(fields: Partial<BertConfigFields> & { numLabels?: number } = {}) {
    this.update(fields);
  }

  get numLabels(): number {
    return Object.keys(this.id2label).length;
  }

  set numLabels(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`numLabels must be a positive integer, got ${n}`);
    if (n === this.numLabels) return;
    ({ id2label: this.id2label, label2id: this.label2id } = defaultLabels(n));
  }

  get headDim(): number {
    return this.hiddenSize / this.numAttentionHeads;
  }

  /** Apply camelCase overrides (like from_pretrained's **kwargs); numLabels after the label maps. */
  update(fields: Partial<BertConfigFields> & { numLabels?: number }): this {
    const { numLabels, ...rest } = fields;
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      if (!(k in DEFAULTS)) throw new Error(`BertConfig has no field "${k}" (known: ${Object.keys(DEFAULTS).join(", ")}, numLabels)`);
      (this as unknown as Record<string, unknown>)[k] = v;
    }
    if (rest.id2label && !rest.label2id) {
      this.label2id = Object.fromEntries(Object.entries(rest.id2label).map(([i, l]) => [l, Number(i)]));
    }
    if (numLabels !== undefined && numLabels !== this.numLabels) {
      if (rest.id2label) {
        throw new Error(`numLabels ${numLabels} disagrees with id2label, which has ${Object.keys(rest.id2label).length} labels`);
      }
      this.numLabels = numLabels;
    }
    for (const [k, v] of Object.entries(rest)) {
      const problem = FIELD_RULES[k as keyof BertConfigFields]?.(v);
      if (problem) throw new Error(`field ${toSnakeCase(k)} ${problem}, found ${JSON.stringify(v)}`);
    }
    if (this.hiddenSize % this.numAttentionHeads !== 0) {
      throw new Error(
        `The hidden size (${this.hiddenSize}) is not a multiple of the number of attention heads (${this.numAttentionHeads}): ` +
          `fields hidden_size and num_attention_heads disagree`,
      );
    }
    return this;
  }

  /** From the parsed config.json (snake_case keys). */
  static fromJSON(json: Record<string, JsonValue>): BertConfig {
    const config = new BertConfig();
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(json)) {
      const camel = toCamelCase(key);
      if (key === "id2label" && value && typeof value === "object") {
        fields.id2label = Object.fromEntries(Object.entries(value).map(([i, l]) => [Number(i), String(l)]));
      } else if (key === "label2id" && value && typeof value === "object") {
        fields.label2id = Object.fromEntries(Object.entries(value).map(([l, i]) => [l, Number(i)]));
      } else if (key === "num_labels" && typeof value === "number") {
        fields.numLabels = value;
      } else if (camel in DEFAULTS) {
        fields[camel] = value;
      } else {
        config.extra[key] = value;
      }
    }
    if (fields.id2label && fields.numLabels !== undefined) delete fields.numLabels;
    return config.update(fields as Partial<BertConfigFields>);
  }

  /** config.json content: snake_case keys, sorted as transformers writes them. */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = { ...this.extra };
    for (const key of Object.keys(DEFAULTS) as (keyof BertConfigFields)[]) {
      const value = this[key];
      if (key === "id2label" || key === "label2id") continue;
      if (OPTIONAL_KEYS.has(key) && value === null) continue;
      out[toSnakeCase(key)] = value as JsonValue;
    }
    if (!isDefaultLabels(this.id2label)) {
      out.id2label = Object.fromEntries(Object.entries(this.id2label).map(([i, l]) => [String(i), l]));
      out.label2id = { ...this.label2id };
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  clone(): BertConfig {
    return BertConfig.fromJSON(JSON.parse(JSON.stringify(this.toJSON())) as Record<string, JsonValue>);
  }
}
