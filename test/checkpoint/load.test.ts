import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixKey, loadCheckpointTensors, renameLegacyKeys, toFloat32 } from "../../src/models/checkpoint";
import { writeSafetensors } from "../../src/utils/safetensors";
import { TINY_CHECKPOINT, readReference } from "../helpers/shared";
import { tempDir } from "./fixtures";

type Ref = { parameter_names_in_order: string[]; parameter_shapes: Record<string, number[]> };
const ref = readReference<Ref>("tiny-v128-h32/reference.json");

describe("loadCheckpointTensors", () => {
  it("prefers model.safetensors, falls back to pytorch_model.bin; both give the reference parameters as F32", async () => {
    const st = await loadCheckpointTensors(TINY_CHECKPOINT);
    expect(st.source).toBe(join(TINY_CHECKPOINT, "model.safetensors"));
    const dir = tempDir();
    copyFileSync(join(TINY_CHECKPOINT, "pytorch_model.bin"), join(dir, "pytorch_model.bin"));
    const bin = await loadCheckpointTensors(dir);
    expect(bin.source).toBe(join(dir, "pytorch_model.bin"));
    for (const name of ref.parameter_names_in_order) {
      const a = st.tensors.get(name)!;
      const b = bin.tensors.get(name)!;
      expect(a.dtype).toBe("F32");
      expect(a.data).toBeInstanceOf(Float32Array);
      expect(a.shape).toEqual(ref.parameter_shapes[name]);
      expect(b.shape).toEqual(ref.parameter_shapes[name]);
      expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), name).toBe(true);
    }
  });

  it("converts F16, BF16, F64 and integer tensors to F32 with known values", async () => {
    const dir = tempDir();
    await writeSafetensors(join(dir, "model.safetensors"), {
      // IEEE half: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 2^-14 (smallest normal), +inf, -0
      h: { dtype: "F16", shape: [7], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0x8000]) },
      // bfloat16: 1, 3.140625, -0.5
      b: { dtype: "BF16", shape: [3], data: Uint16Array.from([0x3f80, 0x4049, 0xbf00]) },
      d: { dtype: "F64", shape: [2], data: Float64Array.from([0.1, -1e300]) },
      i: { dtype: "I64", shape: [3], data: BigInt64Array.from([0n, 511n, -3n]) },
    });
    const { tensors } = await loadCheckpointTensors(dir);
    expect(Array.from(tensors.get("h")!.data)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -0]);
    expect(Object.is(tensors.get("h")!.data[6], -0)).toBe(true);
    expect(Array.from(tensors.get("b")!.data)).toEqual([1, 3.140625, -0.5]);
    expect(Array.from(tensors.get("d")!.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(Array.from(tensors.get("i")!.data)).toEqual([0, 511, -3]);
    for (const t of tensors.values()) expect(t.dtype).toBe("F32");
    expect(Number.isNaN(toFloat32("n", { dtype: "F16", shape: [1], data: Uint16Array.from([0x7e00]) }).data[0])).toBe(true);
  });

  it("renames legacy gamma/beta keys at load (transformers' _fix_key)", async () => {
    const dir = tempDir();
    const one = { dtype: "F32" as const, shape: [1], data: Float32Array.from([1]) };
    await writeSafetensors(join(dir, "model.safetensors"), { "bert.embeddings.LayerNorm.gamma": one, "bert.embeddings.LayerNorm.beta": one, "x.weight": one });
    const { tensors } = await loadCheckpointTensors(dir);
    expect([...tensors.keys()].sort()).toEqual(["bert.embeddings.LayerNorm.bias", "bert.embeddings.LayerNorm.weight", "x.weight"]);
    const raw = await loadCheckpointTensors(dir, { renameLegacy: false });
    expect(raw.tensors.has("bert.embeddings.LayerNorm.gamma")).toBe(true);
  });

  it("reads a sharded checkpoint through model.safetensors.index.json", async () => {
    const dir = tempDir();
    const t = (v: number) => ({ dtype: "F32" as const, shape: [1], data: Float32Array.from([v]) });
    await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), { a: t(1) });
    await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), { b: t(2) });
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" } }));
    const { tensors, source } = await loadCheckpointTensors(dir);
    expect(source).toBe(join(dir, "model.safetensors.index.json"));
    expect(Array.from(tensors.get("a")!.data)).toEqual([1]);
    expect(Array.from(tensors.get("b")!.data)).toEqual([2]);
  });

  it("a directory without weights is an error listing the files looked for", async () => {
    const dir = tempDir();
    await expect(loadCheckpointTensors(dir)).rejects.toThrow(/no weights found; expected one of model.safetensors, .*pytorch_model.bin/);
  });
});

describe("renameLegacyKeys / fixKey", () => {
  it("follows transformers 4.31 _fix_key: beta -> bias first, else gamma -> weight, every occurrence", () => {
    expect(fixKey("encoder.layer.0.output.LayerNorm.gamma")).toBe("encoder.layer.0.output.LayerNorm.weight");
    expect(fixKey("encoder.layer.0.output.LayerNorm.beta")).toBe("encoder.layer.0.output.LayerNorm.bias");
    expect(fixKey("cls.predictions.bias")).toBe("cls.predictions.bias");
    // A key holding both: only beta is replaced, as _fix_key returns after the first rule.
    expect(fixKey("gamma.beta")).toBe("gamma.bias");
  });

  it("keeps order and refuses a rename that collides with an existing key", () => {
    const m = renameLegacyKeys(new Map([["a.gamma", 1], ["b", 2]]));
    expect([...m.entries()]).toEqual([["a.weight", 1], ["b", 2]]);
    expect(() => renameLegacyKeys(new Map([["a.weight", 1], ["a.gamma", 2]]), "ckpt.bin")).toThrow(/ckpt.bin: tensor "a.gamma" renames to "a.weight"/);
  });
});
