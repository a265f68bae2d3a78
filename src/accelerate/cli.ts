// `accelerate config|launch` without the kit's CLI: `npx tsx src/accelerate/cli.ts launch --num-processes 2 chapters/07-accelerate.ts`.
// `kit accelerate ...` (src/cli.ts) dispatches to the same accelerateCli.
import { accelerateCli } from "./config";

process.exitCode = await accelerateCli(process.argv.slice(2));
