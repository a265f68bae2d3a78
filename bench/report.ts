// The bench's result as one JSON document, and the same as tables on screen.
import { formatThroughput, type AccelerateThroughputResult } from "./throughput";
import type { TokenizationBench } from "./tokenization";
import type { DataLoadingBench } from "./data-loading";
import type { MachineInfo } from "./machine";
import type { ModelStepResult } from "./model-step";
import type { PytorchStepResult } from "./pytorch";
import type { AccelerateBench, LoopBench } from "./training-loop";
import { DESIGN_PYTORCH_STEP_MS, SHAPES, type ShapeName } from "./shapes";

export interface Measured<T> {
  /** 1-minute load average just before the measurement started (2 cores: above ~1 the machine was shared). */
  loadAverage: number;
  ok: boolean;
  result?: T;
  error?: string;
  skipped?: string;
  note?: string;
}

export interface ShapeReport {
  shape: ShapeName;
  kit: Record<string, Measured<ModelStepResult>>;
  pytorch: Record<string, Measured<PytorchStepResult>>;
  /** Our fastest backend's step time / PyTorch's faster thread setting (lower is better; target <= 1.5). */
  ratio?: { backend: string; kitStepMs: number; pytorchStepMs: number; pytorchThreads: number; value: number };
  /** PyTorch's faster time against DESIGN.md §3 (its numbers were taken on this machine). */
  designCheck?: { designMs: number; measuredMs: number; deviation: number; note: string };
}

export interface BenchReport {
  machine: MachineInfo;
  options: { shapes: ShapeName[]; backends: string[]; steps: number; warmup: number };
  tokenization?: Measured<TokenizationBench>;
  dataLoading?: Measured<DataLoadingBench>;
  pytorch: { available: boolean; python?: string; version?: string; reason?: string; blas?: string; blasLibraries?: string[] };
  shapes: ShapeReport[];
  /** The real loops (presets' Tiny shape): chapter 05 steps/s; chapter 07 examples/s by process count. */
  loops?: { trainingLoop: Measured<LoopBench>; accelerate: Record<string, Measured<AccelerateBench>> };
  /** Issue 5's target: data-parallel training of the Mini shape, 2 processes versus 1 (examples/s). */
  dataParallel?: Measured<AccelerateThroughputResult>;
  /** The same Mini loop on 1 process using every core as wasm threads: the other way to use the machine. */
  threadedProcess?: Measured<AccelerateThroughputResult>;
  loadAverageAtEnd: number;
}

export function computeRatios(s: ShapeReport): void {
  const ours = Object.values(s.kit).filter((m) => m.ok && m.result).map((m) => m.result!);
  const torch = Object.values(s.pytorch).filter((m) => m.ok && m.result).map((m) => m.result!);
  if (torch.length > 0) {
    const best = torch.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
    const design = DESIGN_PYTORCH_STEP_MS[s.shape];
    if (design !== undefined) {
      const deviation = best.stepMs / design - 1;
      const load = Math.max(...Object.values(s.pytorch).map((m) => m.loadAverage));
      const note =
        Math.abs(deviation) <= 0.15
          ? "within 15% of DESIGN.md §3"
          : `${deviation > 0 ? "slower" : "faster"} than DESIGN.md §3 by ${Math.round(Math.abs(deviation) * 100)}%: ` +
            (deviation > 0 && load > 1
              ? `the machine was shared (load average ${load.toFixed(2)} on ${SHARED_CORES} cores), so 2 threads competed with other processes`
              : deviation > 0
                ? "check that OpenBLAS (libopenblas0-openmp) is the BLAS in use, not the reference libblas"
                : "DESIGN.md's run may itself have been on a busy machine");
      s.designCheck = { designMs: design, measuredMs: best.stepMs, deviation, note };
    }
    if (ours.length > 0) {
      const fastest = ours.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
      s.ratio = {
        backend: fastest.threads === undefined ? fastest.backend : `${fastest.backend} ${fastest.threads} thr`,
        kitStepMs: fastest.stepMs,
        pytorchStepMs: best.stepMs,
        pytorchThreads: best.threads,
        value: fastest.stepMs / best.stepMs,
      };
    }
  }
}

const SHARED_CORES = 2;

const ms = (x: number | undefined): string => (x === undefined ? "-" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r, i) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ") + (i === 0 ? `\n${widths.map((w) => "-".repeat(w)).join("  ")}` : "")).join("\n");
}

export function formatReport(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}`);
  out.push(`Node ${m.node}; TF.js ${Object.entries(m.tfjs).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  out.push(`Load average at start: ${m.loadAverageAtStart.join(" ")} (1, 5, 15 min); at end: ${r.loadAverageAtEnd}`);
  out.push(
    r.pytorch.available
      ? `PyTorch ${r.pytorch.version} (${r.pytorch.python}), BLAS ${r.pytorch.blas ?? "?"} -> ${(r.pytorch.blasLibraries ?? []).map((l) => l.split("/").pop()).join(", ") || "?"}`
      : `PyTorch: not measured (${r.pytorch.reason})`,
  );
  out.push("");
  const tok = r.tokenization;
  if (tok) {
    out.push(
      tok.ok && tok.result
        ? `Tokenization: ${tok.result.pairs} MRPC pairs in ${tok.result.seconds.toFixed(3)} s (${Math.round(tok.result.pairsPerSecond)} pairs/s; target < 1 s) [load ${tok.loadAverage}]`
        : `Tokenization: failed: ${tok.error}`,
    );
  }
  const dl = r.dataLoading;
  if (dl) {
    out.push(
      dl.ok && dl.result
        ? `DataLoader + collate: ${dl.result.batches} batches (${dl.result.examples} examples) in ${dl.result.seconds.toFixed(3)} s ` +
            `(${Math.round(dl.result.batchesPerSecond)} batches/s, ${Math.round(dl.result.examplesPerSecond)} examples/s) [load ${dl.loadAverage}]`
        : `DataLoader + collate: failed: ${dl.error}`,
    );
  }
  out.push("");
  out.push(`Per shape: batch 8, length 65, vocab 30522, dropout 0.1, AdamW; median of ${r.options.steps} steps after ${r.options.warmup} warm-up; each row its own process.`);
  const rows: string[][] = [["shape", "runtime", "forward", "train step", "peak RSS", "load avg", "note"]];
  for (const s of r.shapes) {
    const label = SHAPES[s.shape].label;
    for (const [backend, meas] of Object.entries(s.kit)) {
      const res = meas.result;
      const note = meas.skipped ?? (meas.ok ? meas.note ?? (res && res.tensorsAfterFirstStep !== res.tensorsAfterLastStep ? `LEAK ${res.tensorsAfterFirstStep}->${res.tensorsAfterLastStep} tensors` : "") : `FAILED ${meas.note ? `(${meas.note}) ` : ""}${meas.error ?? ""}`.slice(0, 160));
      rows.push([label, `kit ${backend}`, ms(res?.forwardMs), ms(res?.stepMs), res ? `${Math.round(res.peakRssMiB)} MiB` : "-", String(meas.loadAverage), note]);
    }
    for (const [threads, meas] of Object.entries(s.pytorch)) {
      const res = meas.result;
      rows.push([label, `torch ${threads}`, ms(res?.forwardMs), ms(res?.stepMs), res ? `${Math.round(res.peakRssMiB)} MiB` : "-", String(meas.loadAverage), meas.ok ? "" : `FAILED ${meas.error ?? ""}`.slice(0, 140)]);
    }
  }
  out.push(table(rows));
  const ratioRows: string[][] = [["shape", "kit step", "torch step (best)", "ratio", "target", "PyTorch vs DESIGN §3"]];
  for (const s of r.shapes) {
    if (!s.ratio && !s.designCheck) continue;
    const target = s.shape === "base" ? "-" : "<= 1.5x";
    ratioRows.push([
      SHAPES[s.shape].label,
      s.ratio ? `${ms(s.ratio.kitStepMs)} (${s.ratio.backend})` : "-",
      s.ratio ? `${ms(s.ratio.pytorchStepMs)} (${s.ratio.pytorchThreads} thr)` : "-",
      s.ratio ? `${s.ratio.value.toFixed(2)}x` : "-",
      target,
      s.designCheck ? `${ms(s.designCheck.designMs)} -> ${ms(s.designCheck.measuredMs)}: ${s.designCheck.note}` : "-",
    ]);
  }
  if (ratioRows.length > 1) {
    out.push("");
    out.push("Ratio = the kit's fastest training step / the faster of PyTorch's 1- and 2-thread steps (lower is better).");
    out.push(table(ratioRows));
  }
  if (r.loops) {
    out.push("");
    const l = r.loops.trainingLoop;
    const tinyStep = r.shapes.find((s) => s.shape === "tiny")?.kit[l.result?.backend ?? "wasm"]?.result?.stepMs;
    out.push(
      l.ok && l.result
        ? `Chapter 05 loop (preset tiny, ${l.result.backend}, data loading included): ${l.result.steps} steps in ${l.result.seconds.toFixed(1)} s = ` +
            `${l.result.stepsPerSecond.toFixed(2)} steps/s` +
            (tinyStep ? `; bare Tiny step (length 65): ${(1000 / tinyStep).toFixed(2)} steps/s` : "") +
            ` [load ${l.loadAverage}]`
        : `Chapter 05 loop: failed: ${l.error}`,
    );
    const acc = r.loops.accelerate;
    for (const [n, m] of Object.entries(acc)) {
      out.push(
        m.ok && m.result
          ? `Chapter 07 (Accelerate) on ${n} process(es): ${m.result.stepsPerProcess} steps each in ${m.result.trainSeconds.toFixed(1)} s = ${m.result.examplesPerSecond.toFixed(1)} examples/s [load ${m.loadAverage}]`
          : `Chapter 07 on ${n} process(es): failed: ${m.error}`,
      );
    }
    const one = acc["1"]?.result?.examplesPerSecond;
    const two = acc["2"]?.result?.examplesPerSecond;
    if (one && two) out.push(`2 processes / 1 process: ${(two / one).toFixed(2)}x examples/s (the Tiny preset's real loop)`);
  }
  if (r.dataParallel) {
    out.push("");
    const d = r.dataParallel;
    out.push(d.ok && d.result ? `${formatThroughput(d.result)}\n  target: >= 1.7x for Mini` : `Data-parallel throughput: failed: ${d.error}`);
    const t = r.threadedProcess;
    if (t) {
      const run = t.result?.runs[0];
      const twoProcesses = d.result?.runs[d.result.runs.length - 1]?.examplesPerSecond;
      out.push(
        t.ok && run
          ? `  1 process x ${run.wasmThreads} threads: ${run.examplesPerSecond.toFixed(1)} examples/s (step ${run.stepMs.toFixed(0)} ms)` +
              (twoProcesses ? `; 2 processes x 1 thread do ${(twoProcesses / run.examplesPerSecond).toFixed(2)}x that` : "") +
              ` [load ${t.loadAverage}]`
          : `  1 process with wasm threads: failed: ${t.error}`,
      );
    }
  }
  return out.join("\n");
}
