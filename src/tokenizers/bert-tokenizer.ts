// The BERT tokenizer of the course: WordPiece from @huggingface/tokenizers for the text -> pieces step,
// and transformers 4.31's own logic for everything after it (special tokens, truncation, padding),
// because the library truncates pairs differently (DESIGN.md §3).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { tensor2d } from "@tensorflow/tfjs-core";
import { alignWithBasicTokenizer } from "./basic-tokenizer-compat";
import { padEncodings } from "./padding";
import { truncateSequences } from "./truncation";
import type {
  BatchEncoding,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  ListOptions,
  PaddingStrategy,
  Side,
  TensorEncoding,
  TensorOptions,
  TokenizerConfig,
  TruncationStrategy,
} from "./types";
import type { SpecialTokens, TokenizerJson } from "./wordpiece-json";

/** transformers' VERY_LARGE_INTEGER: the model_max_length of a tokenizer that declares none. */
export const VERY_LARGE_INTEGER = 1e30;

export interface BertTokenizerInit {
  tokenizerJson: TokenizerJson;
  config: TokenizerConfig;
  specialTokens: SpecialTokens;
  /** Whether tokenizerJson came from a tokenizer.json file (savePretrained writes it back only then). */
  fromTokenizerJsonFile: boolean;
  /** Where it was loaded from, for error messages. */
  source: string;
}

interface ResolvedOptions {
  addSpecialTokens: boolean;
  truncation: TruncationStrategy | null;
  padding: PaddingStrategy | null;
  maxLength: number | undefined;
  padToMultipleOf: number | undefined;
}

export class BertTokenizer {
  readonly modelMaxLength: number;
  paddingSide: Side;
  truncationSide: Side;
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  readonly unkTokenId: number;
  readonly maskTokenId: number | undefined;
  readonly specialTokens: SpecialTokens;
  readonly doLowerCase: boolean;
  readonly source: string;

  private readonly backend: Tokenizer;
  private readonly tokenizerJson: TokenizerJson;
  private readonly config: TokenizerConfig;
  private readonly fromTokenizerJsonFile: boolean;
  private readonly vocab: Map<string, number>;
  private readonly idToToken: string[];
  private readonly stripsAccents: boolean;

  constructor(init: BertTokenizerInit) {
    this.tokenizerJson = init.tokenizerJson;
    this.config = init.config;
    this.fromTokenizerJsonFile = init.fromTokenizerJsonFile;
    this.source = init.source;
    this.specialTokens = init.specialTokens;
    this.backend = new Tokenizer(init.tokenizerJson, init.config);
    cacheWordPieces(this.backend);

    const vocab = init.tokenizerJson.model.vocab ?? {};
    this.vocab = new Map(Object.entries(vocab));
    this.idToToken = [];
    for (const [token, id] of this.vocab) this.idToToken[id] = token;
    for (const added of init.tokenizerJson.added_tokens ?? []) {
      if (!this.vocab.has(added.content)) this.vocab.set(added.content, added.id);
      this.idToToken[added.id] ??= added.content;
    }
    this.vocabSize = Object.keys(vocab).length;

    const normalizer = init.tokenizerJson.normalizer ?? null;
    this.doLowerCase = normalizer?.lowercase === true;
    this.stripsAccents =
      normalizer?.strip_accents === true || (normalizer?.lowercase === true && normalizer?.strip_accents !== false);

    const idOf = (token: string, role: string): number => {
      const id = this.vocab.get(token);
      if (id === undefined) {
        throw new Error(
          `${init.source}: the ${role} token "${token}" is not in the vocabulary. ` +
            `Set "${role}_token" in tokenizer_config.json to a token of the vocabulary.`,
        );
      }
      return id;
    };
    this.padTokenId = idOf(init.specialTokens.pad, "pad");
    this.clsTokenId = idOf(init.specialTokens.cls, "cls");
    this.sepTokenId = idOf(init.specialTokens.sep, "sep");
    this.unkTokenId = idOf(init.specialTokens.unk, "unk");
    this.maskTokenId = this.vocab.get(init.specialTokens.mask);

    const maxLen = init.config.model_max_length;
    this.modelMaxLength = typeof maxLen === "number" && maxLen > 0 ? maxLen : VERY_LARGE_INTEGER;
    this.paddingSide = init.config.padding_side ?? "right";
    this.truncationSide = init.config.truncation_side ?? "right";
  }

  /** Text -> WordPiece tokens, without special tokens (transformers' `tokenize`). */
  tokenize(text: string): string[] {
    return this.convertIdsToTokens(this.textToIds(text));
  }

  /** Text -> ids, without special tokens. */
  textToIds(text: string): number[] {
    return this.backend.encode(alignWithBasicTokenizer(text, this.stripsAccents), { add_special_tokens: false }).ids;
  }

  convertIdsToTokens(ids: readonly number[]): string[] {
    return ids.map((id) => this.idToToken[id] ?? this.specialTokens.unk);
  }

  convertTokensToIds(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.vocab.get(t) ?? this.unkTokenId);
  }

  numSpecialTokensToAdd(pair: boolean): number {
    return pair ? 3 : 2;
  }

  /** [CLS] A [SEP] or [CLS] A [SEP] B [SEP], with token types 0 for A and its [SEP], 1 for B and its [SEP]. */
  buildInputsWithSpecialTokens(ids: readonly number[], pairIds: readonly number[] | null): Encoding {
    const inputIds = [this.clsTokenId, ...ids, this.sepTokenId];
    const typeIds = new Array<number>(inputIds.length).fill(0);
    if (pairIds !== null) {
      inputIds.push(...pairIds, this.sepTokenId);
      for (let i = 0; i <= pairIds.length; i++) typeIds.push(1);
    }
    return { input_ids: inputIds, token_type_ids: typeIds, attention_mask: new Array<number>(inputIds.length).fill(1) };
  }

  /** One text or pair, like `tokenizer(text, text_pair, ...)` on strings. */
  encode(text: string, textPair?: string | null, options?: ListOptions): Encoding;
  encode(text: string, textPair: string | null | undefined, options: TensorOptions): TensorEncoding;
  encode(text: string, textPair: string | null = null, options: EncodeOptions = {}): Encoding | TensorEncoding {
    if (typeof text !== "string") throw new TypeError(`tokenizer.encode: text must be a string, found ${describe(text)}.`);
    if (textPair !== null && textPair !== undefined && typeof textPair !== "string") {
      throw new TypeError(`tokenizer.encode: textPair must be a string or null, found ${describe(textPair)}.`);
    }
    const batch = this.encodeBatch([text], textPair === null || textPair === undefined ? null : [textPair], options);
    if (options.returnTensors === "tfjs") return toTensors(batch);
    return { input_ids: batch[0]!.input_ids, token_type_ids: batch[0]!.token_type_ids, attention_mask: batch[0]!.attention_mask };
  }

  /**
   * `tokenizer(texts, textPairs, ...)`: arrays give a batch (the form `dataset.map(fn, { batched: true })` uses),
   * a string gives one encoding.
   */
  call(texts: readonly string[], textPairs?: readonly string[] | null, options?: ListOptions): BatchEncoding;
  call(texts: readonly string[], textPairs: readonly string[] | null | undefined, options: TensorOptions): TensorEncoding;
  call(text: string, textPair?: string | null, options?: ListOptions): Encoding;
  call(text: string, textPair: string | null | undefined, options: TensorOptions): TensorEncoding;
  call(
    texts: string | readonly string[],
    textPairs: string | readonly string[] | null = null,
    options: EncodeOptions = {},
  ): Encoding | BatchEncoding | TensorEncoding {
    if (typeof texts === "string") {
      if (Array.isArray(textPairs)) {
        throw new TypeError("tokenizer.call: a single text was given with an array of pairs; pass arrays for both or strings for both.");
      }
      return this.encode(texts, textPairs as string | null, options as ListOptions);
    }
    if (!Array.isArray(texts)) {
      throw new TypeError(`tokenizer.call: texts must be a string or an array of strings, found ${describe(texts)}.`);
    }
    if (textPairs !== null && textPairs !== undefined && !Array.isArray(textPairs)) {
      throw new TypeError(`tokenizer.call: with an array of texts, textPairs must be an array too, found ${describe(textPairs)}.`);
    }
    const pairs = (textPairs ?? null) as readonly string[] | null;
    const batch = this.encodeBatch(texts, pairs, options);
    if (options.returnTensors === "tfjs") return toTensors(batch);
    return {
      input_ids: batch.map((e) => e.input_ids),
      token_type_ids: batch.map((e) => e.token_type_ids),
      attention_mask: batch.map((e) => e.attention_mask),
    };
  }

  private encodeBatch(texts: readonly string[], pairs: readonly string[] | null, options: EncodeOptions): Encoding[] {
    if (pairs !== null && pairs.length !== texts.length) {
      throw new Error(`tokenizer: ${texts.length} texts but ${pairs.length} text pairs; give one pair per text.`);
    }
    const opts = this.resolveOptions(options);
    const out: Encoding[] = new Array<Encoding>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (typeof text !== "string") throw new TypeError(`tokenizer: texts[${i}] must be a string, found ${describe(text)}.`);
      let ids = this.textToIds(text);
      let pairIds: number[] | null = null;
      if (pairs !== null) {
        const pair = pairs[i];
        if (typeof pair !== "string") throw new TypeError(`tokenizer: textPairs[${i}] must be a string, found ${describe(pair)}.`);
        pairIds = this.textToIds(pair);
      }
      const numSpecial = opts.addSpecialTokens ? this.numSpecialTokensToAdd(pairIds !== null) : 0;
      if (opts.truncation !== null && opts.maxLength !== undefined) {
        const total = ids.length + (pairIds?.length ?? 0) + numSpecial;
        if (total > opts.maxLength) {
          ({ ids, pairIds } = truncateSequences({
            ids,
            pairIds,
            numTokensToRemove: total - opts.maxLength,
            strategy: opts.truncation,
            side: this.truncationSide,
            maxLength: opts.maxLength,
            numSpecialTokens: numSpecial,
            index: texts.length > 1 ? i : undefined,
          }));
        }
      }
      out[i] = opts.addSpecialTokens
        ? this.buildInputsWithSpecialTokens(ids, pairIds)
        : withoutSpecialTokens(ids, pairIds);
    }
    if (opts.padding === null) return out;
    return padEncodings(out, {
      strategy: opts.padding,
      maxLength: opts.maxLength,
      padToMultipleOf: opts.padToMultipleOf,
      padTokenId: this.padTokenId,
      side: this.paddingSide,
    });
  }

  /** transformers' `_get_padding_truncation_strategies`, with errors where it would only warn. */
  private resolveOptions(options: EncodeOptions): ResolvedOptions {
    const { maxLength, padToMultipleOf } = options;
    checkPositiveInteger("maxLength", maxLength);
    checkPositiveInteger("padToMultipleOf", padToMultipleOf);

    let padding: PaddingStrategy | null;
    const p = options.padding;
    if (p === undefined || p === false || p === "do_not_pad") padding = null;
    else if (p === true || p === "longest") padding = "longest";
    else if (p === "max_length") padding = "max_length";
    else throw new Error(`tokenizer: padding must be true, false, "longest", "max_length" or "do_not_pad", found ${describe(p)}.`);

    let truncation: TruncationStrategy | null;
    const t = options.truncation;
    if (t === undefined) truncation = maxLength !== undefined && padding === null ? "longest_first" : null;
    else if (t === false || t === "do_not_truncate") truncation = null;
    else if (t === true || t === "longest_first") truncation = "longest_first";
    else if (t === "only_first" || t === "only_second") truncation = t;
    else {
      throw new Error(
        `tokenizer: truncation must be true, false, "longest_first", "only_first", "only_second" or "do_not_truncate", found ${describe(t)}.`,
      );
    }

    let resolvedMax = maxLength;
    if (resolvedMax === undefined) {
      const declared = this.modelMaxLength < VERY_LARGE_INTEGER ? this.modelMaxLength : undefined;
      if (padding === "max_length" && declared === undefined) {
        throw new Error(
          `tokenizer (${this.source}): padding "max_length" without maxLength, and tokenizer_config.json declares no ` +
            "model_max_length. Pass maxLength, or use padding true (pad to the longest of the batch).",
        );
      }
      // With no declared model_max_length, truncation=True does not truncate (transformers' VERY_LARGE_INTEGER).
      if (padding === "max_length" || truncation !== null) resolvedMax = declared;
    }
    return {
      addSpecialTokens: options.addSpecialTokens ?? true,
      truncation,
      padding,
      maxLength: resolvedMax,
      padToMultipleOf,
    };
  }

  /** ids -> text, like transformers' `decode` (special tokens kept unless skipSpecialTokens). */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    return this.backend.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? this.config.clean_up_tokenization_spaces ?? true,
    });
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /**
   * Writes tokenizer.json (when loaded from one), vocab.txt, tokenizer_config.json and special_tokens_map.json,
   * which AutoTokenizer.fromPretrained here and transformers in Python both read back. Returns the paths written.
   */
  savePretrained(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    const write = (file: string, text: string): void => {
      const path = join(dir, file);
      writeFileSync(path, text, "utf8");
      written.push(path);
    };
    if (this.fromTokenizerJsonFile) write("tokenizer.json", JSON.stringify(this.tokenizerJson));
    const baseVocab = this.tokenizerJson.model.vocab ?? {};
    const byId = Object.entries(baseVocab).sort((a, b) => a[1] - b[1]);
    write("vocab.txt", byId.map(([token]) => `${token}\n`).join(""));
    const normalizer = this.tokenizerJson.normalizer ?? null;
    const special = {
      cls_token: this.specialTokens.cls,
      mask_token: this.specialTokens.mask,
      pad_token: this.specialTokens.pad,
      sep_token: this.specialTokens.sep,
      unk_token: this.specialTokens.unk,
    };
    const config: TokenizerConfig = {
      ...this.config,
      clean_up_tokenization_spaces: this.config.clean_up_tokenization_spaces ?? true,
      do_lower_case: this.doLowerCase,
      strip_accents: (normalizer?.strip_accents as boolean | null | undefined) ?? null,
      tokenize_chinese_chars: (normalizer?.handle_chinese_chars as boolean | undefined) ?? true,
      ...special,
      tokenizer_class: this.config.tokenizer_class ?? "BertTokenizer",
    };
    if (this.modelMaxLength < VERY_LARGE_INTEGER) config.model_max_length = this.modelMaxLength;
    write("tokenizer_config.json", JSON.stringify(config, null, 2) + "\n");
    write("special_tokens_map.json", JSON.stringify(special, null, 2) + "\n");
    return written;
  }
}

/**
 * WordPiece of a word depends on the word alone, and running text repeats words: memoise the model's
 * word -> pieces step (bounded); what it saves on MRPC is in bench/NOTES.md.
 */
function cacheWordPieces(backend: Tokenizer, maxEntries = 100_000): void {
  const model = backend.model;
  if (model === null) return;
  const encodeWords = model.encode.bind(model);
  const cache = new Map<string, string[]>();
  model.encode = (words: string[]): string[] => {
    const out: string[] = [];
    for (const word of words) {
      let pieces = cache.get(word);
      if (pieces === undefined) {
        pieces = encodeWords([word]);
        if (cache.size >= maxEntries) cache.clear();
        cache.set(word, pieces);
      }
      for (const p of pieces) out.push(p);
    }
    return out;
  };
}

function withoutSpecialTokens(ids: number[], pairIds: number[] | null): Encoding {
  const inputIds = pairIds === null ? ids : ids.concat(pairIds);
  const typeIds = new Array<number>(ids.length).fill(0);
  if (pairIds !== null) for (let i = 0; i < pairIds.length; i++) typeIds.push(1);
  return { input_ids: inputIds, token_type_ids: typeIds, attention_mask: new Array<number>(inputIds.length).fill(1) };
}

function toTensors(batch: Encoding[]): TensorEncoding {
  const length = batch[0]?.input_ids.length ?? 0;
  const ragged = batch.findIndex((e) => e.input_ids.length !== length);
  if (ragged >= 0) {
    throw new Error(
      `tokenizer: returnTensors "tfjs" needs sequences of one length, but item 0 has ${length} tokens and item ${ragged} ` +
        `has ${batch[ragged]!.input_ids.length}. Pass padding: true (or "max_length") with truncation.`,
    );
  }
  const shape: [number, number] = [batch.length, length];
  const flat = (key: keyof Encoding): Int32Array => {
    const out = new Int32Array(batch.length * length);
    batch.forEach((e, i) => out.set(e[key], i * length));
    return out;
  };
  return {
    input_ids: tensor2d(flat("input_ids"), shape, "int32"),
    token_type_ids: tensor2d(flat("token_type_ids"), shape, "int32"),
    attention_mask: tensor2d(flat("attention_mask"), shape, "int32"),
  };
}

function checkPositiveInteger(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`tokenizer: ${name} must be a positive integer, found ${describe(value)}.`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return `${typeof value} ${String(value)}`;
}
