// DESIGN.md §4: the first-step loss of a seeded tiny run is ln 2 minus a term set by its first batch's label
// balance and the initial logit gap. For logit gaps d_i = l1 - l0 (tiny: weights of std 0.02) and labels y_i,
// example i's loss is softplus(-s_i d_i) with s_i = 2 y_i - 1, = ln 2 - s_i d_i / 2 + d_i^2 / 8 - d_i^4 / 192 + ...
// With the batch's mean gap g, k positives of n: loss = ln 2 - g (2k - n) / (2n) + g^2 / 8 + the spread term
// -cov(s, d) / 2 + var(d) / 8, and |cov(s, d)| <= std(s) std(d) <= std(d) (Cauchy-Schwarz).
import { noGrad } from "../../src/nn";
import { disposeBatch, type Batch } from "../../src/data";
import { makeDataloaders } from "../../chapters/02-dataloaders";
import { makeModel } from "../../chapters/03-model";
import { preprocess } from "../../chapters/01-preprocessing";
import { hyperparameters, PRESETS } from "../../src/training/presets";

export type FirstLoss = {
  /** ln 2 - g (2k - n) / (2n) + g^2 / 8: set by the label balance k : n - k and the mean logit gap g. */
  derived: number;
  /** How far the loss may be from `derived`: std(d) / 2 + var(d) / 8 + max d^4 / 192. */
  bound: number;
  /** The same expansion per example, ln 2 - mean(s d) / 2 + mean(d^2) / 8: the loss to max d^4 / 192. */
  perExample: number;
  perExampleBound: number;
  positives: number;
  n: number;
  gap: number;
  loss: number;
};

/** The derived first-step loss from the logit gaps and labels of one batch, and how far the loss may be from it. */
export function derivedFirstLoss(gaps: ArrayLike<number>, labels: ArrayLike<number>): Omit<FirstLoss, "loss"> {
  const d = Array.from(gaps);
  const y = Array.from(labels);
  const n = d.length;
  if (y.length !== n || y.some((v) => v !== 0 && v !== 1)) throw new Error(`derivedFirstLoss: ${n} gaps need ${n} labels of 0 or 1, got ${y.join(", ")}`);
  const positives = y.filter((v) => v === 1).length;
  const g = d.reduce((a, b) => a + b, 0) / n;
  const variance = d.reduce((a, b) => a + (b - g) ** 2, 0) / n;
  const fourth = d.reduce((m, v) => Math.max(m, v ** 4), 0) / 192;
  return {
    derived: Math.LN2 - (g * (2 * positives - n)) / (2 * n) + (g * g) / 8,
    bound: Math.sqrt(variance) / 2 + variance / 8 + fourth,
    perExample: Math.LN2 + d.reduce((a, v, i) => a - ((2 * y[i]! - 1) * v) / 2 + (v * v) / 8, 0) / n,
    // + float32: the loss is a mean of n float32 log-softmax values near ln 2 (ulp 6e-8).
    perExampleBound: fourth + 1e-6,
    positives,
    n,
    gap: g,
  };
}

/**
 * Chapter 03's forward pass rebuilt (the tiny preset, the seed's first train batch, train mode as the course
 * runs it): its loss and the derived value from its own logits and labels.
 */
export async function chapter03FirstLoss(seed = 42): Promise<FirstLoss> {
  const hp = hyperparameters({ preset: "tiny", seed });
  const { tokenizedDatasets, dataCollator } = await preprocess(PRESETS[hp.preset].tokenizer);
  const { trainDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  const model = await makeModel(hp.preset, hp.seed, { quiet: true });
  let batch: Batch | undefined;
  for (const b of trainDataloader) {
    batch = b;
    break;
  }
  model.train();
  const { loss, logits } = noGrad(() => {
    const out = model.forward(batch!);
    return { loss: out.loss!.dataSync()[0]!, logits: Array.from(out.logits.dataSync()) };
  });
  const labels = Array.from(batch!.labels!.dataSync());
  const gaps = labels.map((_, i) => logits[2 * i + 1]! - logits[2 * i]!);
  disposeBatch(batch!);
  model.dispose();
  return { ...derivedFirstLoss(gaps, labels), loss };
}
