// Module bookkeeping: names and order, train/eval, stateDict/loadStateDict errors, Dropout, devices.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BACKEND_NAMES, selectDevice, useBackend, wasmThreadsWanted } from "../../src/backend";
import { loadNativeGemm } from "../../src/backend/wasm/native-gemm";
import { nativeElementwiseWanted } from "../../src/backend/wasm/native-elementwise";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { BertConfig } from "../../src/models/bert";
import { Dropout, Linear, Module } from "../../src/nn";
import { Generator } from "../../src/utils/random";

const config = new BertConfig({ vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 10 });

class Two extends Module {
  a = this.registerModule("a", new Linear(2, 3));
  b = this.registerModule("b", new Linear(3, 1, { bias: false }));
}

describe("Module", () => {
  it("lists parameters like named_parameters() and toggles training everywhere", async () => {
    await useBackend("cpu");
    const m = new Two();
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([["a.weight", [3, 2]], ["a.bias", [3]], ["b.weight", [1, 3]]]);
    expect(m.numParameters()).toBe(6 + 3 + 3);
    m.eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.a.training).toBe(true);
    m.dispose();
  });

  it("loadStateDict: strict lists missing and unexpected keys; a shape mismatch names the tensor and both shapes", async () => {
    await useBackend("cpu");
    const m = new Two();
    const state = new Map<string, tf.Tensor>([["a.weight", tf.ones([3, 2])], ["a.bias", tf.ones([3])], ["c.weight", tf.ones([1])]]);
    expect(() => m.loadStateDict(state)).toThrow(/Missing key\(s\) in state_dict: "b\.weight"\.[\s\S]*Unexpected key\(s\) in state_dict: "c\.weight"/);
    expect(m.loadStateDict(state, { strict: false })).toEqual({ missingKeys: ["b.weight"], unexpectedKeys: ["c.weight"] });
    expect(m.a.weight.variable.arraySync()).toEqual([[1, 1], [1, 1], [1, 1]]);
    const bad = new Map([["a.weight", { dtype: "F32", shape: [2, 3], data: new Float32Array(6) }]]);
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow("size mismatch for a.weight: copying a param with shape [2, 3] from checkpoint, the shape in current model is [3, 2].");
    tf.dispose([...state.values()]);
    m.dispose();
  });

  it("stateDict has every parameter under its Hugging Face name", async () => {
    await useBackend("cpu");
    const model = AutoModelForSequenceClassification.fromConfig(config);
    const names = [...model.stateDict().keys()];
    expect(names[0]).toBe("bert.embeddings.word_embeddings.weight");
    expect(names).toContain("bert.encoder.layer.0.attention.self.query.weight");
    expect(names.slice(-2)).toEqual(["classifier.weight", "classifier.bias"]);
    expect(names.length).toBe(5 + 16 + 2 + 2);
    model.dispose();
  });
});

describe("Dropout", () => {
  it("is the identity in eval mode and with p = 0; in training zeroes ~p and scales by 1/(1-p), seeded", async () => {
    await useBackend("cpu");
    const x = tf.ones([200, 100]);
    const source = { generator: new Generator(9) };
    const d = new Dropout(0.1, source);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(new Dropout(0, source).forward(x)).toBe(x);
    d.train();
    const y = d.forward(x).dataSync();
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(Math.abs(zeros - 0.1)).toBeLessThan(0.006); // 5 standard errors of 20000 draws
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6)).toBe(true);
    source.generator = new Generator(9);
    expect(Array.from(d.forward(x).dataSync())).toEqual(Array.from(y));
    source.generator = new Generator(10);
    expect(Array.from(d.forward(x).dataSync())).not.toEqual(Array.from(y));
    expect(() => new Dropout(1, source)).toThrow(/p must be in \[0, 1\)/);
  });
});

describe("devices", () => {
  it("selectDevice honours KIT_BACKEND, prints one line, and refuses unknown or missing backends listing the available ones", async () => {
    const saved = process.env.KIT_BACKEND;
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      process.env.KIT_BACKEND = "wasm";
      const d = await selectDevice();
      expect(d.name).toBe("wasm");
      expect(String(d)).toBe("wasm");
      expect(tf.getBackend()).toBe("wasm");
      // The thread count is the one KIT_WASM_THREADS asked for (default: one per core, at most 4).
      const threads = wasmThreadsWanted();
      const t = `${threads} thread${threads === 1 ? "" : "s"}`;
      expect(lines.length).toBe(1);
      // The GEMM: the native one where built (its BLAS threads follow the kit's), else why not, and how to get it.
      if ("gemm" in loadNativeGemm() && !process.env.KIT_GEMM) {
        // The same addon's GELU and dropout masks, unless KIT_ELEMENTWISE=js (or a build that predates them).
        const elementwise = nativeElementwiseWanted().native !== null ? " \\+ native GELU/LayerNorm/softmax/dropout \\(KIT_ELEMENTWISE\\)" : "";
        expect(lines[0]).toMatch(new RegExp(`^Using TF\\.js backend: wasm \\+ (OpenBLAS \\d+\\.\\d+\\.\\d+ \\(\\w+, ${t}\\)|Accelerate .*)${elementwise} \\(forced by KIT_BACKEND, ${t} \\(KIT_WASM_THREADS\\)\\)$`));
      } else {
        expect(lines[0]).toMatch(new RegExp(`^Using TF\\.js backend: wasm \\(forced by KIT_BACKEND, ${t} \\(KIT_WASM_THREADS\\)\\); GEMM: the wasm backend's own`));
      }
      process.env.KIT_BACKEND = "cpu";
      expect((await selectDevice({ quiet: true })).name).toBe("cpu");
      expect(lines.length).toBe(1);
      process.env.KIT_BACKEND = "cuda";
      // webgpu is available wherever its package is installed (test/backend/webgpu.test.ts checks both cases).
      await expect(selectDevice()).rejects.toThrow(/Backend "cuda" is not available\. Available here: (webgpu, )?wasm, cpu/);
      // The native backends are optional dependencies, not installed on this machine.
      process.env.KIT_BACKEND = "tensorflow";
      await expect(selectDevice()).rejects.toThrow(/Backend "tensorflow" is not available\. Available here: (webgpu, )?wasm, cpu[\s\S]*@tensorflow\/tfjs-node/);
      delete process.env.KIT_BACKEND;
      const best = await selectDevice({ quiet: true });
      expect(best.name).toBe("wasm"); // the fastest installed here (a software WebGPU adapter is never chosen)
      expect(BACKEND_NAMES).toEqual(["tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"]);
    } finally {
      console.log = log;
      if (saved === undefined) delete process.env.KIT_BACKEND;
      else process.env.KIT_BACKEND = saved;
    }
  });

  it("model.to(device) checks the backend", async () => {
    const device = await useBackend("cpu");
    const model = AutoModelForSequenceClassification.fromConfig(config);
    expect(model.to(device)).toBe(model);
    await useBackend("wasm");
    expect(() => model.to(device)).toThrow(/TF\.js runs on "wasm", not "cpu"/);
    model.dispose();
  });
});
