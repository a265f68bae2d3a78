// load_dataset: GLUE configs from the Hub's parquet files (via src/hub: mirror, cache, download), and local
// parquet / csv / json files given as dataFiles.
import { hfHubFile } from "../hub";
import { Dataset, type Row } from "./dataset";
import { DatasetDict, type SplitDict } from "./datasetDict";
import { Features, type FeatureType } from "./features";
import { readCsv } from "./readers/csv";
import { readJson } from "./readers/json";
import { readParquet } from "./readers/parquet";
import type { TableData } from "./readers/table";

export const GLUE_REPO = "nyu-mll/glue";

/** GLUE configs and their splits, as the `configs` section of the nyu-mll/glue dataset card lists them. */
export const GLUE_CONFIGS: Readonly<Record<string, readonly string[]>> = {
  ax: ["test"],
  cola: ["train", "validation", "test"],
  mnli: ["train", "validation_matched", "validation_mismatched", "test_matched", "test_mismatched"],
  mnli_matched: ["validation", "test"],
  mnli_mismatched: ["validation", "test"],
  mrpc: ["train", "validation", "test"],
  qnli: ["train", "validation", "test"],
  qqp: ["train", "validation", "test"],
  rte: ["train", "validation", "test"],
  sst2: ["train", "validation", "test"],
  stsb: ["train", "validation", "test"],
  wnli: ["train", "validation", "test"],
};

export type MrpcRow = { sentence1: string; sentence2: string; label: number; idx: number };
export type Sst2Row = { sentence: string; label: number; idx: number };
export type GlueSplit = "train" | "validation" | "test";

export type DataFiles<S extends string> = string | readonly string[] | Readonly<Record<S, string | readonly string[]>>;
export type LocalLoadOptions<S extends string> = {
  dataFiles: DataFiles<S>;
  /** json only: the key of one top-level object that holds the rows. */
  field?: string;
};

export function loadDataset(path: "glue" | "nyu-mll/glue", name: "mrpc"): Promise<SplitDict<MrpcRow, GlueSplit>>;
export function loadDataset(path: "glue" | "nyu-mll/glue", name: "sst2"): Promise<SplitDict<Sst2Row, GlueSplit>>;
export function loadDataset(path: "glue" | "nyu-mll/glue", name: string): Promise<SplitDict<Row, string>>;
export function loadDataset(path: "parquet" | "csv" | "json", options: LocalLoadOptions<never> & { dataFiles: string | readonly string[] }): Promise<SplitDict<Row, "train">>;
export function loadDataset<S extends string>(path: "parquet" | "csv" | "json", options: LocalLoadOptions<S>): Promise<SplitDict<Row, S>>;
export async function loadDataset(path: string, nameOrOptions: string | LocalLoadOptions<string>): Promise<SplitDict<Row, string>> {
  if (path === "glue" || path === GLUE_REPO) {
    if (typeof nameOrOptions !== "string") throw new Error(`loadDataset("${path}", config): the config name is missing; choose one of ${glueConfigList()}.`);
    return loadGlue(nameOrOptions);
  }
  if (path === "parquet" || path === "csv" || path === "json") {
    if (typeof nameOrOptions !== "object" || nameOrOptions === null || nameOrOptions.dataFiles === undefined) {
      throw new Error(`loadDataset("${path}", { dataFiles }): dataFiles is missing; pass a path, a list of paths, or { train: ..., test: ... }.`);
    }
    return loadLocal(path, nameOrOptions);
  }
  throw new Error(
    `loadDataset: "${path}" is not supported. Use "glue" with a config (${glueConfigList()}), ` +
      `or "parquet" / "csv" / "json" with { dataFiles }.`,
  );
}

function glueConfigList(): string {
  return Object.keys(GLUE_CONFIGS).map((c) => `"${c}"`).join(", ");
}

async function loadGlue(config: string): Promise<SplitDict<Row, string>> {
  const splits = GLUE_CONFIGS[config];
  if (!splits) {
    throw new Error(`BuilderConfig "${config}" not found for dataset "glue". Available configs: ${glueConfigList()}.`);
  }
  const datasets = await Promise.all(
    splits.map(async (split) => {
      const file = await hfHubFile({ repo: GLUE_REPO, file: `${config}/${split}-00000-of-00001.parquet`, repoType: "dataset" });
      return fromTables([await readParquet(file)], [file]);
    }),
  );
  return DatasetDict.from(Object.fromEntries(splits.map((s, k) => [s, datasets[k]!])));
}

async function loadLocal(kind: "parquet" | "csv" | "json", options: LocalLoadOptions<string>): Promise<SplitDict<Row, string>> {
  const files = normaliseDataFiles(options.dataFiles);
  const read = (file: string): Promise<TableData> =>
    kind === "parquet" ? readParquet(file) : kind === "csv" ? readCsv(file) : readJson(file, { field: options.field });
  const entries = await Promise.all(
    Object.entries(files).map(async ([split, paths]) => [split, fromTables(await Promise.all(paths.map(read)), paths)] as const),
  );
  return DatasetDict.from(Object.fromEntries(entries));
}

function normaliseDataFiles(dataFiles: DataFiles<string>): Record<string, string[]> {
  const list = (x: string | readonly string[], split: string): string[] => {
    const paths = typeof x === "string" ? [x] : [...x];
    if (paths.length === 0) throw new Error(`loadDataset: dataFiles for split "${split}" is an empty list.`);
    return paths;
  };
  if (typeof dataFiles === "string" || Array.isArray(dataFiles)) return { train: list(dataFiles as string | string[], "train") };
  const out: Record<string, string[]> = {};
  for (const [split, x] of Object.entries(dataFiles as Record<string, string | readonly string[]>)) out[split] = list(x, split);
  if (Object.keys(out).length === 0) throw new Error("loadDataset: dataFiles is an empty object; give at least one split.");
  return out;
}

/** Files of one split, concatenated; they must have the same columns. */
function fromTables(tables: TableData[], paths: readonly string[]): Dataset<Row> {
  const first = tables[0]!;
  const names = [...first.columns.keys()];
  const columns = new Map<string, unknown[]>(names.map((n) => [n, first.columns.get(n)!]));
  tables.slice(1).forEach((t, k) => {
    const other = [...t.columns.keys()];
    if (other.length !== names.length || other.some((n) => !first.columns.has(n))) {
      throw new Error(`loadDataset: "${paths[k + 1]}" has columns [${other.join(", ")}] but "${paths[0]}" has [${names.join(", ")}]; files of one split need the same columns.`);
    }
    for (const n of names) columns.set(n, columns.get(n)!.concat(t.columns.get(n)!));
  });
  const features = first.features
    ? new Features(names.map((n) => [n, first.features!.get(n)!] as [string, FeatureType]))
    : undefined;
  return new Dataset<Row>(columns, { features });
}
