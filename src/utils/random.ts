// The kit's one source of randomness. PyTorch's generator cannot be reproduced bit for bit, so we do not
// try: every random draw (init, dropout masks, shuffling) comes from a seeded Generator, which makes a run
// a pure function of its seed and backend, and whose state can be saved in a checkpoint and restored.
import seedrandom from "seedrandom";

export type GeneratorState = { seed: string; alea: object; spareNormal: number | null };

/** seedrandom's alea state: the carry c and the last three draws. */
export type AleaState = { c: number; s0: number; s1: number; s2: number };

/**
 * Draws made elsewhere from this generator's sequence (a native mask filler, src/backend): given alea's state,
 * it makes its draws and returns the state after them, exactly as if random() had been called that often.
 */
export type BulkDraw = (state: AleaState) => AleaState;

export class Generator {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spareNormal: number | null = null;

  constructor(readonly seed: number | string = 42, state?: object) {
    this.prng = seedrandom.alea(String(seed), { state: (state as seedrandom.State.Alea | undefined) ?? true });
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  random(): number {
    return this.prng();
  }

  /**
   * A dropout mask of n values: `scale` where the next draw is below `keep`, else 0, from the draws random()
   * would give, in order. A native filler makes the same mask through drawInBulk.
   */
  uniformMask(n: number, keep: number, scale: number): Float32Array {
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = this.prng() < keep ? scale : 0;
    return mask;
  }

  /** Let `draw` take the next draws of this sequence in bulk (see BulkDraw); random() continues after them. */
  drawInBulk(draw: BulkDraw): void {
    const next = draw(this.prng.state() as AleaState);
    this.prng = seedrandom.alea("", { state: next });
  }

  /** Uniform integer in [0, n). */
  randint(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal by Box–Muller (the second value of each pair is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A Float32Array of n normal draws. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

  /** An independent generator derived from this one's seed and a label (e.g. "dropout", "epoch-2"). */
  fork(label: string): Generator {
    return new Generator(`${this.seed}/${label}`);
  }

  getState(): GeneratorState {
    return { seed: String(this.seed), alea: this.prng.state(), spareNormal: this.spareNormal };
  }

  static fromState(state: GeneratorState): Generator {
    const g = new Generator(state.seed, state.alea);
    g.spareNormal = state.spareNormal;
    return g;
  }
}
