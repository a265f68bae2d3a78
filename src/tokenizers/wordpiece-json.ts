// A BERT tokenizer.json built from vocab.txt, the way transformers' `BertConverter`
// (convert_slow_tokenizer.py) turns a slow BertTokenizer into a fast one: BertNormalizer,
// BertPreTokenizer, WordPiece (## prefix, 100 chars per word), [CLS] A [SEP] B [SEP], WordPiece decoder.
// Checkpoints saved before tokenizer.json existed (and our tiny reference checkpoint) have only vocab.txt.

export type TokenizerJson = Record<string, unknown> & {
  normalizer?: Record<string, unknown> | null;
  model: Record<string, unknown> & { type?: string; vocab?: Record<string, number>; unk_token?: string };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
};

/** vocab.txt: one token per line, the line number is the id (transformers' `load_vocab`). */
export function parseVocabTxt(text: string): Record<string, number> {
  // Python reads it in text mode: universal newlines, so \r\n and \r end a line too.
  const lines = text.split(/\r\n|\r|\n/);
  // A trailing newline ends the last token; it is not an empty token.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  lines.forEach((line, i) => {
    // load_vocab does token.rstrip("\n") only; a later duplicate overwrites an earlier one, as in Python.
    vocab[line] = i;
  });
  return vocab;
}

export interface BertNormalizerOptions {
  lowercase: boolean;
  stripAccents: boolean | null;
  handleChineseChars: boolean;
}

export interface SpecialTokens {
  unk: string;
  sep: string;
  pad: string;
  cls: string;
  mask: string;
}

export function bertTokenizerJson(
  vocab: Record<string, number>,
  normalizer: BertNormalizerOptions,
  special: SpecialTokens,
  sourceFile: string,
): TokenizerJson {
  const idOf = (token: string, role: string): number => {
    const id = vocab[token];
    if (id === undefined) {
      throw new Error(`${sourceFile}: the ${role} token "${token}" is not in the vocabulary; a BERT vocab needs it.`);
    }
    return id;
  };
  const clsId = idOf(special.cls, "cls");
  const sepId = idOf(special.sep, "sep");
  const addedTokens = (Object.entries(special) as Array<[keyof SpecialTokens, string]>)
    .filter(([, token]) => vocab[token] !== undefined)
    .map(([, token]) => ({
      id: vocab[token] as number,
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((a, b) => a.id - b.id);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: normalizer.handleChineseChars,
      strip_accents: normalizer.stripAccents,
      lowercase: normalizer.lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: special.cls, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: special.sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: special.cls, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: special.sep, type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: special.sep, type_id: 1 } },
      ],
      special_tokens: {
        [special.cls]: { id: special.cls, ids: [clsId], tokens: [special.cls] },
        [special.sep]: { id: special.sep, ids: [sepId], tokens: [special.sep] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: special.unk,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}
