// Padding of encoded sequences, as transformers 4.31's `PreTrainedTokenizerBase.pad` / `_pad` does:
// "longest" pads to the longest of the batch, "max_length" to maxLength; either length is then rounded up
// to a multiple of padToMultipleOf. Pad ids: pad_token_id, token type 0, attention 0.
import type { Encoding, Side } from "./types";

export interface PadRequest {
  strategy: "longest" | "max_length";
  /** Required for "max_length". */
  maxLength?: number;
  padToMultipleOf?: number;
  padTokenId: number;
  side: Side;
}

export function roundUpToMultiple(length: number, multiple: number | undefined): number {
  if (multiple === undefined || length % multiple === 0) return length;
  return (Math.floor(length / multiple) + 1) * multiple;
}

/** Pads every encoding to one target length (sequences already longer are left as they are, as in transformers). */
export function padEncodings(encodings: Encoding[], req: PadRequest): Encoding[] {
  let target: number;
  if (req.strategy === "longest") {
    target = encodings.reduce((m, e) => Math.max(m, e.input_ids.length), 0);
  } else {
    if (req.maxLength === undefined) throw new Error('padEncodings: padding "max_length" needs maxLength.');
    target = req.maxLength;
  }
  target = roundUpToMultiple(target, req.padToMultipleOf);
  return encodings.map((e) => padOne(e, target, req.padTokenId, req.side));
}

function padOne(e: Encoding, target: number, padTokenId: number, side: Side): Encoding {
  const missing = target - e.input_ids.length;
  if (missing <= 0) return e;
  const fill = (v: number): number[] => new Array<number>(missing).fill(v);
  const join = (seq: number[], v: number): number[] => (side === "right" ? seq.concat(fill(v)) : fill(v).concat(seq));
  return {
    input_ids: join(e.input_ids, padTokenId),
    token_type_ids: join(e.token_type_ids, 0),
    attention_mask: join(e.attention_mask, 0),
  };
}
