// scripts/build-native.mjs runs as npm install's install script: whatever is missing, it must not fail the
// install, and must say in one line why the native GEMM was not built and how to get it.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../helpers/shared";

describe("scripts/build-native.mjs", () => {
  it("without a C compiler: exits 0 with one line saying why and how to get the fast path", () => {
    const child = spawnSync(process.execPath, [join("scripts", "build-native.mjs")], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, CC: "/nonexistent/cc" },
      encoding: "utf8",
    });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/native GEMM not built \(no C compiler \(\/nonexistent\/cc\)\).*apt-get install libopenblas-dev libopenblas0-pthread build-essential/);
  });
});
