// The tokenizer of the course: `AutoTokenizer.fromPretrained(checkpoint)` for BERT checkpoints.
export { AutoTokenizer, TokenizerFileError, type FromPretrainedOptions } from "./auto-tokenizer";
export { BertTokenizer, type BertTokenizerInit } from "./bert-tokenizer";
export { TruncationError } from "./truncation";
export type { SpecialTokens, TokenizerJson } from "./wordpiece-json";
export type * from "./types";
