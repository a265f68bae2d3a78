// Splits by name ("train", "validation", "test"), each a Dataset, with every Dataset operation applied per
// split. Splits are reachable as properties (`rawDatasets.train`) as well as through get("train").
import { inspect } from "node:util";
import { Generator } from "../utils/random";
import type { Columns, Dataset, FormatType, MapOptions, Row, Simplify, Unbatch } from "./dataset";

type Merge<A, B> = Simplify<Omit<A, keyof B> & B>;

/** `dict.train` etc. when the split names are known to the type system. */
export type SplitAccess<R extends Row, S extends string> = string extends S ? {} : { readonly [K in S]: Dataset<R> };
export type SplitDict<R extends Row = Row, S extends string = string> = DatasetDict<R, S> & SplitAccess<R, S>;

const RESERVED = new Set(["get", "splits", "keys", "numRows", "columnNames", "map", "filter", "shuffle", "select", "removeColumns", "renameColumn", "renameColumns", "setFormat", "resetFormat", "toString"]);

export class DatasetDict<R extends Row = Row, S extends string = string> {
  readonly splits: Readonly<Record<S, Dataset<R>>>;

  private constructor(splits: Record<S, Dataset<R>>) {
    this.splits = Object.freeze({ ...splits });
    for (const [name, ds] of Object.entries(splits) as [string, Dataset<R>][]) {
      if (RESERVED.has(name) || name in DatasetDict.prototype) {
        throw new Error(`DatasetDict: a split cannot be named "${name}" (a DatasetDict method has that name); rename the split.`);
      }
      Object.defineProperty(this, name, { value: ds, enumerable: true });
    }
  }

  static from<R extends Row, S extends string>(splits: Record<S, Dataset<R>>): SplitDict<R, S> {
    return new DatasetDict<R, S>(splits) as SplitDict<R, S>;
  }

  keys(): S[] {
    return Object.keys(this.splits) as S[];
  }

  get(split: S): Dataset<R> {
    const ds = (this.splits as Record<string, Dataset<R> | undefined>)[split];
    if (ds === undefined) throw new Error(`DatasetDict: no split "${split}"; the splits are ${this.keys().map((k) => `"${k}"`).join(", ")}.`);
    return ds;
  }

  get numRows(): Record<S, number> {
    return this.each((ds) => ds.numRows);
  }

  get columnNames(): Record<S, string[]> {
    return this.each((ds) => ds.columnNames);
  }

  map<Out extends object, Rm extends string = never>(
    fn: (batch: Columns<R>, indices: number[]) => Out,
    options: MapOptions<Rm> & { batched: true },
  ): SplitDict<Merge<Omit<R, Rm>, Unbatch<Out>>, S>;
  map<Out extends Row | void, Rm extends string = never>(
    fn: (row: R, index: number) => Out,
    options?: MapOptions<Rm> & { batched?: false },
  ): SplitDict<Merge<Omit<R, Rm>, Out extends Row ? Out : {}>, S>;
  map(fn: (x: never, i: never) => unknown, options?: MapOptions<string>): SplitDict<Row, S> {
    return this.apply((ds) => (ds.map as (f: unknown, o: unknown) => Dataset<Row>)(fn, options));
  }

  filter(fn: (row: R, index: number) => boolean): SplitDict<R, S> {
    return this.apply((ds) => ds.filter(fn));
  }

  /** Each split shuffled; a seed gives every split the same derived generator stream, as `datasets` does. */
  shuffle(options: { seed?: number | string } = {}): SplitDict<R, S> {
    return this.apply((ds) => ds.shuffle({ generator: new Generator(options.seed ?? 42) }));
  }

  removeColumns<K extends string>(names: K | readonly K[]): SplitDict<Simplify<Omit<R, K>>, S> {
    return this.apply((ds) => ds.removeColumns(names));
  }

  renameColumn<From extends string, To extends string>(
    from: From,
    to: To,
  ): SplitDict<Simplify<Omit<R, From> & { [P in To]: From extends keyof R ? R[From] : unknown }>, S> {
    return this.apply((ds) => ds.renameColumn(from, to));
  }

  renameColumns(mapping: Record<string, string>): SplitDict<Row, S> {
    return this.apply((ds) => ds.renameColumns(mapping));
  }

  setFormat(type: FormatType, options: { columns?: readonly string[] } = {}): SplitDict<R, S> {
    return this.apply((ds) => ds.setFormat(type, options));
  }

  resetFormat(): SplitDict<R, S> {
    return this.apply((ds) => ds.resetFormat());
  }

  toString(): string {
    const body = this.keys()
      .map((k) => `    ${k}: ${this.get(k).toString().split("\n").join("\n    ")}`)
      .join("\n");
    return `DatasetDict({\n${body}\n})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  private each<T>(f: (ds: Dataset<R>, split: S) => T): Record<S, T> {
    return Object.fromEntries(this.keys().map((k) => [k, f(this.get(k), k)])) as Record<S, T>;
  }

  private apply<R2 extends Row>(f: (ds: Dataset<R>, split: S) => Dataset<R2>): SplitDict<R2, S> {
    return DatasetDict.from<R2, S>(this.each(f));
  }
}
