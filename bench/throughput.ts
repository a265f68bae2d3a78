// Training throughput (examples/s) of a bare Accelerate loop on 1 process versus N, for `npm run bench`.
// Each count is a real launch (launchProcesses) of throughput-worker.ts: every rank builds the same seeded
// BERT shape (vocab 30522, dropout 0.1), prepares it with an AdamW, then times `steps` training steps of
// synthetic batches (batch 8, length 65 per process, as the bench workload) after `warmup`. The time of a
// step is split into the local backward, the gradient exchange (Accelerator.syncGradients: what
// accelerator.backward adds on several processes) and the optimizer step.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { launchProcesses } from "../src/accelerate/launch";

export interface BertShape {
  numHiddenLayers: number;
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
}

/** Google's BERT miniatures (the bench's names). */
export const THROUGHPUT_SHAPES = {
  tiny: { numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512 },
  mini: { numHiddenLayers: 4, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024 },
  small: { numHiddenLayers: 4, hiddenSize: 512, numAttentionHeads: 8, intermediateSize: 2048 },
} as const satisfies Record<string, BertShape>;

export type ThroughputShapeName = keyof typeof THROUGHPUT_SHAPES;

export interface AccelerateThroughputOptions {
  /** A named shape or explicit dimensions (default "tiny"). */
  shape?: ThroughputShapeName | BertShape;
  /** Process counts to run, in order; the speed-up is last versus first (default [1, 2]). */
  processCounts?: number[];
  /**
   * Rounds of processCounts, run one after the other (default 1). The speed-up is then taken from each
   * count's median: on a shared or throttled machine one process's rate alone moves by several percent from
   * run to run, as much as the effect measured, and interleaving keeps slow drift out of the ratio.
   */
  rounds?: number;
  /** Timed steps per run (default 20) after `warmup` untimed ones (default 3). */
  steps?: number;
  warmup?: number;
  /** Per process (default 8, the course's). */
  batchSize?: number;
  /** Tokens per row (default 65, a typical MRPC batch after dynamic padding). */
  seqLength?: number;
  /** TF.js backend of every rank (default "wasm"). */
  backend?: string;
  /**
   * wasm threads per process (KIT_WASM_THREADS); default: the launcher's share of the cores (all of them
   * for 1 process, one each for 2 on 2 cores).
   */
  wasmThreads?: number;
  /** Exchange only the embedding rows a batch used (default true); false sends the whole tables. */
  sparseEmbeddingGradients?: boolean;
  /** Where the ranks' output goes (default: kept and shown only if a run fails). */
  stderr?: NodeJS.WritableStream;
}

/** Medians over the timed steps, measured on rank 0. */
export interface ThroughputRun {
  numProcesses: number;
  /** Threads each process's wasm backend computed with (1 on other backends). */
  wasmThreads: number;
  examplesPerSecond: number;
  /** Wall time of the timed steps divided by their number. */
  stepMs: number;
  backwardMs: number;
  syncMs: number;
  optimizerMs: number;
  /**
   * CPU time rank 0 spent per step (user + system). On a shared machine wall times reflect the other
   * jobs; numProcesses x batch / cpuMsPerStep is the throughput with a core per process and no waiting.
   */
  cpuMsPerStep: number;
  /** CPU time of the exchange alone (rank 0, median): the part of cpuMsPerStep that one process does not spend. */
  syncCpuMs: number;
  firstLoss: number;
  lastLoss: number;
  /** tf.memory().numTensors after the first and the last timed step (equal when nothing leaks). */
  tensorsAfterFirstStep: number;
  tensorsAfterLastStep: number;
  /** How rank 0's allReduce floats travelled: "shared memory", "socket" (KIT_EXCHANGE), or "none" for one process. */
  exchange: string;
}

export interface AccelerateThroughputResult {
  shape: BertShape & { name: string };
  backend: string;
  batchSize: number;
  seqLength: number;
  steps: number;
  sparseEmbeddingGradients: boolean;
  /** Every run in the order made: `rounds` times processCounts. */
  runs: ThroughputRun[];
  rounds: number;
  /** Median examples/s of the last process count over the first's. */
  speedup: number;
  /** The last count over the first within each round. */
  speedupByRound: number[];
  /** The same ratio from CPU time per step (n x batch / cpuMsPerStep): what an otherwise idle machine would give, minus waiting. */
  cpuSpeedup: number;
  /** os.loadavg() before and after: the machine may be shared, which skews the comparison. */
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  cpus: number;
}

/** What the parent hands each rank (KIT_THROUGHPUT_OPTIONS). */
export interface ThroughputWorkerOptions {
  shape: BertShape;
  steps: number;
  warmup: number;
  batchSize: number;
  seqLength: number;
  backend: string;
  sparseEmbeddingGradients: boolean;
  outFile: string;
}

export async function measureAccelerateThroughput(options: AccelerateThroughputOptions = {}): Promise<AccelerateThroughputResult> {
  const shapeOption = options.shape ?? "tiny";
  const shape = typeof shapeOption === "string" ? THROUGHPUT_SHAPES[shapeOption] : shapeOption;
  if (!shape) {
    throw new Error(`measureAccelerateThroughput: unknown shape "${String(shapeOption)}"; use one of ${Object.keys(THROUGHPUT_SHAPES).join(", ")} or pass the dimensions.`);
  }
  const processCounts = options.processCounts ?? [1, 2];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`measureAccelerateThroughput: ${name} must be a positive integer, got ${v}.`);
  };
  processCounts.forEach((n) => positiveInt("every processCounts entry", n));
  if (processCounts.length === 0) throw new Error("measureAccelerateThroughput: processCounts is empty; pass e.g. [1, 2].");
  const rounds = options.rounds ?? 1;
  positiveInt("rounds", rounds);
  const base: Omit<ThroughputWorkerOptions, "outFile"> = {
    shape,
    steps: options.steps ?? 20,
    warmup: options.warmup ?? 3,
    batchSize: options.batchSize ?? 8,
    seqLength: options.seqLength ?? 65,
    backend: options.backend ?? "wasm",
    sparseEmbeddingGradients: options.sparseEmbeddingGradients ?? true,
  };
  positiveInt("steps", base.steps);
  positiveInt("batchSize", base.batchSize);
  positiveInt("seqLength", base.seqLength);

  const loadAverageBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), "kit-accel-throughput-"));
  const runs: ThroughputRun[] = [];
  try {
    for (const [round, numProcesses] of Array.from({ length: rounds }, (_, k) => processCounts.map((n) => [k, n] as const)).flat()) {
      const outFile = join(dir, `run-${round}-${numProcesses}.json`);
      const captured: Buffer[] = [];
      const sink = options.stderr ?? new PassThrough().on("data", (d: Buffer) => captured.push(d));
      const result = await launchProcesses({
        script: new URL("./throughput-worker.ts", import.meta.url).pathname,
        numProcesses,
        env: {
          KIT_THROUGHPUT_OPTIONS: JSON.stringify({ ...base, outFile } satisfies ThroughputWorkerOptions),
          ...(options.wasmThreads !== undefined ? { KIT_WASM_THREADS: String(options.wasmThreads) } : {}),
        },
        stdout: sink,
        stderr: sink,
      });
      if (result.exitCode !== 0) {
        throw new Error(`measureAccelerateThroughput: the ${numProcesses}-process run failed: ${result.message}\n${Buffer.concat(captured).toString()}`);
      }
      runs.push(JSON.parse(readFileSync(outFile, "utf8")) as ThroughputRun);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const name = typeof shapeOption === "string" ? shapeOption : "custom";
  const [first, last] = [processCounts[0]!, processCounts[processCounts.length - 1]!];
  const of = (n: number, f: (r: ThroughputRun) => number) => median(runs.filter((r) => r.numProcesses === n).map(f));
  const perRound = runs.length / rounds;
  return {
    shape: { name, ...shape },
    backend: base.backend,
    batchSize: base.batchSize,
    seqLength: base.seqLength,
    steps: base.steps,
    sparseEmbeddingGradients: base.sparseEmbeddingGradients,
    runs,
    rounds,
    speedup: of(last, (r) => r.examplesPerSecond) / of(first, (r) => r.examplesPerSecond),
    speedupByRound: Array.from({ length: rounds }, (_, k) => runs[k * perRound + perRound - 1]!.examplesPerSecond / runs[k * perRound]!.examplesPerSecond),
    cpuSpeedup: of(last, cpuRate) / of(first, cpuRate),
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    cpus: cpus().length,
  };
}

function cpuRate(run: ThroughputRun): number {
  return run.numProcesses / run.cpuMsPerStep;
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One line per run, for a terminal. */
export function formatThroughput(r: AccelerateThroughputResult): string {
  const head = `${r.shape.name} (L${r.shape.numHiddenLayers}/H${r.shape.hiddenSize}), ${r.backend}, batch ${r.batchSize}x${r.seqLength} per process, ${r.steps} steps, ${r.sparseEmbeddingGradients ? "sparse" : "dense"} embedding exchange`;
  const rows = r.runs.map(
    (x) =>
      `  ${x.numProcesses} process(es) x ${x.wasmThreads} thread(s): ${x.examplesPerSecond.toFixed(1)} examples/s  (step ${x.stepMs.toFixed(0)} ms = backward ${x.backwardMs.toFixed(0)} + exchange ${x.syncMs.toFixed(0)} + optimizer ${x.optimizerMs.toFixed(0)}${x.numProcesses > 1 ? `, exchange ${((100 * x.syncMs) / x.stepMs).toFixed(0)}% of the step, by ${x.exchange}` : ""}; CPU ${x.cpuMsPerStep.toFixed(0)} ms/step, exchange ${x.syncCpuMs.toFixed(0)})`,
  );
  const load = `load average ${r.loadAverageBefore.map((v) => v.toFixed(2)).join(" ")} before, ${r.loadAverageAfter.map((v) => v.toFixed(2)).join(" ")} after, ${r.cpus} cores`;
  const rounds = r.rounds > 1 ? `median of ${r.rounds} interleaved rounds (${r.speedupByRound.map((x) => `${x.toFixed(2)}x`).join(", ")}); ` : "";
  return [head, ...rows, `  speed-up ${r.speedup.toFixed(2)}x, ${rounds}from CPU time: ${r.cpuSpeedup.toFixed(2)}x; ${load}`].join("\n");
}
