// transformers' BertConfig: every field of a Hub config.json, camelCase here and snake_case on disk.
// numLabels follows PretrainedConfig: it is the size of id2label, and setting it resets the labels to
// LABEL_0..LABEL_{n-1}.
import { readFile } from "node:fs/promises";

export type ProblemType = "regression" | "single_label_classification" | "multi_label_classification";
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

// What PretrainedConfig's consumers would trip on, checked as the fields arrive: the message names the field.
type Check = (v: unknown) => string | null;
const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? null : "must be a positive integer");
const nonNegativeInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : "must be an integer >= 0");
const probability: Check = (v) => (typeof v === "number" && v >= 0 && v <= 1 ? null : "must be a probability from 0 to 1");
const positiveNumber: Check = (v) => (typeof v === "number" && v > 0 && Number.isFinite(v) ? null : "must be a positive number");
const nonNegativeNumber: Check = (v) => (typeof v === "number" && v >= 0 ? null : "must be a number >= 0");
const text: Check = (v) => (typeof v === "string" ? null : "must be a string");
const orNull = (check: Check): Check => (v) => (v === null ? null : check(v));
const labelObject: Check = (v) => (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 ? null : "must be a non-empty object");

type Field<T> = {
  default: T;
  /** Why a value is refused (null: accepted). */
  check?: Check;
  /** Left out of config.json while null, as transformers leaves them out at their defaults. */
  omitWhenNull?: true;
  /** From the parsed config.json value (JSON keys are strings). */
  fromJson?: (v: JsonValue) => T;
};
const field = <T>(defaultValue: T, options: Omit<Field<T>, "default"> = {}): Field<T> => ({ default: defaultValue, ...options });

/** id2label and label2id for n labels named LABEL_0..LABEL_{n-1}, as PretrainedConfig makes them. */
function defaultLabels(n: number): { id2label: Record<number, string>; label2id: Record<string, number> } {
  const id2label: Record<number, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    id2label[i] = `LABEL_${i}`;
    label2id[`LABEL_${i}`] = i;
  }
  return { id2label, label2id };
}

/** Every field of BertConfig, once: its type (from the default), its default, its check, how config.json holds it. */
const FIELDS = {
  vocabSize: field(30522, { check: positiveInt }),
  hiddenSize: field(768, { check: positiveInt }),
  numHiddenLayers: field(12, { check: positiveInt }),
  numAttentionHeads: field(12, { check: positiveInt }),
  intermediateSize: field(3072, { check: positiveInt }),
  hiddenAct: field("gelu", { check: text }),
  hiddenDropoutProb: field(0.1, { check: probability }),
  attentionProbsDropoutProb: field(0.1, { check: probability }),
  maxPositionEmbeddings: field(512, { check: positiveInt }),
  typeVocabSize: field(2, { check: positiveInt }),
  initializerRange: field(0.02, { check: nonNegativeNumber }),
  layerNormEps: field(1e-12, { check: positiveNumber }),
  padTokenId: field(0, { check: nonNegativeInt }),
  positionEmbeddingType: field("absolute", { check: text }),
  useCache: field(true),
  classifierDropout: field<number | null>(null, { check: orNull(probability) }),
  architectures: field<string[] | null>(null, { omitWhenNull: true }),
  modelType: field("bert", { check: text }),
  problemType: field<ProblemType | null>(null, { omitWhenNull: true }),
  torchDtype: field<string | null>(null, { omitWhenNull: true }),
  transformersVersion: field<string | null>(null, { omitWhenNull: true }),
  gradientCheckpointing: field<boolean | null>(null, { omitWhenNull: true }),
  id2label: field<Record<number, string>>(defaultLabels(2).id2label, {
    check: labelObject,
    fromJson: (v) => (v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([i, l]) => [Number(i), String(l)])) : (v as never)),
  }),
  label2id: field<Record<string, number>>(defaultLabels(2).label2id, {
    fromJson: (v) => (v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([l, i]) => [l, Number(i)])) : (v as never)),
  }),
};

type FieldName = keyof typeof FIELDS;
export type BertConfigFields = { [K in FieldName]: (typeof FIELDS)[K]["default"] };
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
const isFieldName = (k: string): k is FieldName => Object.hasOwn(FIELDS, k);
const specOf = (k: FieldName): Field<unknown> => FIELDS[k] as Field<unknown>;

export const toSnakeCase = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamelCase = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function isDefaultLabels(id2label: Record<number, string>): boolean {
  const keys = Object.keys(id2label);
  return keys.length === 2 && keys.every((k) => id2label[Number(k)] === `LABEL_${k}`);
}

const RESTORE = "restore the file (the one saved with the model, or a fresh download)";

/** Read and check a config.json; every error names the file and the field. */
export async function readBertConfigFile(path: string): Promise<BertConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code ? (err as Error).message : `not valid JSON (${(err as Error).message})`}; ${RESTORE}.`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${path}: expected a JSON object of config fields, found ${Array.isArray(json) ? "an array" : JSON.stringify(json)}; ${RESTORE}.`);
  }
  const model = (json as Record<string, unknown>).model_type;
  if (model !== undefined && model !== "bert") throw new Error(`${path}: field model_type is ${JSON.stringify(model)}; only "bert" checkpoints are supported.`);
  try {
    return BertConfig.fromJSON(json as Record<string, JsonValue>);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}; fix that field, or ${RESTORE}.`);
  }
}

// The fields are declared by FIELDS (this interface merges them into the class), set in the constructor.
export interface BertConfig extends BertConfigFields {}

export class BertConfig {
  /** Keys of config.json this class does not know, kept verbatim (snake_case) so that toJSON round-trips. */
  extra: Record<string, JsonValue> = {};

  constructor(fields: Partial<BertConfigFields> & { numLabels?: number } = {}) {
    for (const k of FIELD_NAMES) (this as Record<FieldName, unknown>)[k] = structuredClone(FIELDS[k].default);
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
      if (!isFieldName(k)) throw new Error(`BertConfig has no field "${k}" (known: ${FIELD_NAMES.join(", ")}, numLabels)`);
      (this as Record<FieldName, unknown>)[k] = v;
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
      const problem = isFieldName(k) ? specOf(k).check?.(v) : null;
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
      if (key === "num_labels" && typeof value === "number") fields.numLabels = value;
      else if (isFieldName(camel)) fields[camel] = specOf(camel).fromJson?.(value) ?? value;
      else config.extra[key] = value;
    }
    if (fields.id2label && fields.numLabels !== undefined) delete fields.numLabels;
    return config.update(fields as Partial<BertConfigFields>);
  }

  /** config.json content: snake_case keys, sorted as transformers writes them. */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = { ...this.extra };
    for (const key of FIELD_NAMES) {
      const value = this[key];
      if (key === "id2label" || key === "label2id") continue;
      if (specOf(key).omitWhenNull && value === null) continue;
      out[toSnakeCase(key)] = value as JsonValue;
    }
    // Labels are written when they are not the default LABEL_0/LABEL_1 pair, as transformers does.
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
