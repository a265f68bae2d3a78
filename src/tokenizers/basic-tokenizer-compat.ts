// Three places where @huggingface/tokenizers' BertNormalizer differs from transformers' (slow) BasicTokenizer,
// fixed on the raw text before it reaches the library, so the ids stay those of BertTokenizer:
// 1. Python's `_is_control` removes every category C character, unassigned code points (Cn) included;
//    the library removes only Cc, Cf, Co, Cs.
// 2. The library tests Chinese characters on UTF-16 code units, so the CJK ideographs outside the BMP
//    (extensions B to F, compatibility supplement) are not split into words of their own.
// 3. BasicTokenizer NFC-normalises the text (transformers >= 4.28). When accents are stripped the NFD that
//    follows makes this moot; for cased vocabularies it changes the pieces found.

const UNASSIGNED = /\p{Cn}/gu;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;
const NON_ASCII = /[^\x00-\x7F]/;

export function alignWithBasicTokenizer(text: string, stripsAccents: boolean): string {
  // MRPC is nearly all ASCII: keep that path free of regex passes over the whole text.
  if (!NON_ASCII.test(text)) return text;
  let out = text.replace(UNASSIGNED, "");
  if (HAS_SURROGATE.test(out)) out = out.replace(ASTRAL_CJK, " $& ");
  if (!stripsAccents) out = out.normalize("NFC");
  return out;
}
