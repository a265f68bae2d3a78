// Options and outputs of the tokenizer, named as transformers names them (camelCase options, snake_case
// output keys because the model and the data collator read `input_ids`, `token_type_ids`, `attention_mask`).
// Outputs are type aliases, not interfaces, so they fit `Record<string, unknown>` (Dataset.map rows).
import type { Tensor2D } from "@tensorflow/tfjs-core";

export type TruncationStrategy = "longest_first" | "only_first" | "only_second";
export type PaddingStrategy = "longest" | "max_length";
export type Side = "left" | "right";

export interface EncodeOptions {
  /** Add [CLS] ... [SEP] (... [SEP]). Default true. */
  addSpecialTokens?: boolean;
  /** true means "longest_first". Default false, or "longest_first" when maxLength is given and padding is off. */
  truncation?: boolean | TruncationStrategy | "do_not_truncate";
  /** Default: modelMaxLength (from tokenizer_config.json) when truncating or padding to "max_length". */
  maxLength?: number;
  /** true means "longest" (pad to the longest sequence of the batch). Default false. */
  padding?: boolean | PaddingStrategy | "do_not_pad";
  padToMultipleOf?: number;
  returnTensors?: "tfjs";
}

export type TensorOptions = EncodeOptions & { returnTensors: "tfjs" };
export type ListOptions = EncodeOptions & { returnTensors?: undefined };

/** One encoded text or pair. */
export type Encoding = {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
};

/** A batch of encoded texts or pairs (ragged unless padded). */
export type BatchEncoding = {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
};

/** int32 tensors of shape [batch, length] (a single text gives batch 1, as return_tensors="pt" does). */
export type TensorEncoding = {
  input_ids: Tensor2D;
  token_type_ids: Tensor2D;
  attention_mask: Tensor2D;
};

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Default: clean_up_tokenization_spaces of tokenizer_config.json (true when absent, as in transformers 4.31). */
  cleanUpTokenizationSpaces?: boolean;
}

/** The keys of tokenizer_config.json we read; the rest is kept and written back by savePretrained. */
export interface TokenizerConfig {
  do_lower_case?: boolean;
  strip_accents?: boolean | null;
  tokenize_chinese_chars?: boolean;
  model_max_length?: number;
  padding_side?: Side;
  truncation_side?: Side;
  clean_up_tokenization_spaces?: boolean;
  unk_token?: string | { content: string };
  sep_token?: string | { content: string };
  pad_token?: string | { content: string };
  cls_token?: string | { content: string };
  mask_token?: string | { content: string };
  tokenizer_class?: string;
  [key: string]: unknown;
}
