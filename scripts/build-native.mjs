// npm install / npm ci run this (package.json "install"): build the native addon (native/*.c: the system BLAS's
// sgemm, the GELU, LayerNorm and softmax kernels and the dropout masks for the wasm backend,
// src/backend/wasm/native-gemm.ts; the shared memory of a two-process exchange), with the C compiler
// directly (no node-gyp, no python).
// It must never fail the install: without a compiler, Node's headers or the BLAS, it says so in one line and
// the kit runs on the wasm backend's own GEMM.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["gemm.c", "elementwise.c", "layer-norm.c", "softmax.c", "column-sum.c", "shared-memory.c", "alea.c", "args.c"].map((f) => path.join(root, "native", f));
// KIT_NATIVE_OUT and KIT_NATIVE_BASELINE_ONLY=1 are for test/backend/native-clones.test.ts: a second build, the
// vector loops' baseline copy alone, elsewhere.
const out = process.env.KIT_NATIVE_OUT ? path.resolve(process.env.KIT_NATIVE_OUT) : path.join(root, "native", "build", "gemm.node");
const outDir = path.dirname(out);
const HOW = "apt-get install libopenblas-dev libopenblas0-pthread build-essential (macOS: xcode-select --install), then node scripts/build-native.mjs (npm install runs it)";

function nodeHeaders() {
  const candidates = [path.join(path.dirname(process.execPath), "..", "include", "node")];
  try {
    candidates.push(path.join(path.dirname(fileURLToPath(import.meta.resolve("node-api-headers/package.json"))), "include"));
  } catch {
    // node-api-headers is not installed: the headers that come with Node are the usual place.
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, "node_api.h")));
}

function build() {
  const missing = SOURCES.find((f) => !fs.existsSync(f));
  if (missing !== undefined) return `${path.relative(root, missing)} is missing`;
  const include = nodeHeaders();
  if (include === undefined) return `node_api.h not found beside ${process.execPath} (install Node's headers or the node-api-headers package)`;
  const cc = process.env.CC || "cc";
  const mac = process.platform === "darwin";
  // -ffp-contract=off: alea.c's draws must round as JS's doubles do (a fused multiply-add changes the
  // sequence), and elementwise.c's vector lanes as its scalar code. -O3 -fno-trapping-math (which changes no
  // value) let the compiler vectorize elementwise.c's loops and their branch-free selects.
  const args = ["-O3", "-ffp-contract=off", "-fno-trapping-math", "-std=c11", "-fPIC", "-shared", `-I${include}`, ...SOURCES, "-o", `${out}.tmp`];
  if (process.env.KIT_NATIVE_BASELINE_ONLY === "1") args.push("-DKIT_BASELINE_ONLY");
  if (mac) args.push("-undefined", "dynamic_lookup", "-framework", "Accelerate");
  else args.push("-I/usr/include/openblas", "-lopenblas", "-lm", "-lrt");
  fs.mkdirSync(outDir, { recursive: true });
  try {
    execFileSync(cc, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = String(err.stderr ?? "");
    if (err.code === "ENOENT") return `no C compiler (${cc})`;
    if (/cblas\.h/.test(stderr)) return "cblas.h not found (the BLAS development headers are missing)";
    if (/-lopenblas|openblas_/.test(stderr)) return "libopenblas not found";
    return `${cc} failed: ${stderr.split("\n").find((l) => l.trim()) ?? err.message}`;
  }
  fs.renameSync(`${out}.tmp`, out);
  return null;
}

let why;
try {
  why = build();
} catch (err) {
  why = err instanceof Error ? err.message : String(err);
}
if (why === null) console.log(`full-training-kit: built the native GEMM (${path.relative(root, out)})`);
else console.log(`full-training-kit: native GEMM not built (${why}); the wasm backend uses its own GEMM. For the fast path: ${HOW}`);
