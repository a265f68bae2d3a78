// One process of chapter 07 under the real launcher, for `npm run golden` (scripts/golden.ts starts it with
// launchProcesses). Every rank runs the chapter; rank 0 writes its result as JSON to <outFile>, since the
// launcher forwards output but returns no values.
//
//   node --import tsx scripts/golden-accelerate-worker.ts <maxSteps> <outFile>   (under the launcher)
import { writeFile } from "node:fs/promises";
import { run } from "../chapters/07-accelerate";

const [steps, out] = process.argv.slice(2);
const maxSteps = Number(steps);
if (!Number.isInteger(maxSteps) || maxSteps < 1 || !out) {
  throw new Error(`golden-accelerate-worker: expected <maxSteps> (an integer >= 1) and <outFile>, got ${JSON.stringify(process.argv.slice(2))}.`);
}
const result = await run({ quiet: true, maxSteps });
if (result.processIndex === 0) await writeFile(out, JSON.stringify(result) + "\n");
process.exit(0);
