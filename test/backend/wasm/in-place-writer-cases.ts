// The checks of inPlaceWriter (src/backend/wasm/heap.ts), the later half of overwriteInPlace that the
// data-parallel exchange writes gradients through, shared by the single-threaded build's test file (a plain
// memory, which growing detaches) and the threaded one's (a shared memory, which it does not).
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend, wasmThreadsCount } from "../../../src/backend";
import { inPlaceWriter } from "../../../src/backend/wasm/heap";
import { heapId, heapMemory, type WasmBackendLike } from "../../../src/backend/wasm/internals";

const backend = () => tf.backend() as unknown as WasmBackendLike;
const numericId = (t: tf.Tensor) => heapId(backend(), t.dataId);

export function inPlaceWriterSuite(threads: number): void {
  describe(`inPlaceWriter on wasm, KIT_WASM_THREADS=${threads}`, () => {
    beforeAll(async () => {
      process.env.KIT_WASM_THREADS = String(threads);
      await useBackend("wasm");
      expect(wasmThreadsCount()).toBe(threads);
    });

    it("writes through to the tensor, and commit gives it a new id at the same memory", () => {
      const t = tf.tensor1d([1, 2, 3, 4]);
      const w = inPlaceWriter(t)!;
      expect([...w.values]).toEqual([1, 2, 3, 4]);
      const id = numericId(t);
      w.values.set([5, 6, 7, 8]);
      w.commit();
      expect(numericId(t)).not.toBe(id);
      expect([...t.dataSync()]).toEqual([5, 6, 7, 8]);
      // A tensor computed from it reads the new values (the package's caches keyed by the old id are gone).
      expect([...tf.add(t, 1).dataSync()]).toEqual([6, 7, 8, 9]);
      tf.dispose(t);
    });

    it("refuses a tensor that shares its buffer, and an int32 tensor", () => {
      const t = tf.tensor1d([1, 2, 3, 4]);
      const sharing = tf.reshape(t, [2, 2]);
      expect(inPlaceWriter(t)).toBeNull();
      sharing.dispose();
      expect(inPlaceWriter(t)).not.toBeNull();
      expect(inPlaceWriter(tf.tensor1d([1], "int32"))).toBeNull();
      tf.dispose(t);
    });

    it("a heap grown before commit: a plain memory lost the writes and commit says so; a shared one kept them", () => {
      const t = tf.tensor1d([1, 2, 3, 4]);
      const w = inPlaceWriter(t)!;
      const memory = heapMemory(backend());
      const before = memory.buffer.byteLength;
      // Bigger than the whole heap: the backend must grow its memory to hold it.
      const big = tf.zeros([before / 4 + 1]);
      expect(memory.buffer.byteLength).toBeGreaterThan(before);
      // Element by element, as a reduce loop writes: into a detached buffer these are silently dropped.
      for (let i = 0; i < 4; i++) w.values[i] = 9;
      if (memory.buffer instanceof SharedArrayBuffer) {
        w.commit();
        expect([...t.dataSync()]).toEqual([9, 9, 9, 9]);
      } else {
        expect(() => w.commit()).toThrow(/grew the wasm heap, which lost the writes/);
        expect([...t.dataSync()]).toEqual([1, 2, 3, 4]);
      }
      tf.dispose([t, big]);
    });
  });
}
