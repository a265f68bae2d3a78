import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Model and training tests do real float math on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own process: TF.js backends and wasm heaps are process-global.
    pool: "forks",
  },
});
