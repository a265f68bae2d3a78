import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type HostTensor, readSafetensors, serializeSafetensors, writeSafetensors } from "../../src/utils/safetensors";
import { TINY_CHECKPOINT, TINY_REF_DIR, readReference } from "../helpers/shared";
import { f32Bytes, rawSafetensors, tempDir, writeTemp } from "./fixtures";

type Ref = { parameter_names_in_order: string[]; parameter_shapes: Record<string, number[]>; num_parameters: number; config: { pad_token_id: number } };
const ref = readReference<Ref>("tiny-v128-h32/reference.json");
const MODEL = join(TINY_CHECKPOINT, "model.safetensors");
const ITEMSIZE: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, BF16: 2, F16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Parse a file's header independently of the reader under test. */
function header(bytes: Uint8Array): { n: number; text: string; json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> } } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8");
  return { n, text, json: JSON.parse(text) };
}

function bytesOf(t: HostTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

describe("readSafetensors on the transformers-written checkpoint", () => {
  it("holds exactly the reference's 41 parameters with their shapes, F32, metadata format=pt", async () => {
    const { tensors, metadata } = await readSafetensors(MODEL);
    expect(metadata).toEqual({ format: "pt" });
    expect([...tensors.keys()].sort()).toEqual([...ref.parameter_names_in_order].sort());
    expect(tensors.size).toBe(41);
    let total = 0;
    for (const name of ref.parameter_names_in_order) {
      const t = tensors.get(name)!;
      expect(t.shape, name).toEqual(ref.parameter_shapes[name]);
      expect(t.dtype).toBe("F32");
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.length).toBe(ref.parameter_shapes[name].reduce((a, b) => a * b, 1));
      total += t.data.length;
    }
    expect(total).toBe(ref.num_parameters);
  });

  it("values are those _init_weights gives (reference `init`): LayerNorm 1/0, biases 0, padding row 0, N(0, 0.02) elsewhere", async () => {
    const { tensors } = await readSafetensors(MODEL);
    for (const [name, t] of tensors) {
      const d = t.data as Float32Array;
      if (name.includes("LayerNorm.weight")) expect(d.every((v) => v === 1), name).toBe(true);
      else if (name.endsWith(".bias")) expect(d.every((v) => v === 0), name).toBe(true);
      else {
        const mean = d.reduce((a, b) => a + b, 0) / d.length;
        const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
        // Loose statistical bounds only: tells a right read from a misaligned or wrong-dtype one.
        expect(Math.abs(std - 0.02), `${name} std ${std}`).toBeLessThan(0.006);
      }
    }
    const word = tensors.get("bert.embeddings.word_embeddings.weight")!;
    const hidden = word.shape[1];
    const pad = ref.config.pad_token_id;
    expect(Array.from(word.data.subarray(pad * hidden, (pad + 1) * hidden) as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it("re-serialising the reference file gives the same bytes the Python library wrote", async () => {
    const { tensors, metadata } = await readSafetensors(MODEL);
    const ours = serializeSafetensors(tensors, metadata);
    expect(Buffer.compare(Buffer.from(ours), readFileSync(MODEL))).toBe(0);
  });

  it("reads the after_step*.safetensors states: stats and full tensors equal reference.json", async () => {
    type Step = { step: number; state_file?: string; params_after_update: Record<string, number[]>; param_stats_after_update: Record<string, { sum: number; abs_sum: number; first: number[] }> };
    const train = readReference<{ train: Record<string, { steps: Step[] }> }>("tiny-v128-h32/reference.json").train;
    let files = 0;
    for (const [run, { steps }] of Object.entries(train)) {
      for (const s of steps) {
        if (!s.state_file) continue;
        files++;
        const { tensors } = await readSafetensors(join(TINY_REF_DIR, s.state_file));
        expect([...tensors.keys()].sort(), s.state_file).toEqual([...ref.parameter_names_in_order].sort());
        for (const [name, st] of Object.entries(s.param_stats_after_update)) {
          const d = tensors.get(name)!.data as Float32Array;
          let sum = 0;
          for (const v of d) sum += v;
          const tol = 1e-5 * st.abs_sum;
          expect(Math.abs(sum - st.sum) <= tol, `${run} step ${s.step} ${name}: sum ${sum} vs ${st.sum}`).toBe(true);
          expect(Array.from(d.subarray(0, st.first.length)), `${name} first`).toEqual(st.first.map(Math.fround));
        }
        for (const [name, values] of Object.entries(s.params_after_update)) {
          expect(Array.from(tensors.get(name)!.data as Float32Array), `${s.state_file} ${name}`).toEqual(values.flat(4).map(Math.fround));
        }
      }
    }
    expect(files).toBe(4);
  });
});

describe("writeSafetensors", () => {
  const mixed: Record<string, HostTensor> = {
    "a.bool": { dtype: "BOOL", shape: [3], data: Uint8Array.from([1, 0, 1]) },
    "b.u8": { dtype: "U8", shape: [1], data: Uint8Array.from([255]) },
    "c.f16": { dtype: "F16", shape: [3], data: Uint16Array.from([0x3c00, 0x7c00, 0x0001]) },
    "d.i64": { dtype: "I64", shape: [2], data: BigInt64Array.from([-(2n ** 62n), 9007199254740993n]) },
    "e.f32": { dtype: "F32", shape: [2, 3], data: new Float32Array([-0, NaN, 1e-45, -Infinity, 3.25, Math.fround(0.1)]) },
    "f.bf16": { dtype: "BF16", shape: [1], data: Uint16Array.from([0x3f80]) },
    "g.f64": { dtype: "F64", shape: [1], data: Float64Array.from([Math.PI]) },
    "h.i8": { dtype: "I8", shape: [2], data: Int8Array.from([-128, 127]) },
    "i.i16": { dtype: "I16", shape: [1], data: Int16Array.from([-32768]) },
    "j.i32": { dtype: "I32", shape: [2], data: Int32Array.from([-2147483648, 7]) },
    "k.scalar": { dtype: "F32", shape: [], data: Float32Array.from([5]) },
    "l.empty": { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
  };

  it("round trip is bit-exact for every dtype (NaN, -0, subnormals, int64 beyond 2^53)", async () => {
    const dir = tempDir();
    const path = join(dir, "m.safetensors");
    await writeSafetensors(path, mixed, { note: "x" });
    const { tensors, metadata } = await readSafetensors(path);
    expect(metadata).toEqual({ format: "pt", note: "x" });
    expect(tensors.size).toBe(Object.keys(mixed).length);
    for (const [name, t] of Object.entries(mixed)) {
      const got = tensors.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(bytesOf(got).equals(bytesOf(t)), name).toBe(true);
    }
  });

  it("header: 8-byte length, space-padded JSON, format=pt, offsets contiguous and in write order, every tensor aligned", async () => {
    const dir = tempDir();
    const path = join(dir, "m.safetensors");
    await writeSafetensors(path, new Map(Object.entries(mixed)));
    const bytes = readFileSync(path);
    const { n, text, json } = header(bytes);
    expect(n % 8).toBe(0);
    expect(8 + n).toBeLessThanOrEqual(bytes.length);
    expect(text.trimEnd().length).toBeLessThanOrEqual(n);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    expect(json.__metadata__).toEqual({ format: "pt" });
    expect(text.startsWith('{"__metadata__":')).toBe(true);
    const names = Object.keys(json).filter((k) => k !== "__metadata__");
    // The order of the safetensors library: larger dtypes first (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then name.
    expect(names).toEqual(["d.i64", "g.f64", "e.f32", "k.scalar", "l.empty", "j.i32", "f.bf16", "c.f16", "i.i16", "h.i8", "b.u8", "a.bool"]);
    let end = 0;
    for (const name of names) {
      const { dtype, shape, data_offsets: [b, e] } = json[name];
      expect(b, `${name} begins where the previous ended`).toBe(end);
      expect(e - b).toBe(shape.reduce((x, y) => x * y, 1) * ITEMSIZE[dtype]);
      expect((8 + n + b) % ITEMSIZE[dtype], `${name} aligned`).toBe(0);
      end = e;
    }
    expect(8 + n + end).toBe(bytes.length);
  });

  it("is atomic: an invalid tensor leaves no file and no temporary behind", async () => {
    const dir = tempDir();
    const path = join(dir, "m.safetensors");
    await expect(writeSafetensors(path, { x: { dtype: "F32", shape: [3], data: new Float32Array(2) } })).rejects.toThrow(/"x".*3 values.*2/);
    await writeSafetensors(path, { x: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir)).toEqual(["m.safetensors"]);
  });

  it("refuses data of the wrong array type for the dtype", async () => {
    expect(() => serializeSafetensors({ x: { dtype: "F16", shape: [1], data: new Float32Array(1) } })).toThrow(/F16 needs a Uint16Array, found a Float32Array/);
  });
});

describe("readSafetensors rejects corrupt files, naming the file and the problem", () => {
  const ok = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
  const data = f32Bytes([1, 2, 3]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["shorter than 8 bytes", Uint8Array.from([1, 2, 3]), /expected at least 8/],
    [
      "header length beyond the file",
      (() => {
        const b = rawSafetensors(ok, data);
        new DataView(b.buffer).setBigUint64(0, 10n ** 12n, true);
        return b;
      })(),
      /bad header length: .*1000000000000 bytes.*only \d+ bytes/,
    ],
    ["non-JSON header", rawSafetensors('{"x": {"dtype": "F32",', data), /bad header: not valid JSON/],
    ["header not an object", rawSafetensors("[1, 2]", data), /bad header: expected a JSON object/],
    ["truncated data", rawSafetensors(ok, data.subarray(0, 10)), /truncated data: tensor "y" ends at byte 12.*only 10 data bytes/],
    ["unsupported dtype", rawSafetensors({ x: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)), /unsupported dtype "F8_E4M3" for tensor "x"/],
    [
      "overlapping offsets",
      rawSafetensors({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, data),
      /overlapping offsets: tensor "y" begins at byte 4 but "x" ends at byte 8/,
    ],
    ["size not prod(shape) * itemsize", rawSafetensors({ x: { dtype: "F32", shape: [2], data_offsets: [0, 12] } }, data), /"x" \(F32, shape \[2\]\) needs 8 bytes.*span 12/],
    ["gap between tensors", rawSafetensors({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data.subarray(0, 8)), /gap before tensor "x": expected it to begin at byte 0, found 4/],
    ["trailing bytes", rawSafetensors({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, data), /cover 8 data bytes but the file holds 12/],
    ["end before begin", rawSafetensors({ x: { dtype: "F32", shape: [0], data_offsets: [8, 0] } }, data), /data_offsets must be \[begin, end\]/],
    ["metadata not strings", rawSafetensors({ __metadata__: { format: 1 } }, new Uint8Array(0)), /__metadata__.format must be a string/],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, async () => {
      const path = writeTemp(tempDir(), "bad.safetensors", bytes);
      const err = await readSafetensors(path).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, "should have thrown").toBeInstanceOf(Error);
      expect(err!.message).toContain(path);
      expect(err!.message).toMatch(message);
    });
  }

  it("the well-formed variant of those fixtures reads (so the cases above fail for their own reason)", async () => {
    const path = writeTemp(tempDir(), "good.safetensors", rawSafetensors(ok, data));
    const { tensors } = await readSafetensors(path);
    expect(Array.from(tensors.get("x")!.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(tensors.get("y")!.data as Float32Array)).toEqual([3]);
  });

  it("an unaligned tensor (header not padded) is read by copy, values intact", async () => {
    const path = writeTemp(tempDir(), "odd.safetensors", rawSafetensors('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32Bytes([1.5, -2]), { pad: false }));
    const { tensors } = await readSafetensors(path);
    expect(Array.from(tensors.get("x")!.data as Float32Array)).toEqual([1.5, -2]);
  });

  it("a missing file names the path", async () => {
    await expect(readSafetensors("/nonexistent/model.safetensors")).rejects.toThrow(/\/nonexistent\/model.safetensors: cannot read/);
  });
});
