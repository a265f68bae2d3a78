// Column types, as the `datasets` library describes them (Value, ClassLabel, Sequence). They are read from
// the `huggingface` key of a Hub parquet file, or inferred from the values of local files and map() outputs,
// and they print like Python's repr so a course transcript reads the same.
import { inspect } from "node:util";

export class Value {
  readonly _type = "Value";
  constructor(readonly dtype: string) {}
  toString(): string {
    return `Value(dtype='${this.dtype}')`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export class ClassLabel {
  readonly _type = "ClassLabel";
  constructor(readonly names: readonly string[]) {}
  get numClasses(): number {
    return this.names.length;
  }
  /** The class name of an integer label, as Python's `int2str`. */
  int2str(label: number): string {
    const name = this.names[label];
    if (name === undefined) {
      throw new RangeError(`ClassLabel.int2str: label ${label} is outside 0..${this.names.length - 1} (names: ${this.names.join(", ")}).`);
    }
    return name;
  }
  /** The integer label of a class name, as Python's `str2int`. */
  str2int(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new RangeError(`ClassLabel.str2int: "${name}" is not one of the names [${this.names.join(", ")}].`);
    return i;
  }
  toString(): string {
    return `ClassLabel(names=[${this.names.map((n) => `'${n}'`).join(", ")}])`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export class Sequence {
  readonly _type = "Sequence";
  constructor(
    readonly feature: FeatureType,
    readonly length = -1,
  ) {}
  toString(): string {
    return `Sequence(feature=${String(this.feature)}, length=${this.length})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export type FeatureType = Value | ClassLabel | Sequence;

/** Column name -> type, in column order. Printing gives the Python dict repr. */
export class Features {
  private readonly entries: ReadonlyMap<string, FeatureType>;
  constructor(entries: Iterable<[string, FeatureType]>) {
    this.entries = new Map(entries);
  }
  get(name: string): FeatureType | undefined {
    return this.entries.get(name);
  }
  /** The ClassLabel of a column; throws naming the column when it has another type. */
  classLabel(name: string): ClassLabel {
    const f = this.entries.get(name);
    if (!(f instanceof ClassLabel)) {
      throw new TypeError(`Column "${name}" is ${f === undefined ? "missing" : String(f)}, not a ClassLabel. Features: ${this.toString()}`);
    }
    return f;
  }
  has(name: string): boolean {
    return this.entries.has(name);
  }
  keys(): string[] {
    return [...this.entries.keys()];
  }
  [Symbol.iterator](): IterableIterator<[string, FeatureType]> {
    return this.entries.entries();
  }
  toJSON(): Record<string, unknown> {
    return Object.fromEntries([...this.entries].map(([k, v]) => [k, featureToJson(v)]));
  }
  toString(): string {
    return `{${[...this.entries].map(([k, v]) => `'${k}': ${String(v)}`).join(", ")}}`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

function featureToJson(f: FeatureType): Record<string, unknown> {
  if (f instanceof Value) return { dtype: f.dtype, _type: "Value" };
  if (f instanceof ClassLabel) return { names: [...f.names], _type: "ClassLabel" };
  return { feature: featureToJson(f.feature), length: f.length, _type: "Sequence" };
}

/** A feature from the `datasets` JSON (`{"dtype": "string", "_type": "Value"}`, ...). */
export function featureFromJson(json: unknown, where: string): FeatureType {
  if (Array.isArray(json) && json.length === 1) return new Sequence(featureFromJson(json[0], where));
  const o = json as Record<string, unknown> | null;
  if (o === null || typeof o !== "object") throw new Error(`${where}: feature ${JSON.stringify(json)} is not an object.`);
  switch (o._type) {
    case "Value":
      return new Value(String(o.dtype));
    case "ClassLabel":
      if (!Array.isArray(o.names)) throw new Error(`${where}: ClassLabel without a "names" list: ${JSON.stringify(json)}.`);
      return new ClassLabel(o.names.map(String));
    case "Sequence":
    case "List":
    case "LargeList":
      return new Sequence(featureFromJson(o.feature, where), typeof o.length === "number" ? o.length : -1);
    default:
      throw new Error(`${where}: feature type "${String(o._type)}" is not supported (Value, ClassLabel, Sequence are).`);
  }
}

/** Parse the `huggingface` key-value metadata of a parquet file written by `datasets`. */
export function featuresFromHfMetadata(json: string, where: string): Features | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`${where}: the "huggingface" metadata is not valid JSON (${(err as Error).message}).`);
  }
  const info = (parsed as { info?: { features?: Record<string, unknown> } }).info;
  if (!info?.features) return null;
  return new Features(Object.entries(info.features).map(([k, v]) => [k, featureFromJson(v, `${where}, column "${k}"`)]));
}

/** The type `datasets` would infer from Python values (ints are int64, floats float64). */
export function inferFeature(values: ArrayLike<unknown>): FeatureType {
  let sawInt = false;
  let sawFloat = false;
  let sawString = false;
  let sawBool = false;
  let sawBigint = false;
  const inner: unknown[] = [];
  let sawList = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === "number") {
      if (Number.isInteger(v)) sawInt = true;
      else sawFloat = true;
    } else if (typeof v === "bigint") sawBigint = true;
    else if (typeof v === "string") sawString = true;
    else if (typeof v === "boolean") sawBool = true;
    else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      sawList = true;
      // A sample of the elements is enough to type them.
      const arr = v as ArrayLike<unknown>;
      for (let j = 0; j < arr.length && inner.length < 10_000; j++) inner.push(arr[j]);
    } else sawString = true;
  }
  if (sawList) return new Sequence(inferFeature(inner));
  if (sawString) return new Value("string");
  if (sawFloat) return new Value("float64");
  if (sawInt || sawBigint) return new Value("int64");
  if (sawBool) return new Value("bool");
  return new Value("null");
}
