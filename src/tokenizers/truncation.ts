// Truncation of a sequence or a pair before special tokens are added, as transformers 4.31's
// `PreTrainedTokenizerBase.truncate_sequences` does (the slow BertTokenizer the reference comes from).
// Where the slow tokenizer only logs an error and returns the sequences uncut, we throw, as the fast
// (Rust) tokenizer does: a silently over-long sequence would fail much later in the model.
import type { Side, TruncationStrategy } from "./types";

export class TruncationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TruncationError";
  }
}

export interface TruncateRequest {
  ids: number[];
  pairIds: number[] | null;
  numTokensToRemove: number;
  strategy: TruncationStrategy;
  side?: Side;
  /** For error messages: the max length asked for and the number of special tokens counted. */
  maxLength: number;
  numSpecialTokens: number;
  /** For error messages: where in a batch this pair sits. */
  index?: number;
}

export function truncateSequences(req: TruncateRequest): { ids: number[]; pairIds: number[] | null } {
  const { numTokensToRemove: n, strategy, side = "right" } = req;
  let ids = req.ids;
  let pairIds = req.pairIds;
  if (n <= 0) return { ids, pairIds };
  const cut = (seq: number[], k: number): number[] => (side === "right" ? seq.slice(0, seq.length - k) : seq.slice(k));
  const where = req.index === undefined ? "" : ` (batch index ${req.index})`;
  const lengths =
    `first ${ids.length}` + (pairIds === null ? "" : ` + second ${pairIds.length}`) + ` + ${req.numSpecialTokens} special`;

  if (strategy === "only_first" || (strategy === "longest_first" && pairIds === null)) {
    // transformers requires strictly more tokens than it removes: a sequence is never cut to nothing.
    if (ids.length > n) return { ids: cut(ids, n), pairIds };
    throw new TruncationError(
      `Truncation "${strategy}"${where}: cannot fit maxLength ${req.maxLength}: ${n} tokens must go (${lengths}) ` +
        `but the first sequence has only ${ids.length}. ` +
        (pairIds === null
          ? "Use a larger maxLength (it must leave room for the special tokens)."
          : 'Use truncation "longest_first" or "only_second", or a larger maxLength.'),
    );
  }
  if (strategy === "longest_first") {
    const pair = pairIds as number[];
    // Cutting both texts to nothing is what transformers does when maxLength equals the special tokens;
    // below that no cut can reach maxLength.
    if (n > ids.length + pair.length) {
      throw new TruncationError(
        `Truncation "longest_first"${where}: maxLength ${req.maxLength} is below the ${req.numSpecialTokens} special tokens (${lengths}). ` +
          `Use a maxLength of at least ${req.numSpecialTokens}.`,
      );
    }
    // One token at a time from the longer sequence; on a tie from the second. Equivalent closed form:
    // count how many each loses, then cut once.
    let a = ids.length;
    let b = pair.length;
    for (let i = 0; i < n; i++) {
      if (a > b) a--;
      else b--;
    }
    return { ids: cut(ids, ids.length - a), pairIds: cut(pair, pair.length - b) };
  }
  // only_second
  if (pairIds === null) {
    throw new TruncationError(
      `Truncation "only_second"${where} needs a second sequence (textPair), but only one text was given. ` +
        'Pass text pairs or use truncation "only_first" / "longest_first".',
    );
  }
  if (pairIds.length > n) return { ids, pairIds: cut(pairIds, n) };
  throw new TruncationError(
    `Truncation "only_second"${where}: cannot fit maxLength ${req.maxLength}: ${n} tokens must go (${lengths}) ` +
      `but the second sequence has only ${pairIds.length}. Use truncation "longest_first" or "only_first", or a larger maxLength.`,
  );
}
