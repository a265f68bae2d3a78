// The rewrite that gives tfjs-backend-webgpu's shaders accurate exp, log and tanh, checked on shader text (no
// GPU needed; test/backend/webgpu.test.ts measures the functions themselves on Dawn).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { accurateUserCode } from "../../src/backend/webgpu/accurate-math";
import { PACKAGE_ROOT } from "../helpers/shared";

const all = new Set(["exp", "log", "tanh"] as const);
const UNARY = join(PACKAGE_ROOT, "node_modules", "@tensorflow", "tfjs-backend-webgpu", "dist", "unary_op_util.js");

/** A snippet of the package's unary_op_util.js by its constant's name, as the shader gets it. */
function packageSnippet(name: string): string {
  const m = new RegExp(`const ${name} = \`([^\`]*)\`;`).exec(readFileSync(UNARY, "utf8"));
  if (!m) throw new Error(`${UNARY}: no snippet ${name} (tfjs-backend-webgpu changed: check accurate-math.ts's patterns)`);
  return m[1]!;
}

describe("accurateUserCode", () => {
  it("rewrites the package's tanh, exp and log snippets to the kit's functions, and adds them once", () => {
    const tanh = accurateUserCode(packageSnippet("TANH"), all);
    expect(tanh).toContain("return kitTanh(a);");
    expect(tanh).not.toMatch(/e2x/);
    const exp = accurateUserCode(packageSnippet("EXP"), all);
    expect(exp).toMatch(/return kitExp\(a\);\s*$/);
    const log = accurateUserCode(packageSnippet("LOG"), all);
    expect(log).toMatch(/return kitLog\(a\);\s*$/);
    expect(exp.match(/fn kitExp\(/g)).toHaveLength(1);
  });

  it("leaves the functions' own builtin calls and unrelated names alone, and code without them unchanged", () => {
    const softmax = "let subExp = exp(getLogits(row, col) - rowMaxShared); let y = expm1x(a) + mylog(b);";
    const out = accurateUserCode(softmax, all);
    expect(out).toContain("let subExp = kitExp(getLogits(row, col) - rowMaxShared);");
    expect(out).toContain("expm1x(a) + mylog(b)");
    // The functions fall back to the builtins for special values: those calls must survive.
    expect(out).toMatch(/return exp\(x\);/);
    expect(out).toMatch(/return log\(x\);/);
    const plain = "return a * b;";
    expect(accurateUserCode(plain, all)).toBe(plain);
    expect(accurateUserCode(packageSnippet("EXP"), new Set(["log"] as const))).toBe(packageSnippet("EXP"));
  });
});
