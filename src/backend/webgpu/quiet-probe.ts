// Whether Dawn offers a WebGPU adapter, asked without a word on this process's stderr. Dawn prints its own
// warnings from native code while it looks (no Vulkan loader, OpenGL ES limits reduced: four lines and a C++
// frame), which would bury every message of a run that never uses webgpu. So the automatic choice and the list
// of available backends ask a child process (this file run as a program) and keep only its answer; a run that
// chooses webgpu loads Dawn itself (src/backend/webgpu/backend.ts).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DAWN_MISSING, probeDawn, type AdapterDescription } from "./adapter";

const THIS_FILE = fileURLToPath(import.meta.url);
const CHILD_FLAG = "KIT_WEBGPU_PROBE_CHILD";

/** Whether the webgpu package can be imported from here, without importing it (ESM resolution, loader hooks included). */
function dawnInstalled(): boolean {
  try {
    // Some module runners (vitest's) have no import.meta.resolve; CommonJS resolution finds the same package.
    if (typeof import.meta.resolve === "function") import.meta.resolve("webgpu");
    else createRequire(import.meta.url).resolve("webgpu");
    return true;
  } catch {
    return false;
  }
}

const LIBRARY_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64", "/lib"];

/**
 * On Linux Dawn reaches a GPU through Vulkan: without the Vulkan loader (libvulkan.so.1) there is no hardware
 * adapter, and nothing needs asking. Elsewhere (Metal, D3D12) there may always be one.
 */
export function mayHaveHardwareAdapter(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(delimiter).filter(Boolean), ...LIBRARY_DIRS];
  return dirs.some((dir) => existsSync(join(dir, "libvulkan.so.1")));
}

let answer: AdapterDescription | string | null = null;

/** The adapter Dawn would give this process (its description), or why there is none; asked once, in a child. */
export function probeQuietly(): AdapterDescription | string {
  if (answer !== null) return answer;
  if (!dawnInstalled()) return (answer = DAWN_MISSING);
  const child = spawnSync(process.execPath, ["--import", "tsx", THIS_FILE], { encoding: "utf8", timeout: 60_000, env: { ...process.env, [CHILD_FLAG]: "1" } });
  const last = child.stdout?.trim().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(last) as { description?: AdapterDescription; error?: string };
    answer = parsed.description ?? parsed.error ?? "the adapter probe said nothing";
  } catch {
    answer = `the adapter probe failed (${child.error?.message ?? `exit ${child.status}`}): ${child.stderr?.trim().split("\n").at(-1) ?? ""}`;
  }
  return answer;
}

// The child: this file run as a program, told so by the environment (a bundle of the kit has this module inside
// its one file, where comparing argv[1] with import.meta.url would match).
if (process.env[CHILD_FLAG] === "1" && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const found = await probeDawn();
  process.stdout.write(`${JSON.stringify(typeof found === "string" ? { error: found } : { description: found.description })}\n`);
  // Dawn's instance may keep the event loop alive.
  process.exit(0);
}
