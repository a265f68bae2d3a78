// The tokenizer of the course: `AutoTokenizer.fromPretrained(checkpoint)` for BERT checkpoints.
export { AutoTokenizer, TokenizerFileError, type FromPretrainedOptions } from "./auto-tokenizer";
export { BertTokenizer, VERY_LARGE_INTEGER, type BertTokenizerInit } from "./bert-tokenizer";
export { padEncodings, roundUpToMultiple, type PadRequest } from "./padding";
export { TruncationError, truncateSequences, type TruncateRequest } from "./truncation";
export { bertTokenizerJson, parseVocabTxt, type SpecialTokens, type TokenizerJson } from "./wordpiece-json";
export type * from "./types";
