// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then one byte buffer. Read and
// written here byte-compatibly with the Python/Rust library, so transformers loads what we save and we load
// what it saves.
import { randomBytes } from "node:crypto";
import { endianness } from "node:os";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export type DType = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Raw tensor in host memory. F16 and BF16 keep their raw 16-bit patterns in a Uint16Array; BOOL is a Uint8Array of 0/1. */
export type HostTensor = {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array | Uint16Array;
};

type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Int16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor;

export const DTYPE_INFO: Record<DType, { itemsize: number; array: TypedArrayCtor }> = {
  F64: { itemsize: 8, array: Float64Array },
  I64: { itemsize: 8, array: BigInt64Array },
  F32: { itemsize: 4, array: Float32Array },
  I32: { itemsize: 4, array: Int32Array },
  BF16: { itemsize: 2, array: Uint16Array },
  F16: { itemsize: 2, array: Uint16Array },
  I16: { itemsize: 2, array: Int16Array },
  I8: { itemsize: 1, array: Int8Array },
  U8: { itemsize: 1, array: Uint8Array },
  BOOL: { itemsize: 1, array: Uint8Array },
};

/**
 * Write order of the reference library (safetensors' Rust `prepare`): dtypes by descending rank in its
 * Dtype enum (U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, F8*, I8, U8, BOOL), then by name. Larger
 * items come first, so with an 8-aligned header every tensor starts aligned to its own item size.
 */
const WRITE_RANK: Record<DType, number> = { I64: 0, F64: 1, F32: 2, I32: 3, BF16: 4, F16: 5, I16: 6, I8: 7, U8: 8, BOOL: 9 };

/** Same limit as the Rust library: a header above 100 MB is taken as corruption, not read. */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

function assertLittleEndianHost(): void {
  // Typed-array views use host byte order; safetensors is little-endian on disk.
  if (endianness() !== "LE") throw new Error("safetensors: big-endian hosts are not supported");
}

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_INFO, s);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

type HeaderEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };

function isNonNegInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Parse and validate a whole safetensors file held in memory. `file` only names the source in errors.
 * Tensors are views into `bytes` when aligned, copies otherwise.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  file = "<buffer>",
): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  assertLittleEndianHost();
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, problem);
  };
  if (bytes.byteLength < 8) fail(`not a safetensors file: ${bytes.byteLength} bytes, expected at least 8 (header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8)) {
    fail(
      `bad header length: the first 8 bytes say the JSON header is ${n64} bytes, but the file has only ` +
        `${bytes.byteLength - 8} bytes after them (truncated or not a safetensors file)`,
    );
  }
  const headerLen = Number(n64);
  if (headerLen > MAX_HEADER_BYTES) fail(`bad header length: ${headerLen} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  let headerText: string;
  try {
    headerText = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail(`bad header: the ${headerLen}-byte header is not valid UTF-8`);
  }
  if (!headerText.startsWith("{")) fail(`bad header: expected a JSON object starting with "{", found ${JSON.stringify(headerText.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`bad header: not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("bad header: expected a JSON object");
  const h = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const rawMeta = h.__metadata__;
  if (rawMeta !== undefined && rawMeta !== null) {
    if (typeof rawMeta !== "object" || Array.isArray(rawMeta)) fail("bad header: __metadata__ must be an object of strings");
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`bad header: __metadata__.${k} must be a string, found ${JSON.stringify(v)}`);
      metadata[k] = v as string;
    }
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const entries: Array<[string, HeaderEntry]> = [];
  for (const [name, raw] of Object.entries(h)) {
    if (name === "__metadata__") continue;
    const e = raw as Partial<HeaderEntry> | null;
    if (e === null || typeof e !== "object") fail(`bad header: tensor "${name}" is not an object`);
    const { dtype, shape, data_offsets: off } = e as Partial<HeaderEntry>;
    if (typeof dtype !== "string") fail(`bad header: tensor "${name}" has no dtype`);
    if (!isDType(dtype as string)) {
      fail(
        `unsupported dtype "${dtype}" for tensor "${name}"; supported: ${Object.keys(DTYPE_INFO).join(", ")} ` +
          `(convert the checkpoint to one of these, e.g. float32)`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(`bad header: tensor "${name}" shape must be a list of non-negative integers, found ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isNonNegInt) || off[1] < off[0]) {
      fail(`bad header: tensor "${name}" data_offsets must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(off)}`);
    }
    entries.push([name, e as HeaderEntry]);
  }

  // The Rust reader demands the buffer be tiled exactly: sorted by offset, each tensor starting where the
  // previous ended, the last ending at the end of the file.
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let expectedBegin = 0;
  let prevName = "";
  const tensors = new Map<string, HostTensor>();
  for (const [name, e] of entries) {
    const [begin, end] = e.data_offsets;
    const dtype = e.dtype as DType;
    const { itemsize, array } = DTYPE_INFO[dtype];
    if (begin < expectedBegin) {
      fail(`overlapping offsets: tensor "${name}" begins at byte ${begin} but "${prevName}" ends at byte ${expectedBegin}`);
    }
    if (begin > expectedBegin) {
      fail(`bad offsets: gap before tensor "${name}": expected it to begin at byte ${expectedBegin}, found ${begin}`);
    }
    const count = numel(e.shape);
    if (end - begin !== count * itemsize) {
      fail(
        `bad offsets: tensor "${name}" (${dtype}, shape [${e.shape.join(", ")}]) needs ${count * itemsize} bytes, ` +
          `its data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    if (end > dataLen) {
      fail(`truncated data: tensor "${name}" ends at byte ${end} of the data buffer, but the file holds only ${dataLen} data bytes`);
    }
    const abs = bytes.byteOffset + dataStart + begin;
    let data: HostTensor["data"];
    if (abs % itemsize === 0) {
      data = new array(bytes.buffer as ArrayBuffer, abs, count);
    } else {
      const copy = new Uint8Array(count * itemsize);
      copy.set(bytes.subarray(dataStart + begin, dataStart + end));
      data = new array(copy.buffer, 0, count);
    }
    tensors.set(name, { dtype, shape: [...e.shape], data });
    expectedBegin = end;
    prevName = name;
  }
  if (expectedBegin !== dataLen) {
    fail(`bad offsets: the tensors cover ${expectedBegin} data bytes but the file holds ${dataLen} (trailing bytes after the last tensor)`);
  }
  return { tensors: sortedByName(tensors), metadata };
}

function sortedByName<T>(m: Map<string, T>): Map<string, T> {
  return new Map([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Read and validate a .safetensors file. Tensors come back in name order (the header's JSON order). */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SafetensorsError(path, `cannot read the file (${(e as Error).message})`);
  }
  return parseSafetensors(bytes, path);
}

function checkTensor(name: string, t: HostTensor, file: string): void {
  if (name === "__metadata__") throw new SafetensorsError(file, `"__metadata__" is reserved and cannot name a tensor`);
  const dtype: string = t.dtype;
  if (!isDType(dtype)) throw new SafetensorsError(file, `tensor "${name}": unsupported dtype "${dtype}"`);
  if (!t.shape.every((d) => isNonNegInt(d))) throw new SafetensorsError(file, `tensor "${name}": shape must be non-negative integers, found [${t.shape.join(", ")}]`);
  const { array } = DTYPE_INFO[t.dtype];
  if (!(t.data instanceof array)) {
    throw new SafetensorsError(file, `tensor "${name}": dtype ${t.dtype} needs a ${array.name}, found a ${t.data.constructor.name}`);
  }
  if (t.data.length !== numel(t.shape)) {
    throw new SafetensorsError(file, `tensor "${name}": shape [${t.shape.join(", ")}] holds ${numel(t.shape)} values, data has ${t.data.length}`);
  }
}

/**
 * Serialise to the exact bytes the reference library writes: tensors ordered as WRITE_RANK says, offsets
 * contiguous, header JSON padded with spaces to a multiple of 8. `metadata` defaults to {format: "pt"}
 * and "format" is added when missing, because transformers refuses a safetensors file without it.
 */
export function serializeSafetensors(
  tensors: Map<string, HostTensor> | Record<string, HostTensor>,
  metadata?: Record<string, string>,
  file = "<buffer>",
): Uint8Array {
  assertLittleEndianHost();
  const list = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).map(([n, t]) => {
    checkTensor(n, t, file);
    return [n, t] as const;
  });
  list.sort((a, b) => WRITE_RANK[a[1].dtype] - WRITE_RANK[b[1].dtype] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const meta: Record<string, string> = { format: "pt", ...(metadata ?? {}) };
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== "string") throw new SafetensorsError(file, `metadata "${k}" must be a string, found ${typeof v}`);
  }
  // Built by hand rather than from an object: JS objects put integer-like keys ("0") first, which would
  // break the write order.
  const parts = [`"__metadata__":${JSON.stringify(meta)}`];
  let offset = 0;
  for (const [name, t] of list) {
    const size = t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] })}`);
    offset += size;
  }
  let json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const [, t] of list) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Write a .safetensors file atomically: a temporary file in the same directory, flushed, then renamed. */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, HostTensor> | Record<string, HostTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata, path);
  await writeFileAtomic(path, bytes);
}

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "w");
  try {
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, written, bytes.byteLength - written);
      written += bytesWritten;
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
