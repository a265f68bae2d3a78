// How fast the course's tokenization runs: all of GLUE MRPC (train + validation + test, 5801 pairs)
// through `tokenizer.call(sentence1, sentence2, { truncation: true })`, one batched call per split as
// `dataset.map(fn, { batched: true })` makes it. The target (DESIGN.md): under 1 s on the 2-core machine.
// Reading the parquet files and loading the tokenizer are not timed. Run: `npx tsx bench/tokenization.ts`.
import { pathToFileURL } from "node:url";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { hfHubFile } from "../src/hub/index";
import { AutoTokenizer } from "../src/tokenizers/index";

export interface TokenizationBench {
  pairs: number;
  /** Wall time of the first (cold) pass over all splits. */
  seconds: number;
  pairsPerSecond: number;
}

const SPLITS = ["train", "validation", "test"] as const;

export async function benchTokenization(checkpoint = "bert-base-uncased"): Promise<TokenizationBench> {
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  const columns: Array<{ sentence1: string[]; sentence2: string[] }> = [];
  for (const split of SPLITS) {
    const path = await hfHubFile({ repo: "nyu-mll/glue", file: `mrpc/${split}-00000-of-00001.parquet`, repoType: "dataset" });
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors })) as Array<{
      sentence1: string;
      sentence2: string;
    }>;
    columns.push({ sentence1: rows.map((r) => r.sentence1), sentence2: rows.map((r) => r.sentence2) });
  }
  const start = performance.now();
  let pairs = 0;
  for (const c of columns) pairs += tokenizer.call(c.sentence1, c.sentence2, { truncation: true }).input_ids.length;
  const seconds = (performance.now() - start) / 1000;
  return { pairs, seconds, pairsPerSecond: pairs / seconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchTokenization();
  console.log(
    `tokenization: ${r.pairs} MRPC pairs in ${r.seconds.toFixed(3)} s (${Math.round(r.pairsPerSecond)} pairs/s; target < 1 s)`,
  );
}
