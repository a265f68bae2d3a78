/**
 * `npm run docs` / `kit docs`: render docs/en and docs/fr into docs/site, with code included from the chapters by
 * region, values from golden/, and plots from golden/run-record.json. Fails, naming page and missing name, when any
 * include, golden key or internal link does not resolve.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSite } from "./lib/site";

export { buildSite } from "./lib/site";
export type { BuildOptions, BuildResult, BuiltPage } from "./lib/site";

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: kit docs [--root <dir>] [--out <dir>]
  Build the bilingual documentation site (default: <package>/docs/site).
  --root <dir>  project root holding docs/, chapters/ and golden/ (default: the package root)
  --out <dir>   output directory (default: <root>/docs/site)`;

/** Entry point of `kit docs`; returns the process exit code. */
export async function docsCli(argv: string[]): Promise<number> {
  let root = PACKAGE_ROOT;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    }
    const value = argv[i + 1];
    if ((a === "--root" || a === "--out") && (value === undefined || value.startsWith("--"))) {
      console.error(`kit docs: ${a} needs a directory\n${USAGE}`);
      return 2;
    }
    if (a === "--root") root = resolve(argv[++i]!);
    else if (a === "--out") out = resolve(argv[++i]!);
    else {
      console.error(`kit docs: unknown argument "${a}"\n${USAGE}`);
      return 2;
    }
  }
  const started = Date.now();
  let result;
  try {
    result = buildSite({ root, outDir: out });
  } catch (e) {
    console.error(`kit docs: ${(e as Error).message}`);
    return 1;
  }
  if (result.errors.length) {
    console.error(`kit docs: ${result.errors.length} problem(s); the site in ${result.outDir} is incomplete:`);
    for (const e of result.errors) console.error(`  - ${e}`);
    return 1;
  }
  console.log(`kit docs: ${result.pages.length} pages written to ${result.outDir} in ${Date.now() - started} ms`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void docsCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
