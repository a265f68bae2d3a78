// Chapter 01 — preprocessing. Loads GLUE MRPC, tokenizes the sentence pairs with bert-base-uncased's
// tokenizer, and post-processes the dataset for a hand-written loop: drop the text columns, rename
// `label` to `labels`, set the tensor format. Reproduces the first block of the course's "A full training":
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): load-dataset, tokenize-function, postprocess
import { pathToFileURL } from "node:url";
import { DataCollatorWithPadding } from "../src/data";
import { loadDataset, type MrpcRow } from "../src/datasets";
import { AutoTokenizer, type BertTokenizer } from "../src/tokenizers";
import { PRESETS, type PresetName } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";

export type PreprocessingOptions = { preset?: PresetName; quiet?: boolean };

export type PreprocessingResult = {
  checkpoint: string;
  numRows: Record<string, number>;
  rawColumnNames: string[];
  trainColumnNames: string[];
};

/** The course's block, returned for the later chapters: the tokenizer, the post-processed splits and the collator. */
export async function preprocess(checkpoint: string) {
  // #region load-dataset
  const rawDatasets = await loadDataset("glue", "mrpc");
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  // #endregion load-dataset

  // #region tokenize-function
  function tokenizeFunction(example: { sentence1: string[]; sentence2: string[] }) {
    return tokenizer.call(example.sentence1, example.sentence2, { truncation: true });
  }

  const tokenizedDatasets = rawDatasets.map(tokenizeFunction, { batched: true });
  const dataCollator = new DataCollatorWithPadding({ tokenizer });
  // #endregion tokenize-function

  // #region postprocess
  const postprocessed = tokenizedDatasets
    .removeColumns(["sentence1", "sentence2", "idx"])
    .renameColumn("label", "labels")
    .setFormat("tfjs");
  // #endregion postprocess

  return { rawDatasets, tokenizer, tokenizedDatasets: postprocessed, dataCollator };
}

export type Preprocessed = Awaited<ReturnType<typeof preprocess>>;
export type { BertTokenizer, MrpcRow };

export async function run(options: PreprocessingOptions = {}): Promise<PreprocessingResult> {
  const checkpoint = PRESETS[options.preset ?? "tiny"].tokenizer;
  const { rawDatasets, tokenizedDatasets } = await preprocess(checkpoint);
  const log = options.quiet ? () => {} : console.log;
  log(rawDatasets.toString());
  // The course prints tokenized_datasets["train"].column_names; Python lists them sorted here.
  const trainColumnNames = [...tokenizedDatasets.train.columnNames].sort();
  log(trainColumnNames);
  return {
    checkpoint,
    numRows: { ...rawDatasets.numRows },
    rawColumnNames: rawDatasets.train.columnNames,
    trainColumnNames,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/01-preprocessing.ts [--preset NAME]",
    about: "Loads GLUE MRPC, tokenizes it, prints the DatasetDict and the post-processed column names.",
    flags: ["preset"],
  });
  await run(args);
}
