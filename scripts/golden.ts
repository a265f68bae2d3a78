// `npm run golden`: writes golden/<chapter>.json from seeded runs of each chapter's run(), and
// golden/run-record.json from the default full run (npm start's pretrained preset, for the docs). Tests read these files AND check each
// value against the reference or a stated fact (test/golden), so a golden is never the only check.
// Chapter 07 runs on 2 processes through the real launcher (scripts/golden-accelerate-worker.ts).
//
//   npm run golden                          chapters, then the full default run (about 5-15 minutes)
//   npm run golden -- --from-run runs/<id>  chapters, and the record of a finished default run
//   npm run golden -- --chapters-only       chapters only
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { run as run01 } from "../chapters/01-preprocessing";
import { run as run02 } from "../chapters/02-dataloaders";
import { run as run03 } from "../chapters/03-model";
import { run as run04 } from "../chapters/04-optimizer-scheduler";
import { run as run05 } from "../chapters/05-training-loop";
import { run as run06 } from "../chapters/06-evaluation-loop";
import { run as run07, type AccelerateResult } from "../chapters/07-accelerate";
import { run as run08 } from "../chapters/08-sst2";
import { kitSideOf, pythonSide, type SideResult } from "../bench/compare";
import { launchProcesses } from "../src/accelerate";
import { COURSE_HYPERPARAMETERS, hyperparameters, TUTORIAL_PRESET } from "../src/training/presets";
import { readRunRecord, type RunRecord } from "../src/training/run-record";
import { RUN_RECORD_FILE, train } from "../src/training/train";

const GOLDEN = join(import.meta.dirname, "..", "golden");
/** Short runs for the training chapters: enough to pin the seeded numbers, quick enough to regenerate. */
export const GOLDEN_STEPS = { "05-training-loop": 5, "06-evaluation-loop": 5, "07-accelerate": 3, "08-sst2": 3 } as const;
/** Chapter 07's golden is a data-parallel run: the course's `npm run accelerate`, on 2 processes. */
export const GOLDEN_PROCESSES = 2;

async function write(name: string, value: unknown): Promise<void> {
  await writeFile(join(GOLDEN, `${name}.json`), JSON.stringify(value, null, 2) + "\n");
  console.log(`wrote golden/${name}.json`);
}

/** The run record as the docs use it: everything but the timing noise of this machine's load. */
function compactRecord(record: RunRecord): RunRecord {
  if (record.status !== "completed" || record.steps.loss.length !== record.numTrainingSteps) {
    throw new Error(`golden/run-record.json needs a completed run; this one is "${record.status}" with ${record.steps.loss.length} of ${record.numTrainingSteps} steps.`);
  }
  const defaults = { ...COURSE_HYPERPARAMETERS, preset: TUTORIAL_PRESET };
  const hp = record.hyperparameters;
  const different = (Object.keys(defaults) as (keyof typeof defaults)[]).filter((k) => JSON.stringify(hp[k]) !== JSON.stringify(defaults[k]));
  if (different.length > 0) throw new Error(`golden/run-record.json is the default run; this run changed ${different.join(", ")}.`);
  // Runs made before the hyperparameters were filtered carried CLI options (outputDir, quiet) among them.
  return { ...record, hyperparameters: hyperparameters(record.hyperparameters) };
}

/**
 * Chapter 07 on GOLDEN_PROCESSES processes through the real launcher (each process gets the launcher's share
 * of wasm threads); rank 0's result, without its timing. `onOneProcess` is the same chapter run here, in one
 * process, for the counts that change with the number of processes.
 */
async function accelerateGolden(maxSteps: number): Promise<Omit<AccelerateResult, "trainSeconds"> & { onOneProcess: Pick<AccelerateResult, "numProcesses" | "trainBatchesPerProcess" | "plannedTrainingSteps"> }> {
  const dir = await mkdtemp(join(tmpdir(), "kit-golden-07-"));
  try {
    const out = join(dir, "rank0.json");
    const launched = await launchProcesses({
      script: join(import.meta.dirname, "golden-accelerate-worker.ts"),
      numProcesses: GOLDEN_PROCESSES,
      args: [String(maxSteps), out],
    });
    if (launched.exitCode !== 0) throw new Error(`golden/07-accelerate.json: ${launched.message}`);
    if (!existsSync(out)) throw new Error(`golden/07-accelerate.json: the launch succeeded but rank 0 wrote no result to ${out}.`);
    const { trainSeconds: _s, ...rank0 } = JSON.parse(await readFile(out, "utf8")) as AccelerateResult;
    const one = await run07({ quiet: true, maxSteps });
    const onOneProcess = { numProcesses: one.numProcesses, trainBatchesPerProcess: one.trainBatchesPerProcess, plannedTrainingSteps: one.plannedTrainingSteps };
    return { ...rank0, onOneProcess };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Python course's run of the same preset and seed (bench/python/course.py --out), committed under bench/python/results/. */
export const PYTHON_RESULT = join(import.meta.dirname, "..", "bench", "python", "results", "mrpc-seed42.json");

/** golden/compare.json: the docs' side-by-side table, the default run beside the Python course's (bench/compare.ts reads both). */
function sideBySide(record: RunRecord): { seed: number; kit: Omit<SideResult, "losses">; python: Omit<SideResult, "losses"> } {
  if (!existsSync(PYTHON_RESULT)) {
    throw new Error(`golden/compare.json needs the Python course's run ${PYTHON_RESULT}: make it with bench/python/course.py --seed ${record.hyperparameters.seed} --out ${PYTHON_RESULT} (bench/python/README.md).`);
  }
  const strip = ({ losses: _l, ...rest }: SideResult): Omit<SideResult, "losses"> => rest;
  const kit = strip(kitSideOf(record));
  const python = strip(pythonSide(PYTHON_RESULT));
  return { seed: record.hyperparameters.seed, kit, python };
}

async function main(argv: string[]): Promise<void> {
  const fromRun = argv.includes("--from-run") ? argv[argv.indexOf("--from-run") + 1] : undefined;
  const chaptersOnly = argv.includes("--chapters-only");
  await mkdir(GOLDEN, { recursive: true });
  const quiet = true;
  await write("01-preprocessing", await run01({ quiet }));
  await write("02-dataloaders", await run02({ quiet }));
  await write("03-model", await run03({ quiet }));
  await write("04-optimizer-scheduler", await run04({ quiet }));
  const { seconds: _s, ...r05 } = await run05({ quiet, maxSteps: GOLDEN_STEPS["05-training-loop"] });
  await write("05-training-loop", r05);
  await write("06-evaluation-loop", await run06({ quiet, maxSteps: GOLDEN_STEPS["06-evaluation-loop"] }));
  await write("07-accelerate", await accelerateGolden(GOLDEN_STEPS["07-accelerate"]));
  await write("08-sst2", await run08({ quiet, maxSteps: GOLDEN_STEPS["08-sst2"] }));
  if (chaptersOnly) return;

  let record: RunRecord;
  if (fromRun !== undefined) {
    const path = join(fromRun, RUN_RECORD_FILE);
    if (!existsSync(path)) throw new Error(`--from-run ${fromRun}: no ${RUN_RECORD_FILE} there; pass the folder of a finished default run.`);
    record = await readRunRecord(path);
  } else {
    console.log("Running the default full training for golden/run-record.json (npm start's run; several minutes)...");
    // Each regeneration replaces the previous one's run (a finished run is otherwise never overwritten).
    record = (await train({ quiet: true, preset: TUTORIAL_PRESET, outputDir: join("runs", "golden-default"), overwrite: true })).record;
  }
  // Compact: one number per array element on one line, not one per line.
  await writeFile(join(GOLDEN, "run-record.json"), JSON.stringify(compactRecord(record)) + "\n");
  console.log("wrote golden/run-record.json");
  await write("compare", sideBySide(record));
}

// Run only as the script: the tests import GOLDEN_STEPS and GOLDEN_PROCESSES from this file.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
  process.exit(0);
}
