import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/utils/safetensors";
import { readTorchBin } from "../../src/utils/torch-pickle";
import { TINY_CHECKPOINT, readReference } from "../helpers/shared";
import { PickleWriter, type TensorSpec, f32Bytes, stateDictPickle, tempDir, torchZip, writeTemp } from "./fixtures";

type Ref = { parameter_names_in_order: string[]; parameter_shapes: Record<string, number[]> };
const ref = readReference<Ref>("tiny-v128-h32/reference.json");

async function readBuilt(bytes: Uint8Array) {
  return readTorchBin(writeTemp(tempDir(), "pytorch_model.bin", bytes));
}

describe("readTorchBin on the transformers-written pytorch_model.bin", () => {
  it("gives the reference's names in state-dict order, shapes, and the same bytes as model.safetensors", async () => {
    const bin = await readTorchBin(join(TINY_CHECKPOINT, "pytorch_model.bin"));
    const st = (await readSafetensors(join(TINY_CHECKPOINT, "model.safetensors"))).tensors;
    expect([...bin.keys()]).toEqual(ref.parameter_names_in_order);
    expect([...st.keys()].sort()).toEqual([...bin.keys()].sort());
    for (const [name, t] of bin) {
      const s = st.get(name)!;
      expect(t.dtype, name).toBe("F32");
      expect(t.shape, name).toEqual(ref.parameter_shapes[name]);
      expect(s.shape, name).toEqual(t.shape);
      const a = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const b = Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      expect(a.equals(b), `${name}: bytes differ between pytorch_model.bin and model.safetensors`).toBe(true);
    }
  });
});

describe("readTorchBin on hand-built torch.save archives", () => {
  const storage6 = f32Bytes([0, 1, 2, 3, 4, 5]);

  it("contiguous tensors with a storage offset, a shared storage, a Parameter, F16 and I64 storages", async () => {
    const specs: Record<string, TensorSpec> = {
      whole: { storage: "0", numel: 6, shape: [2, 3], stride: [3, 1] },
      tail: { storage: "0", numel: 6, offset: 4, shape: [2], stride: [1] },
      param: { storage: "0", numel: 6, offset: 1, shape: [1, 2], stride: [2, 1], parameter: true },
      half: { storage: "1", storageType: "HalfStorage", numel: 2, shape: [2], stride: [1] },
      ids: { storage: "2", storageType: "LongStorage", numel: 3, shape: [1, 3], stride: [3, 1] },
      scalar: { storage: "3", numel: 1, shape: [], stride: [] },
    };
    const t = await readBuilt(
      torchZip(stateDictPickle(specs), {
        "0": storage6,
        "1": new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer),
        "2": new Uint8Array(BigInt64Array.from([0n, 1n, 2n ** 40n]).buffer),
        "3": f32Bytes([7]),
      }),
    );
    expect([...t.keys()]).toEqual(Object.keys(specs));
    expect(Array.from(t.get("whole")!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.get("whole")!.shape).toEqual([2, 3]);
    expect(Array.from(t.get("tail")!.data as Float32Array)).toEqual([4, 5]);
    expect(Array.from(t.get("param")!.data as Float32Array)).toEqual([1, 2]);
    expect(t.get("half")!.dtype).toBe("F16");
    expect(Array.from(t.get("half")!.data as Uint16Array)).toEqual([0x3c00, 0xc000]);
    expect(t.get("ids")!.dtype).toBe("I64");
    expect(Array.from(t.get("ids")!.data as BigInt64Array)).toEqual([0n, 1n, 2n ** 40n]);
    expect(t.get("scalar")!.shape).toEqual([]);
    expect(Array.from(t.get("scalar")!.data as Float32Array)).toEqual([7]);
  });

  it("non-contiguous views are materialised row-major: a transpose, a strided column, a broadcast", async () => {
    // storage [[0,1,2],[3,4,5]] (2x3 row-major)
    const t = await readBuilt(
      torchZip(
        stateDictPickle({
          transposed: { storage: "0", numel: 6, shape: [3, 2], stride: [1, 3] }, // .t()
          column: { storage: "0", numel: 6, offset: 1, shape: [2], stride: [3] }, // [:, 1]
          expanded: { storage: "0", numel: 6, offset: 2, shape: [2, 2], stride: [0, 1] }, // [2,3] row broadcast
        }),
        { "0": storage6 },
      ),
    );
    expect(Array.from(t.get("transposed")!.data as Float32Array)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(t.get("column")!.data as Float32Array)).toEqual([1, 4]);
    expect(Array.from(t.get("expanded")!.data as Float32Array)).toEqual([2, 3, 2, 3]);
  });

  it("a view reaching past its storage is an error naming the tensor", async () => {
    const bytes = torchZip(stateDictPickle({ w: { storage: "0", numel: 6, offset: 3, shape: [2, 3], stride: [3, 1] } }), { "0": storage6 });
    await expect(readBuilt(bytes)).rejects.toThrow(/tensor "w" .*reads past its storage of 6 elements/);
  });

  it("a storage file shorter than numel * itemsize is an error naming the storage", async () => {
    const bytes = torchZip(stateDictPickle({ w: { storage: "0", numel: 6, shape: [6], stride: [1] } }), { "0": storage6.subarray(0, 20) });
    await expect(readBuilt(bytes)).rejects.toThrow(/truncated storage "archive\/data\/0" of tensor "w": expected 24 bytes .*found 20/);
  });

  it("a missing storage file is an error", async () => {
    const bytes = torchZip(stateDictPickle({ w: { storage: "9", numel: 6, shape: [6], stride: [1] } }), { "0": storage6 });
    await expect(readBuilt(bytes)).rejects.toThrow(/storage "archive\/data\/9" of tensor "w" is missing/);
  });

  it("legacy (pre-1.6, non-zip) serialization is refused by name", async () => {
    // torch's legacy format opens with a pickled magic number: PROTO 2, LONG1 0x1950a86a20f9469cfc6c.
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    const path = writeTemp(tempDir(), "pytorch_model.bin", legacy);
    await expect(readTorchBin(path)).rejects.toThrow(/legacy torch serialization.*re-save with torch>=1\.6 .*convert to safetensors/);
    await expect(readTorchBin(path)).rejects.toThrow(path);
  });

  it("a file that is neither zip nor pickle is refused", async () => {
    await expect(readBuilt(Buffer.from("hello world"))).rejects.toThrow(/expected a zip archive/);
  });

  it("a pickle referencing a forbidden global is refused naming it, before anything is called", async () => {
    // The classic payload: os.system("...") via GLOBAL + REDUCE.
    const evil = new PickleWriter().proto().global("os", "system").mark().str("touch /tmp/pwned").tuple().byte(0x52, 0x2e).bytes();
    await expect(readBuilt(torchZip(evil, {}))).rejects.toThrow(/forbidden pickle global "os.system"/);
    // Also through STACK_GLOBAL (protocol 4), and a torch name outside the allowed list.
    const stack = new PickleWriter().byte(0x80, 4).str("builtins").str("eval").byte(0x93, 0x2e).bytes();
    await expect(readBuilt(torchZip(stack, {}))).rejects.toThrow(/forbidden pickle global "builtins.eval"/);
    const torchOther = new PickleWriter().proto().global("torch._utils", "_rebuild_device_tensor_from_numpy").byte(0x2e).bytes();
    await expect(readBuilt(torchZip(torchOther, {}))).rejects.toThrow(/forbidden pickle global "torch._utils._rebuild_device_tensor_from_numpy"/);
  });

  it("an allowed storage class may not be called, and a non-tensor entry is refused", async () => {
    const call = new PickleWriter().proto().global("torch", "FloatStorage").byte(0x29, 0x52, 0x2e).bytes();
    await expect(readBuilt(torchZip(call, {}))).rejects.toThrow(/"torch.FloatStorage" cannot be called/);
    const notTensor = new PickleWriter().proto().byte(0x7d).str("epoch").int(3).byte(0x73, 0x2e).bytes();
    await expect(readBuilt(torchZip(notTensor, {}))).rejects.toThrow(/entry "epoch" is not a tensor/);
  });

  it("unknown opcodes and truncated pickles are errors, not hangs", async () => {
    await expect(readBuilt(torchZip(Uint8Array.from([0x80, 0x02, 0x7d, 0x69]), {}))).rejects.toThrow(/opcode 0x69 .*not supported/);
    await expect(readBuilt(torchZip(Uint8Array.from([0x80, 0x02, 0x7d]), {}))).rejects.toThrow(/truncated/);
  });
});
