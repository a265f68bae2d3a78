// Hand-built checkpoint files for the corrupt-input and format tests, made without the code under test:
// a raw safetensors file from a header object, and torch.save-style zips whose data.pkl is assembled
// opcode by opcode the way torch 1.13 writes it (protocol 2, see `python -m pickletools data.pkl`).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll } from "vitest";

const made: string[] = [];
// Registered at import, so it runs after all tests of the importing file.
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "kit-checkpoint-"));
  made.push(d);
  return d;
}

/** 8-byte LE length + header text (as given, padded with spaces to 8) + data. */
export function rawSafetensors(header: unknown, data: Uint8Array, opts: { pad?: boolean } = {}): Uint8Array {
  let text = typeof header === "string" ? header : JSON.stringify(header);
  if (opts.pad !== false) while (Buffer.byteLength(text) % 8 !== 0) text += " ";
  const h = Buffer.from(text, "utf8");
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** Minimal pickle writer: just the opcodes torch.save emits. */
export class PickleWriter {
  private parts: number[] = [];
  private memo = 0;
  byte(...b: number[]): this {
    this.parts.push(...b);
    return this;
  }
  proto(): this {
    return this.byte(0x80, 2);
  }
  str(s: string): this {
    const b = Buffer.from(s, "utf8");
    this.byte(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24);
    return this.byte(...b).put();
  }
  int(n: number): this {
    if (n < 256) return this.byte(0x4b, n);
    if (n < 65536) return this.byte(0x4d, n & 0xff, n >> 8);
    return this.byte(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  global(module: string, name: string): this {
    return this.byte(0x63, ...Buffer.from(`${module}\n${name}\n`, "latin1")).put();
  }
  put(): this {
    return this.byte(0x71, this.memo++ & 0xff);
  }
  mark(): this {
    return this.byte(0x28);
  }
  tuple(): this {
    return this.byte(0x74);
  }
  ints(xs: number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export type TensorSpec = { storage: string; storageType?: string; numel: number; offset?: number; shape: number[]; stride: number[]; parameter?: boolean };

/** The data.pkl torch.save writes for a flat state dict {name: tensor}. */
export function stateDictPickle(tensors: Record<string, TensorSpec>): Uint8Array {
  const w = new PickleWriter().proto().byte(0x7d).put().mark();
  for (const [name, t] of Object.entries(tensors)) {
    w.str(name);
    if (t.parameter) w.global("torch._utils", "_rebuild_parameter").mark();
    w.global("torch._utils", "_rebuild_tensor_v2").mark();
    w.mark().str("storage").global("torch", t.storageType ?? "FloatStorage").str(t.storage).str("cpu").int(t.numel).tuple().put();
    w.byte(0x51); // BINPERSID
    w.int(t.offset ?? 0).ints(t.shape).ints(t.stride).byte(0x89); // requires_grad False
    w.global("collections", "OrderedDict").byte(0x29, 0x52).put(); // OrderedDict()
    w.tuple().put().byte(0x52).put(); // REDUCE
    if (t.parameter) w.byte(0x89).global("collections", "OrderedDict").byte(0x29, 0x52).tuple().byte(0x52);
  }
  return w.byte(0x75, 0x2e).bytes(); // SETITEMS, STOP
}

/** A torch.save zip: <prefix>/data.pkl, <prefix>/data/<key>, version, byteorder; entries stored, not compressed. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, prefix = "archive"): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { [`${prefix}/data.pkl`]: [pickle, { level: 0 }] };
  files[`${prefix}/byteorder`] = [Buffer.from("little"), { level: 0 }];
  for (const [k, v] of Object.entries(storages)) files[`${prefix}/data/${k}`] = [v, { level: 0 }];
  files[`${prefix}/version`] = [Buffer.from("3\n"), { level: 0 }];
  return zipSync(files);
}

export function writeTemp(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
