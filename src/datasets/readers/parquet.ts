// Parquet -> columns, with hyparquet. Chunks arrive per row group; they are concatenated in row order.
// The `huggingface` key-value metadata written by `datasets` carries the features (ClassLabel names).
import { readFile } from "node:fs/promises";
import { parquetMetadata, parquetRead, type FileMetaData, type SchemaElement } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { Features, Value, featuresFromHfMetadata, inferFeature, type FeatureType } from "../features";
import type { TableData } from "./table";

export class CorruptFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`Cannot read the parquet file "${file}": ${detail}. The file is truncated or corrupt; delete it and download or copy it again.`);
    this.name = "CorruptFileError";
  }
}

export async function readParquet(path: string): Promise<TableData> {
  const buf = await readFile(path);
  // A parquet file starts and ends with "PAR1"; checking both catches a cut download before parsing.
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "PAR1" || buf.toString("latin1", buf.length - 4) !== "PAR1") {
    throw new CorruptFileError(path, `it is ${buf.length} bytes and does not start and end with the "PAR1" magic`);
  }
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (err) {
    throw new CorruptFileError(path, `its footer does not parse (${(err as Error).message})`);
  }
  const numRows = Number(metadata.num_rows);
  const chunks = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
  try {
    await parquetRead({
      file,
      metadata,
      compressors,
      onChunk({ columnName, columnData, rowStart }) {
        let list = chunks.get(columnName);
        if (!list) chunks.set(columnName, (list = []));
        list.push({ rowStart, data: columnData });
      },
    });
  } catch (err) {
    throw new CorruptFileError(path, `a data page does not decode (${(err as Error).message})`);
  }
  const topLevel = topLevelColumns(metadata.schema);
  const columns = new Map<string, unknown[]>();
  for (const name of topLevel.map((e) => e.name)) {
    const parts = (chunks.get(name) ?? []).sort((a, b) => a.rowStart - b.rowStart);
    const values: unknown[] = new Array(numRows);
    let filled = 0;
    for (const { rowStart, data } of parts) {
      for (let i = 0; i < data.length && rowStart + i < numRows; i++) values[rowStart + i] = data[i];
      filled = Math.max(filled, rowStart + data.length);
    }
    if (filled < numRows) throw new CorruptFileError(path, `column "${name}" has ${filled} values but the footer says ${numRows} rows`);
    columns.set(name, bigintsToNumbers(values));
  }
  const hf = metadata.key_value_metadata?.find((kv) => kv.key === "huggingface")?.value;
  const fromHub = hf ? featuresFromHfMetadata(hf, `parquet file "${path}"`) : null;
  const features = new Features(
    topLevel.map((e) => [e.name, fromHub?.get(e.name) ?? schemaFeature(e) ?? inferFeature(columns.get(e.name)!)] as [string, FeatureType]),
  );
  return { columns, features };
}

function topLevelColumns(schema: SchemaElement[]): SchemaElement[] {
  // schema[0] is the root; its direct children follow depth-first, so skip each child's own subtree.
  const out: SchemaElement[] = [];
  let i = 1;
  const skip = (j: number): number => {
    const n = schema[j]!.num_children ?? 0;
    let k = j + 1;
    for (let c = 0; c < n; c++) k = skip(k);
    return k;
  };
  while (i < schema.length) {
    out.push(schema[i]!);
    i = skip(i);
  }
  return out;
}

function schemaFeature(e: SchemaElement): FeatureType | null {
  if (e.num_children) return null;
  switch (e.type) {
    case "BYTE_ARRAY":
      return e.converted_type === "UTF8" || e.logical_type?.type === "STRING" ? new Value("string") : null;
    case "INT32":
      return new Value("int32");
    case "INT64":
      return new Value("int64");
    case "FLOAT":
      return new Value("float32");
    case "DOUBLE":
      return new Value("float64");
    case "BOOLEAN":
      return new Value("bool");
    default:
      return null;
  }
}

/** INT64 columns decode to bigint; labels and ids fit in a double, so keep them as plain numbers. */
function bigintsToNumbers(values: unknown[]): unknown[] {
  let any = false;
  for (const v of values) {
    if (typeof v === "bigint") {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return values;
      any = true;
    }
  }
  return any ? values.map((v) => (typeof v === "bigint" ? Number(v) : v)) : values;
}
