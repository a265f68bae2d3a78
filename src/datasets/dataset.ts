// A table of examples stored by column, like an Arrow-backed `datasets.Dataset`. Every operation returns a
// new Dataset and leaves its source untouched; columns an operation does not change are shared, not copied,
// so removeColumns / renameColumn / setFormat cost nothing on 67k rows.
import { inspect } from "node:util";
import { Generator } from "../utils/random";
import { Features, inferFeature, type FeatureType } from "./features";

export type Row = Record<string, unknown>;
/** A batch as map(batched) sees it: each column's values for the rows of the batch. */
export type Columns<R> = { [K in keyof R]: R[K][] };
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Columns returned by a batched map fn, as row fields (functions on a result object are not columns). */
export type Unbatch<Out> = {
  [K in keyof Out as Out[K] extends ArrayLike<unknown> ? K : never]: Out[K] extends ArrayLike<infer V> ? V : never;
};
type Merge<A, B> = Simplify<Omit<A, keyof B> & B>;

/** "tfjs": the DataLoader's default collate turns columns into tensors. null: plain values. */
export type FormatType = "tfjs" | null;
export type DatasetFormat = { readonly type: FormatType; readonly columns: readonly string[] | null };

export type MapOptions<Rm extends string> = {
  batched?: boolean;
  batchSize?: number;
  /** Columns dropped after fn ran (fn still sees them), as Python's `remove_columns`. */
  removeColumns?: Rm | readonly Rm[];
};

type ColumnStore = ReadonlyMap<string, readonly unknown[]>;

export class Dataset<R extends Row = Row> {
  private readonly store: ColumnStore;
  readonly numRows: number;
  readonly features: Features;
  readonly format: DatasetFormat;

  /** Columns must have equal lengths; features default to types inferred from the values. */
  constructor(columns: ColumnStore | Record<string, readonly unknown[]>, options: { features?: Features; format?: DatasetFormat } = {}) {
    const store: ColumnStore = columns instanceof Map ? columns : new Map(Object.entries(columns));
    let n: number | null = null;
    for (const [name, values] of store) {
      if (n === null) n = values.length;
      else if (values.length !== n) {
        throw new Error(`Dataset: column "${name}" has ${values.length} values but the columns before it have ${n}; every column needs one value per row.`);
      }
    }
    this.store = store;
    this.numRows = n ?? 0;
    const features = options.features;
    this.features =
      features && sameKeys(features.keys(), [...store.keys()])
        ? features
        : new Features([...store].map(([name, values]) => [name, features?.get(name) ?? inferFeature(values)] as [string, FeatureType]));
    this.format = options.format ?? { type: null, columns: null };
  }

  /** A Dataset from a list of row objects (`Dataset.from_list`). */
  static fromList<R extends Row>(rows: readonly R[], features?: Features): Dataset<R> {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) for (const k of Object.keys(row)) if (!seen.has(k)) (seen.add(k), names.push(k));
    const store = new Map<string, unknown[]>(names.map((k) => [k, rows.map((r) => (k in r ? r[k] : null))]));
    return new Dataset<R>(store, { features });
  }

  get columnNames(): string[] {
    return [...this.store.keys()];
  }

  /** Python's `len(dataset)`. */
  get length(): number {
    return this.numRows;
  }

  /** Row i as a plain object; negative i counts from the end. */
  at(index: number): R {
    const i = index < 0 ? this.numRows + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.numRows) {
      throw new RangeError(`Dataset.at(${index}): index out of range for a dataset of ${this.numRows} rows.`);
    }
    const row: Row = {};
    for (const [name, values] of this.store) row[name] = values[i];
    return row as R;
  }

  /** All values of one column (shared with the dataset: do not mutate). */
  column<K extends keyof R & string>(name: K): readonly R[K][] {
    return this.requireColumns([name], "column")[0] as readonly R[K][];
  }

  /** Rows [start, end) by column, as Python's `dataset[start:end]`. */
  slice(start = 0, end = this.numRows): Columns<R> {
    const out: Record<string, unknown[]> = {};
    for (const [name, values] of this.store) out[name] = values.slice(start, end);
    return out as Columns<R>;
  }

  toList(): R[] {
    return Array.from(this, (r) => r);
  }

  *[Symbol.iterator](): IterableIterator<R> {
    for (let i = 0; i < this.numRows; i++) yield this.at(i);
  }

  /** The rows at these indices, in this order (repeats allowed). */
  select(indices: Iterable<number>): Dataset<R> {
    const idx = Array.from(indices);
    for (const i of idx) {
      if (!Number.isInteger(i) || i < 0 || i >= this.numRows) {
        throw new RangeError(`Dataset.select: index ${i} is out of range for a dataset of ${this.numRows} rows.`);
      }
    }
    const store = new Map<string, unknown[]>();
    for (const [name, values] of this.store) store.set(name, idx.map((i) => values[i]));
    return this.derive(store);
  }

  /** A permutation of the rows drawn from a seeded Generator (seed 42 unless given). */
  shuffle(options: { seed?: number | string; generator?: Generator } = {}): Dataset<R> {
    const generator = options.generator ?? new Generator(options.seed ?? 42);
    return this.select(generator.permutation(this.numRows));
  }

  /** Rows for which fn is true, as `Dataset.filter`. */
  filter(fn: (row: R, index: number) => boolean): Dataset<R> {
    const keep: number[] = [];
    for (let i = 0; i < this.numRows; i++) if (fn(this.at(i), i)) keep.push(i);
    return this.select(keep);
  }

  /** The first n rows. */
  take(n: number): Dataset<R> {
    return this.select(Array.from({ length: Math.min(n, this.numRows) }, (_, i) => i));
  }

  map<Out extends object, Rm extends string = never>(
    fn: (batch: Columns<R>, indices: number[]) => Out,
    options: MapOptions<Rm> & { batched: true },
  ): Dataset<Merge<Omit<R, Rm>, Unbatch<Out>>>;
  map<Out extends Row | void, Rm extends string = never>(
    fn: (row: R, index: number) => Out,
    options?: MapOptions<Rm> & { batched?: false },
  ): Dataset<Merge<Omit<R, Rm>, Out extends Row ? Out : {}>>;
  map(
    fn: ((batch: Columns<R>, indices: number[]) => object) | ((row: R, index: number) => Row | void),
    options: MapOptions<string> = {},
  ): Dataset<Row> {
    const remove = toList(options.removeColumns);
    this.requireColumns(remove, "map(removeColumns)");
    const batched = options.batched ?? false;
    const batchSize = options.batchSize ?? 1000;
    if (batched && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new RangeError(`Dataset.map: batchSize must be a positive integer, got ${batchSize}.`);
    }
    const outColumns = new Map<string, unknown[]>();
    let outRows = 0;
    const add = (name: string, values: ArrayLike<unknown>, expected: number, where: string): void => {
      if (values.length !== expected) {
        throw new Error(`Dataset.map: ${where} column "${name}" has ${values.length} values but the others have ${expected}.`);
      }
      let col = outColumns.get(name);
      if (col === undefined) {
        if (outRows > 0) throw new Error(`Dataset.map: column "${name}" appears at row ${outRows} but was missing from earlier results.`);
        outColumns.set(name, (col = []));
      }
      for (let j = 0; j < values.length; j++) col.push(values[j]);
    };
    const step = batched ? batchSize : 1;
    for (let start = 0; start < this.numRows; start += step) {
      const end = Math.min(start + step, this.numRows);
      let result: Record<string, ArrayLike<unknown>>;
      let produced: number;
      if (batched) {
        const indices = Array.from({ length: end - start }, (_, j) => start + j);
        const out = (fn as (b: Columns<R>, i: number[]) => object)(this.slice(start, end), indices);
        result = batchColumns(out);
        const lengths = new Set(Object.values(result).map((v) => v.length));
        if (lengths.size > 1) {
          throw new Error(`Dataset.map: the batched function returned columns of different lengths: ${Object.entries(result).map(([k, v]) => `${k}=${v.length}`).join(", ")}.`);
        }
        produced = lengths.size === 0 ? end - start : [...lengths][0]!;
        if (produced !== end - start && remove.length !== this.store.size) {
          throw new Error(
            `Dataset.map: the batched function returned ${produced} rows for a batch of ${end - start}; ` +
              `that is only possible when every input column is removed (removeColumns: ${JSON.stringify(this.columnNames)}).`,
          );
        }
      } else {
        const out = (fn as (r: R, i: number) => Row | void)(this.at(start), start);
        result = {};
        if (out !== undefined) for (const [k, v] of Object.entries(out)) if (typeof v !== "function") result[k] = [v];
        produced = 1;
      }
      for (const [name, values] of Object.entries(result)) add(name, values, produced, batched ? "batched" : "row");
      outRows += produced;
      for (const [name, col] of outColumns) {
        if (col.length !== outRows) throw new Error(`Dataset.map: column "${name}" is missing from the result for rows ${start}..${end - 1}.`);
      }
    }
    const store = new Map<string, readonly unknown[]>();
    const sameRows = outRows === this.numRows || outColumns.size === 0;
    if (sameRows) {
      for (const [name, values] of this.store) if (!remove.includes(name) && !outColumns.has(name)) store.set(name, values);
    }
    // New columns go after the kept ones; an overwritten column keeps its place, as in `datasets`.
    const ordered = new Map<string, readonly unknown[]>();
    for (const name of this.store.keys()) {
      if (store.has(name)) ordered.set(name, store.get(name)!);
      else if (outColumns.has(name)) ordered.set(name, outColumns.get(name)!);
    }
    for (const [name, values] of outColumns) if (!ordered.has(name)) ordered.set(name, values);
    const features = new Features(
      [...ordered].map(([name, values]) => [name, outColumns.has(name) ? inferFeature(values) : this.features.get(name)!] as [string, FeatureType]),
    );
    return new Dataset(ordered, { features, format: this.keptFormat([...ordered.keys()]) });
  }

  removeColumns<K extends string>(names: K | readonly K[]): Dataset<Simplify<Omit<R, K>>> {
    const remove = toList(names);
    this.requireColumns(remove, "removeColumns");
    const store = new Map([...this.store].filter(([name]) => !remove.includes(name as K)));
    return this.derive(store) as unknown as Dataset<Simplify<Omit<R, K>>>;
  }

  renameColumn<From extends string, To extends string>(
    from: From,
    to: To,
  ): Dataset<Simplify<Omit<R, From> & { [P in To]: From extends keyof R ? R[From] : unknown }>> {
    this.requireColumns([from], "renameColumn");
    if ((from as string) !== to && this.store.has(to)) {
      throw new Error(`Dataset.renameColumn: cannot rename "${from}" to "${to}": a column "${to}" already exists (columns: ${this.columnNames.join(", ")}).`);
    }
    const rename = (name: string): string => (name === from ? to : name);
    const store = new Map([...this.store].map(([name, values]) => [rename(name), values] as const));
    const features = new Features([...this.features].map(([name, f]) => [rename(name), f] as [string, FeatureType]));
    const format: DatasetFormat = { type: this.format.type, columns: this.format.columns?.map(rename) ?? null };
    return new Dataset(store, { features, format });
  }

  renameColumns(mapping: Record<string, string>): Dataset<Row> {
    let ds: Dataset<Row> = this as unknown as Dataset<Row>;
    this.requireColumns(Object.keys(mapping), "renameColumns");
    for (const [from, to] of Object.entries(mapping)) ds = ds.renameColumn(from, to) as unknown as Dataset<Row>;
    return ds;
  }

  /** Format is metadata: rows stay plain; the DataLoader's default collate and the collator honour it. */
  setFormat(type: FormatType, options: { columns?: readonly string[] } = {}): Dataset<R> {
    if (type !== null && type !== "tfjs") {
      throw new Error(`Dataset.setFormat: format "${String(type)}" is not supported; use "tfjs" (the kit's "torch") or null.`);
    }
    const columns = options.columns ? [...options.columns] : null;
    if (columns) this.requireColumns(columns, "setFormat(columns)");
    return new Dataset<R>(this.store, { features: this.features, format: { type, columns } });
  }

  resetFormat(): Dataset<R> {
    return this.setFormat(null);
  }

  toString(): string {
    return `Dataset({\n    features: [${this.columnNames.map((n) => `'${n}'`).join(", ")}],\n    num_rows: ${this.numRows}\n})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  private derive(store: ColumnStore): Dataset<R> {
    const names = [...store.keys()];
    const features = sameKeys(names, this.columnNames)
      ? this.features
      : new Features(names.map((n) => [n, this.features.get(n)!] as [string, FeatureType]));
    return new Dataset<R>(store, { features, format: this.keptFormat(names) });
  }

  private keptFormat(names: string[]): DatasetFormat {
    const columns = this.format.columns?.filter((c) => names.includes(c)) ?? null;
    return { type: this.format.type, columns };
  }

  private requireColumns(names: readonly string[], op: string): (readonly unknown[])[] {
    return names.map((name) => {
      const values = this.store.get(name);
      if (values === undefined) {
        throw new Error(`Dataset.${op}: column "${name}" not in the dataset. Current columns in the dataset: [${this.columnNames.map((n) => `'${n}'`).join(", ")}].`);
      }
      return values;
    });
  }
}

function toList<T>(x: T | readonly T[] | undefined): T[] {
  if (x === undefined) return [];
  return Array.isArray(x) ? [...(x as readonly T[])] : [x as T];
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The columns of a batched map result: array-like own properties (methods of a result class are skipped). */
function batchColumns(out: object): Record<string, ArrayLike<unknown>> {
  if (out === null || typeof out !== "object") {
    throw new TypeError(`Dataset.map: a batched function must return an object of columns, got ${String(out)}.`);
  }
  const result: Record<string, ArrayLike<unknown>> = {};
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === "function") continue;
    if (!(Array.isArray(v) || ArrayBuffer.isView(v))) {
      throw new TypeError(`Dataset.map: a batched function must return one array per column; column "${k}" is ${typeof v}.`);
    }
    result[k] = v as ArrayLike<unknown>;
  }
  return result;
}
