// The native GEMM's effect on a training step (bench/NOTES.md, "Native GEMM"): BERT-Mini and MiniLM-L6 (the
// pretrained preset's shape) at the workload (batch 8 x 65), the wasm backend's own GEMM against the native
// one, interleaved in one process (the GEMM switches in-process), medians of the rounds. One process per wasm
// thread count; in each the native GEMM runs with 1 and 2 BLAS threads, which says whether the wasm
// backend's pool threads and OpenBLAS's fight.
// `npx tsx bench/gemm-step.ts [--rounds 4] [--steps 3] [--shapes mini,minilm]` (spawns its children).
import { spawnSync } from "node:child_process";
import { pathToFileURL, fileURLToPath } from "node:url";
import { installedNativeGemm, setNativeGemm } from "../src/backend/wasm/gemm-kernels";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { backward } from "../src/nn/autograd";
import { syntheticBatch, workloadModel } from "./workload";
import { isShapeName, SHAPE_NAMES, SHAPES, type ModelShape } from "./shapes";
import { median } from "./stats";

function shapeOf(name: string): ModelShape {
  if (!isShapeName(name)) throw new Error(`--shapes: unknown shape "${name}" (expected ${SHAPE_NAMES.join(", ")})`);
  return SHAPES[name];
}

interface Variant {
  name: string;
  native: boolean;
  blasThreads?: number;
}

/** In a child: the step time (ms) of each variant, `rounds` interleaved rounds of `steps` steps. */
async function child(shapes: string[], rounds: number, steps: number): Promise<void> {
  await useBackend("wasm");
  const gemm = installedNativeGemm();
  const wasmThreads = wasmThreadsCount();
  const variants: Variant[] = [{ name: "wasm GEMM", native: false }];
  if (gemm !== null) {
    // The kit's setting (BLAS threads = wasm threads) first, then the other count.
    variants.push({ name: `native, ${wasmThreads} BLAS thread(s)`, native: true, blasThreads: wasmThreads });
    for (const n of [1, 2]) if (n !== wasmThreads) variants.push({ name: `native, ${n} BLAS thread(s)`, native: true, blasThreads: n });
  }
  const out: Record<string, Record<string, number[]>> = {};
  for (const name of shapes) {
    const { model: m, params, optimizer } = workloadModel(shapeOf(name).name);
    const batch = syntheticBatch(0);
    const step = (): void => {
      backward(() => m.forward(batch).loss!, params);
      optimizer.step();
      optimizer.zeroGrad();
    };
    const samples: Record<string, number[]> = {};
    for (const v of variants) {
      setNativeGemm(v.native);
      if (v.blasThreads !== undefined) gemm!.setNumThreads(v.blasThreads);
      step(); // warm-up
      samples[v.name] = [];
    }
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        setNativeGemm(v.native);
        if (v.blasThreads !== undefined) gemm!.setNumThreads(v.blasThreads);
        for (let i = 0; i < steps; i++) {
          const t0 = performance.now();
          step();
          samples[v.name]!.push(performance.now() - t0);
        }
      }
    }
    out[name] = samples;
    for (const p of params) p.variable.dispose();
    batch.input_ids.dispose();
  }
  console.log(JSON.stringify({ wasmThreads, gemm: gemm ? wasmGemmLabel() : null, out }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const shapes = arg("--shapes", "mini,minilm").split(",");
  const rounds = Number(arg("--rounds", "4"));
  const steps = Number(arg("--steps", "3"));
  if (argv.includes("--child")) {
    await child(shapes, rounds, steps);
  } else {
    for (const threads of [1, 2]) {
      const c = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", ...argv], {
        env: { ...process.env, KIT_WASM_THREADS: String(threads) },
        encoding: "utf8",
      });
      if (c.status !== 0) throw new Error(`gemm-step child (KIT_WASM_THREADS=${threads}) failed: ${c.stderr}`);
      const r = JSON.parse(c.stdout.trim().split("\n").pop()!) as { wasmThreads: number; gemm: string | null; out: Record<string, Record<string, number[]>> };
      console.log(`KIT_WASM_THREADS=${r.wasmThreads}${r.gemm ? `, ${r.gemm}` : ", native GEMM absent"}`);
      for (const [shape, byVariant] of Object.entries(r.out)) {
        const base = median(byVariant["wasm GEMM"]!);
        for (const [v, s] of Object.entries(byVariant)) {
          const med = median(s);
          console.log(`  ${shapeOf(shape).label.padEnd(20)} ${v.padEnd(26)} ${med.toFixed(0).padStart(6)} ms/step (median of ${s.length}, ${(base / med).toFixed(2)}x the wasm GEMM; range ${Math.min(...s).toFixed(0)}-${Math.max(...s).toFixed(0)})`);
        }
      }
    }
  }
}
