// torch.nn.Dropout: in training, zero each element with probability p and scale the rest by 1/(1-p).
// Masks come from the model's seeded Generator (src/utils/random.ts), so a run is a function of its seed.
import * as tf from "@tensorflow/tfjs-core";
import { nativeUniformMask } from "../backend/wasm/native-elementwise";
import type { Generator } from "../utils/random";
import { Module } from "./module";

/** The generator a model's Dropout layers share; swapping `generator` reseeds them all. */
export type RandomSource = { generator: Generator };

export class Dropout extends Module {
  constructor(
    readonly p: number,
    private readonly source: RandomSource,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 - this.p;
    const scale = 1 / keep;
    const gen = this.source.generator;
    // Drawn natively into the wasm heap when the addon is built (the same mask bit for bit), else in JS.
    const mask = nativeUniformMask(x.shape, keep, scale, gen) ?? tf.tensor(gen.uniformMask(x.size, keep, scale), x.shape, "float32");
    return tf.mul(x, mask);
  }
}
