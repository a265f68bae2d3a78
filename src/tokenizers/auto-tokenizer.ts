// AutoTokenizer.fromPretrained(repoOrDir): tokenizer.json when the checkpoint has one, else a BERT WordPiece
// tokenizer built from vocab.txt, configured by tokenizer_config.json and special_tokens_map.json.
import { readFile } from "node:fs/promises";
import { HubFileNotFoundError, resolvePretrainedFile } from "../hub/index";
import { BertTokenizer } from "./bert-tokenizer";
import type { TokenizerConfig } from "./types";
import { bertTokenizerJson, parseVocabTxt, type SpecialTokens, type TokenizerJson } from "./wordpiece-json";

export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "TokenizerFileError";
  }
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TokenizerFileError(
      path,
      `${path} is not valid JSON (${reason}); expected the ${what}. ` +
        "The file is damaged or not a tokenizer file: download it again (or delete it and use a checkpoint with vocab.txt).",
    );
  }
}

function asObject(value: unknown, path: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TokenizerFileError(path, `${path} holds ${Array.isArray(value) ? "an array" : typeof value}; expected the ${what} (a JSON object).`);
  }
  return value as Record<string, unknown>;
}

function tokenContent(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return fallback;
}

function specialTokensOf(config: TokenizerConfig): SpecialTokens {
  return {
    unk: tokenContent(config.unk_token, "[UNK]"),
    sep: tokenContent(config.sep_token, "[SEP]"),
    pad: tokenContent(config.pad_token, "[PAD]"),
    cls: tokenContent(config.cls_token, "[CLS]"),
    mask: tokenContent(config.mask_token, "[MASK]"),
  };
}

/**
 * BertTokenizerFast.__init__ overrides the normalizer of tokenizer.json with do_lower_case, strip_accents and
 * tokenize_chinese_chars (defaults true, null, true) when they disagree; so does this.
 */
function applyConfigToNormalizer(json: TokenizerJson, config: TokenizerConfig): void {
  const n = json.normalizer;
  if (!n || n.type !== "BertNormalizer") return;
  const lowercase = config.do_lower_case ?? true;
  const stripAccents = config.strip_accents ?? null;
  const chinese = config.tokenize_chinese_chars ?? true;
  if (
    (n.lowercase ?? lowercase) !== lowercase ||
    (n.strip_accents ?? null) !== stripAccents ||
    (n.handle_chinese_chars ?? chinese) !== chinese
  ) {
    json.normalizer = { ...n, lowercase, strip_accents: stripAccents, handle_chinese_chars: chinese };
  }
}

export interface FromPretrainedOptions {
  /** Overrides of tokenizer_config.json, like keyword arguments of transformers' from_pretrained. */
  config?: Partial<TokenizerConfig>;
}

export const AutoTokenizer = {
  async fromPretrained(repoOrDir: string, options: FromPretrainedOptions = {}): Promise<BertTokenizer> {
    const configPath = await resolvePretrainedFile(repoOrDir, "tokenizer_config.json", { optional: true });
    const mapPath = await resolvePretrainedFile(repoOrDir, "special_tokens_map.json", { optional: true });
    const jsonPath = await resolvePretrainedFile(repoOrDir, "tokenizer.json", { optional: true });

    const fileConfig: TokenizerConfig =
      configPath === null ? {} : (asObject(await readJsonFile(configPath, "tokenizer configuration"), configPath, "tokenizer configuration") as TokenizerConfig);
    const specialMap: TokenizerConfig =
      mapPath === null ? {} : (asObject(await readJsonFile(mapPath, "special tokens map"), mapPath, "special tokens map") as TokenizerConfig);
    // As in transformers: special_tokens_map.json wins over tokenizer_config.json, explicit options over both.
    const config: TokenizerConfig = { ...fileConfig, ...specialMap, ...(options.config ?? {}) };
    if (typeof config.tokenizer_class === "string" && !/Bert|Electra/.test(config.tokenizer_class)) {
      throw new TokenizerFileError(
        configPath ?? repoOrDir,
        `${configPath ?? repoOrDir}: tokenizer_class is "${config.tokenizer_class}", but this kit implements the BERT WordPiece tokenizer only ` +
          "(BertTokenizer / BertTokenizerFast). Use a BERT checkpoint.",
      );
    }
    const specialTokens = specialTokensOf(config);

    if (jsonPath !== null) {
      const json = asObject(await readJsonFile(jsonPath, "tokenizer.json of the tokenizers library"), jsonPath, "tokenizer.json") as TokenizerJson;
      const model = json.model as TokenizerJson["model"] | undefined;
      // Older files (bert-base-uncased's among them) omit model.type; the tokenizers library then infers
      // WordPiece from a dict vocab with continuing_subword_prefix and no merges.
      const isWordPiece =
        model !== undefined &&
        typeof model.vocab === "object" &&
        !Array.isArray(model.vocab) &&
        (model.type === "WordPiece" || (model.type === undefined && "continuing_subword_prefix" in model && !("merges" in model)));
      if (!isWordPiece) {
        throw new TokenizerFileError(
          jsonPath,
          `${jsonPath}: expected a WordPiece model with a vocab (a BERT tokenizer), found model type ${JSON.stringify(model?.type)}. ` +
            "This kit implements the BERT WordPiece tokenizer only.",
        );
      }
      applyConfigToNormalizer(json, config);
      return new BertTokenizer({ tokenizerJson: json, config, specialTokens, fromTokenizerJsonFile: true, source: jsonPath });
    }

    let vocabPath: string | null;
    try {
      vocabPath = await resolvePretrainedFile(repoOrDir, "vocab.txt");
    } catch (err) {
      if (err instanceof HubFileNotFoundError) {
        throw new TokenizerFileError(
          repoOrDir,
          // Nothing at all usually means the checkpoint is not on this machine, not that it lacks a tokenizer.
          configPath === null && mapPath === null && err.reason !== "local"
            ? `No tokenizer for "${repoOrDir}": none of its tokenizer files (tokenizer.json, vocab.txt, tokenizer_config.json) was found.\n${err.message}`
            : `No tokenizer for "${repoOrDir}": it has neither tokenizer.json nor vocab.txt.\n${err.message}`,
        );
      }
      throw err;
    }
    const path = vocabPath as string;
    const vocab = parseVocabTxt(await readFile(path, "utf8"));
    const json = bertTokenizerJson(
      vocab,
      {
        lowercase: config.do_lower_case ?? true,
        stripAccents: config.strip_accents ?? null,
        handleChineseChars: config.tokenize_chinese_chars ?? true,
      },
      specialTokens,
      path,
    );
    return new BertTokenizer({ tokenizerJson: json, config, specialTokens, fromTokenizerJsonFile: false, source: path });
  },
};
