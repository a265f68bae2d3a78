// Reads PyTorch's `pytorch_model.bin` (torch.save, zip format of torch >= 1.6) without Python and without
// executing anything. The archive holds `<prefix>/data.pkl`, a pickle of the state dict whose tensors point
// by persistent id to raw storages `<prefix>/data/<key>`. The unpickler below is a data-only interpreter:
// it knows the opcodes a state dict uses and the handful of globals it names, and refuses every other
// global by name before anything could be called, so a malicious pickle cannot run code here.
import { readFile } from "node:fs/promises";
import { unzipSync } from "fflate";
import { DTYPE_INFO, type DType, type HostTensor, numel } from "./safetensors";

export class TorchCheckpointError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "TorchCheckpointError";
  }
}

/** torch.<X>Storage -> dtype. Other storage types (complex, quantized) are refused. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

class PyGlobal {
  constructor(readonly qualname: string) {}
}
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}
class Tuple {
  constructor(readonly items: unknown[]) {}
}
const MARK = Symbol("mark");

/** Interpret a torch state-dict pickle. Returns the unpickled root object (Maps, arrays, Tuples, TensorRefs, primitives). */
function unpickle(bytes: Uint8Array, file: string): unknown {
  const fail = (problem: string): never => {
    throw new TorchCheckpointError(file, problem);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8");
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const storages = new Map<string, StorageRef>();

  const need = (n: number): void => {
    if (pos + n > bytes.byteLength) fail(`pickle data.pkl is truncated at byte ${pos} (needed ${n} more bytes)`);
  };
  const u8 = (): number => (need(1), bytes[pos++]);
  const u16 = (): number => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`pickle length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle data.pkl is truncated: unterminated text line at byte ${pos}`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail(`malformed pickle: stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`malformed pickle: empty stack at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail(`malformed pickle: no MARK at byte ${pos}`);
    return stack.splice(m as number);
  };
  const signedLE = (b: Uint8Array): number | bigint => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolveGlobal = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(q)) {
      fail(
        `forbidden pickle global "${q}": a plain state dict never needs it, and unpickling it could run code. ` +
          `Only ${[...ALLOWED_GLOBALS].join(", ")} are allowed. Convert the checkpoint to safetensors with a trusted Python.`,
      );
    }
    return new PyGlobal(q);
  };
  const asDict = (x: unknown, op: string): Map<unknown, unknown> => {
    if (!(x instanceof Map)) fail(`malformed pickle: ${op} on a non-dict at byte ${pos}`);
    return x as Map<unknown, unknown>;
  };
  const asList = (x: unknown, op: string): unknown[] => {
    if (!Array.isArray(x)) fail(`malformed pickle: ${op} on a non-list at byte ${pos}`);
    return x as unknown[];
  };
  const intArray = (x: unknown, what: string): number[] => {
    const items = x instanceof Tuple ? x.items : Array.isArray(x) ? x : null;
    if (items === null || !items.every((v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) {
      fail(`malformed tensor: ${what} must be a tuple of non-negative integers`);
    }
    return items as number[];
  };
  const persistentLoad = (pid: unknown): StorageRef => {
    const t = pid instanceof Tuple ? pid.items : [];
    const [tag, type, key, , count] = t;
    if (tag !== "storage" || !(type instanceof PyGlobal) || typeof key !== "string" || typeof count !== "number") {
      return fail(`unsupported persistent id in data.pkl: expected ('storage', torch.<X>Storage, key, location, numel)`);
    }
    const dtype = STORAGE_DTYPES[type.qualname.replace(/^torch\./, "")];
    if (dtype === undefined) return fail(`persistent id names "${type.qualname}", which is not a storage type`);
    const prev = storages.get(key);
    if (prev) return prev;
    const s = new StorageRef(key, dtype, count);
    storages.set(key, s);
    return s;
  };
  const call = (fn: unknown, argsObj: unknown): unknown => {
    if (!(fn instanceof PyGlobal)) return fail(`malformed pickle: REDUCE on a non-callable at byte ${pos}`);
    const args = argsObj instanceof Tuple ? argsObj.items : fail(`malformed pickle: REDUCE arguments are not a tuple`);
    switch (fn.qualname) {
      case "collections.OrderedDict": {
        const d = new Map<unknown, unknown>();
        if (args.length > 0) {
          for (const pair of asList(args[0], "OrderedDict(items)")) {
            const kv = pair instanceof Tuple ? pair.items : asList(pair, "OrderedDict(items)");
            d.set(kv[0], kv[1]);
          }
        }
        return d;
      }
      case "torch._utils._rebuild_tensor_v2": {
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof StorageRef)) return fail("malformed tensor: _rebuild_tensor_v2 without a storage");
        if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return fail("malformed tensor: bad storage offset");
        const shape = intArray(size, "size");
        const strides = intArray(stride, "stride");
        if (strides.length !== shape.length) return fail(`malformed tensor: size has ${shape.length} dims, stride ${strides.length}`);
        return new TensorRef(storage, offset, shape, strides);
      }
      case "torch._utils._rebuild_parameter": {
        if (!(args[0] instanceof TensorRef)) return fail("malformed parameter: _rebuild_parameter without a tensor");
        return args[0];
      }
      default:
        return fail(`"${fn.qualname}" cannot be called while unpickling (it is only valid as a storage type)`);
    }
  };

  for (;;) {
    const opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`unsupported pickle protocol ${bytes[pos - 1]}`);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`malformed pickle: ${stack.length} values on the stack at STOP`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(signedLE(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(signedLE(take(u32())));
        break;
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top(), "APPEND").push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top(), "APPENDS").push(...items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new Tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new Tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new Tuple([pop(), b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map<unknown, unknown>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), "SETITEM").set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = asDict(top(), "SETITEMS");
        if (items.length % 2 !== 0) fail("malformed pickle: SETITEMS with an odd number of items");
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("malformed pickle: STACK_GLOBAL needs two strings");
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is a class we allow
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal) || cls.qualname !== "collections.OrderedDict") fail("malformed pickle: NEWOBJ on a class other than OrderedDict");
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: state_dict carries `_metadata` (module versions) as instance state; we have no use for it
        pop();
        asDict(top(), "BUILD");
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        const idx = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(idx)) fail(`malformed pickle: memo entry ${idx} read before it was written`);
        stack.push(memo.get(idx));
        break;
      }
      default:
        fail(
          `pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${opPos} is not supported ` +
            `(this reader handles only what torch.save writes for a state dict)`,
        );
    }
  }
}

function copyStorageBytes(raw: Uint8Array, dtype: DType, count: number): HostTensor["data"] {
  const { itemsize, array } = DTYPE_INFO[dtype];
  const buf = new ArrayBuffer(count * itemsize);
  new Uint8Array(buf).set(raw.subarray(0, count * itemsize));
  return new array(buf, 0, count);
}

function isContiguous(t: TensorRef): boolean {
  for (let d = t.shape.length - 1, expect = 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) return false;
    expect *= t.shape[d];
  }
  return true;
}

/** Row-major copy of the elements a (shape, stride, offset) view selects from its storage. */
function materialise(storage: HostTensor["data"], t: TensorRef): HostTensor["data"] {
  const n = numel(t.shape);
  const { array } = DTYPE_INFO[t.storage.dtype];
  if (isContiguous(t)) return storage.slice(t.offset, t.offset + n);
  const out = new array(n);
  const src = storage as unknown as ArrayLike<number | bigint>;
  const dst = out as unknown as { [i: number]: number | bigint };
  const idx = new Array<number>(t.shape.length).fill(0);
  let at = t.offset;
  for (let i = 0; i < n; i++) {
    dst[i] = src[at];
    for (let d = t.shape.length - 1; d >= 0; d--) {
      idx[d]++;
      at += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      at -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Parse a torch.save zip held in memory. `file` only names the source in errors. */
export function parseTorchBin(bytes: Uint8Array, file = "<buffer>"): Map<string, HostTensor> {
  const fail = (problem: string): never => {
    throw new TorchCheckpointError(file, problem);
  };
  if (bytes.byteLength >= 1 && bytes[0] === 0x80) {
    fail(
      "legacy torch serialization (a bare pickle, written by torch < 1.6 or with _use_new_zipfile_serialization=False) " +
        "is not supported; re-save with torch>=1.6 (torch.save(torch.load(f), f)) or convert to safetensors",
    );
  }
  if (bytes.byteLength < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail(`not a torch checkpoint: expected a zip archive (starting with "PK"), found bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    return fail(`corrupt zip archive (${(e as Error).message})`);
  }
  const pklName = Object.keys(entries).find((n) => n === "data.pkl" || n.endsWith("/data.pkl"));
  if (pklName === undefined) return fail("the zip archive has no data.pkl: not a torch.save checkpoint");
  const prefix = pklName.slice(0, pklName.length - "data.pkl".length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== "little") {
    fail(`storages are ${new TextDecoder().decode(byteorder).trim()}-endian; only little-endian checkpoints are supported`);
  }

  const root = unpickle(entries[pklName], `${file} (${pklName})`);
  if (!(root instanceof Map)) return fail("data.pkl does not hold a dict: expected a state dict {name: tensor}");

  const storageData = new Map<string, HostTensor["data"]>();
  const handedOut = new Set<string>();
  const tensors = new Map<string, HostTensor>();
  for (const [name, value] of root) {
    if (typeof name !== "string") return fail(`state dict key ${String(name)} is not a string`);
    if (!(value instanceof TensorRef)) {
      return fail(`state dict entry "${name}" is not a tensor; expected a flat state dict (model.state_dict()), not a training checkpoint`);
    }
    const s = value.storage;
    let data = storageData.get(s.key);
    if (data === undefined) {
      const raw = entries[`${prefix}data/${s.key}`];
      if (raw === undefined) return fail(`storage "${prefix}data/${s.key}" of tensor "${name}" is missing from the archive`);
      const needed = s.numel * DTYPE_INFO[s.dtype].itemsize;
      if (raw.byteLength < needed) {
        return fail(`truncated storage "${prefix}data/${s.key}" of tensor "${name}": expected ${needed} bytes (${s.numel} × ${s.dtype}), found ${raw.byteLength}`);
      }
      data = copyStorageBytes(raw, s.dtype, s.numel);
      storageData.set(s.key, data);
    }
    let last = value.offset;
    for (let d = 0; d < value.shape.length; d++) last += (value.shape[d] - 1) * value.stride[d];
    if (numel(value.shape) > 0 && last >= s.numel) {
      return fail(`tensor "${name}" (shape [${value.shape.join(", ")}], stride [${value.stride.join(", ")}], offset ${value.offset}) reads past its storage of ${s.numel} elements`);
    }
    // A tensor that is its whole storage takes the storage array itself (saves a copy of a large checkpoint);
    // every other use, including a second tensor on the same storage, gets its own copy.
    const whole = value.offset === 0 && numel(value.shape) === data.length && isContiguous(value) && !handedOut.has(s.key);
    if (whole) handedOut.add(s.key);
    tensors.set(name, { dtype: s.dtype, shape: [...value.shape], data: whole ? data : materialise(data, value) });
  }
  return tensors;
}

/** Read a pytorch_model.bin (torch.save zip format) into host tensors, in the state dict's order. */
export async function readTorchBin(path: string): Promise<Map<string, HostTensor>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TorchCheckpointError(path, `cannot read the file (${(e as Error).message})`);
  }
  return parseTorchBin(bytes, path);
}
