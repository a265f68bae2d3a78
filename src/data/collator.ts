// DataCollatorWithPadding: pads each batch to its own longest row (dynamic padding), so a batch of short
// sentences costs less than one padded to 512. Mirrors transformers' collator + tokenizer.pad, returning
// int32 tfjs tensors (tfjs has no int64; ids and labels fit).
import * as tf from "@tensorflow/tfjs-core";

/** What the model consumes; snake_case like the Python keys so `model.forward(batch)` reads the same. */
export type Batch = {
  input_ids: tf.Tensor2D;
  token_type_ids: tf.Tensor2D;
  attention_mask: tf.Tensor2D;
  labels?: tf.Tensor1D;
};

/** The part of a tokenizer the collator needs (src/tokenizers implements more). */
export type PaddingTokenizer = {
  padTokenId: number;
  paddingSide?: "right" | "left";
  /** transformers' pad_token_type_id; 0 for BERT. */
  padTokenTypeId?: number;
};

export type FeatureRow = {
  input_ids: readonly number[];
  token_type_ids?: readonly number[];
  attention_mask?: readonly number[];
  label?: number;
  labels?: number;
};

/** Callable like the Python object: `collateFn: dataCollator` and `dataCollator(rows)` both work. */
export interface DataCollatorWithPadding {
  (features: readonly FeatureRow[]): Batch;
}

export class DataCollatorWithPadding {
  readonly tokenizer!: PaddingTokenizer;
  readonly padToMultipleOf!: number | null;

  constructor(options: { tokenizer: PaddingTokenizer; padToMultipleOf?: number | null }) {
    const { tokenizer } = options;
    if (!tokenizer || typeof tokenizer.padTokenId !== "number" || !Number.isInteger(tokenizer.padTokenId)) {
      throw new Error(
        `DataCollatorWithPadding: the tokenizer has no padTokenId (found ${String(tokenizer?.padTokenId)}); ` +
          "padding needs one. Use a tokenizer with a [PAD] token or set tokenizer.padTokenId.",
      );
    }
    const m = options.padToMultipleOf ?? null;
    if (m !== null && (!Number.isInteger(m) || m < 1)) {
      throw new RangeError(`DataCollatorWithPadding: padToMultipleOf must be a positive integer, got ${m}.`);
    }
    // The instance is a function (so it can be passed where a collate function is expected) carrying the
    // class prototype, hence `instanceof` and the methods still work.
    const self = ((features: readonly FeatureRow[]) => collate(self, features)) as DataCollatorWithPadding;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.defineProperty(self, "tokenizer", { value: tokenizer, enumerable: true });
    Object.defineProperty(self, "padToMultipleOf", { value: m, enumerable: true });
    return self;
  }

  /** Pads and stacks; the caller owns (and disposes) the returned tensors. */
  call(features: readonly FeatureRow[]): Batch {
    return collate(this, features);
  }

  /** The same as calling the collator; kept for code that wants a plain function value. */
  get collate(): (features: readonly FeatureRow[]) => Batch {
    return (features) => collate(this, features);
  }
}

function collate(c: DataCollatorWithPadding, features: readonly FeatureRow[]): Batch {
  const n = features.length;
  if (n === 0) throw new Error("DataCollatorWithPadding: called with an empty list of rows; a batch needs at least one row.");
  features.forEach((f, i) => checkRow(f, i));
  let length = Math.max(...features.map((f) => f.input_ids.length));
  const m = c.padToMultipleOf;
  if (m !== null && length % m !== 0) length = (Math.floor(length / m) + 1) * m;
  const left = (c.tokenizer.paddingSide ?? "right") === "left";
  const ids = new Int32Array(n * length).fill(c.tokenizer.padTokenId);
  const types = new Int32Array(n * length).fill(c.tokenizer.padTokenTypeId ?? 0);
  const mask = new Int32Array(n * length);
  features.forEach((f, i) => {
    const len = f.input_ids.length;
    const at = i * length + (left ? length - len : 0);
    ids.set(f.input_ids, at);
    // tokenizer.pad creates the attention mask when a row has none; token types default to 0 like BERT's.
    if (f.token_type_ids) types.set(f.token_type_ids, at);
    else types.fill(0, at, at + len);
    if (f.attention_mask) mask.set(f.attention_mask, at);
    else mask.fill(1, at, at + len);
  });
  const labelValues = labelsOf(features);
  return {
    input_ids: tf.tensor2d(ids, [n, length], "int32"),
    token_type_ids: tf.tensor2d(types, [n, length], "int32"),
    attention_mask: tf.tensor2d(mask, [n, length], "int32"),
    ...(labelValues ? { labels: labelValues } : {}),
  };
}

const KNOWN = new Set(["input_ids", "token_type_ids", "attention_mask", "label", "labels", "special_tokens_mask"]);

function checkRow(f: FeatureRow, i: number): void {
  if (!f || (!Array.isArray(f.input_ids) && !ArrayBuffer.isView(f.input_ids))) {
    throw new Error(`DataCollatorWithPadding: row ${i} has no input_ids list (keys: ${Object.keys(f ?? {}).join(", ")}). Tokenize the dataset first.`);
  }
  for (const key of ["token_type_ids", "attention_mask"] as const) {
    const v = f[key];
    if (v !== undefined && v.length !== f.input_ids.length) {
      throw new Error(`DataCollatorWithPadding: row ${i} has ${v.length} ${key} but ${f.input_ids.length} input_ids; they must match.`);
    }
  }
  for (const key of Object.keys(f)) {
    if (!KNOWN.has(key)) {
      throw new Error(
        `DataCollatorWithPadding: row ${i} has a column "${key}" the model does not take; ` +
          `remove it first, e.g. dataset.removeColumns(["${key}"]).`,
      );
    }
  }
}

function labelsOf(features: readonly FeatureRow[]): tf.Tensor1D | null {
  const values = features.map((f) => f.labels ?? f.label);
  const present = values.filter((v) => v !== undefined && v !== null).length;
  if (present === 0) return null;
  if (present !== values.length) {
    throw new Error(`DataCollatorWithPadding: ${values.length - present} of ${values.length} rows have no label; a batch has labels on every row or on none.`);
  }
  const nums = values as number[];
  // Integer labels are class ids (int32); fractional ones are regression targets (STS-B), float32.
  return nums.every(Number.isInteger) ? tf.tensor1d(nums, "int32") : tf.tensor1d(nums, "float32");
}

/** Free a batch's tensors. */
export function disposeBatch(batch: Record<string, unknown>): void {
  for (const v of Object.values(batch)) if (v instanceof tf.Tensor) v.dispose();
}
