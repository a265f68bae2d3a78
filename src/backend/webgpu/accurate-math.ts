// exp, log and tanh to float32 accuracy in tfjs-backend-webgpu's shaders. WGSL lets a GPU's exp be off by
// 3 + 2|x| ulp and its log by 2^-21 absolute near 1, and Dawn on Mesa's llvmpipe uses that room: exp
// 11 ulp at x = -10, log 5000 ulp at x ~ 1, and the package's tanh, (1 - e^-2|a|)/(1 + e^-2|a|), loses all
// relative precision near 0 (2e5 ulp at 1e-6) where the CPU backends are within 1-3 ulp (bench/op-accuracy.ts).
// BERT's training step cancels such errors into the Adam-moved biases beyond DESIGN.md §6 (bench/NOTES.md),
// so the element-wise (unary) and softmax shaders' exp(, log( and tanh are rewritten to the functions below
// before compilation. Only those: the functions take f32, and other programs (a matMul's fused activation)
// may call exp on vec4<f32>.

/** WGSL: Cody-Waite reduction to |r| <= ln2/2, a degree-7 polynomial, then the exponent; ~1 ulp. */
const WGSL = `
fn kitExpm1Small(r : f32) -> f32 {
  // exp(r) - 1 for |r| <= 0.35 (Taylor to r^8/8!: 2e-9 relative there).
  return r + r * r * (0.5 + r * (0.16666667 + r * (0.041666668 + r * (0.008333334 + r * (0.0013888889 + r * (0.0001984127 + r * 0.0000248016))))));
}
fn kitExp(x : f32) -> f32 {
  if (!(abs(x) < 88.0)) {
    // NaN, overflow to inf, underflow to 0: the builtin is exact enough there.
    return exp(x);
  }
  let n = round(x * 1.442695041);
  // ln 2 split so that n * hi is exact for |n| < 256.
  let r = (x - n * 0.693145752) - n * 1.428606765e-6;
  return ldexp(1.0 + kitExpm1Small(r), i32(n));
}
fn kitExpm1(x : f32) -> f32 {
  if (abs(x) <= 0.35) {
    return kitExpm1Small(x);
  }
  return kitExp(x) - 1.0;
}
fn kitLog(x : f32) -> f32 {
  if (!(x > 0.0) || x > 3.0e38) {
    // Negative, zero, NaN, inf: the builtin's special values.
    return log(x);
  }
  let f = frexp(x);
  var m = f.fract;
  var e = f32(f.exp);
  if (m < 0.70710678) {
    m = m * 2.0;
    e = e - 1.0;
  }
  // log(m) = 2 atanh(s), |s| <= 0.172; m - 1 is exact.
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let logm = 2.0 * s + 2.0 * s * s2 * (0.33333334 + s2 * (0.2 + s2 * (0.14285715 + s2 * (0.11111111 + s2 * 0.09090909))));
  return e * 0.693145752 + (e * 1.428606765e-6 + logm);
}
fn kitTanh(a : f32) -> f32 {
  let em1 = kitExpm1(-2.0 * abs(a));
  return sign(a) * (-em1) / (2.0 + em1);
}
`;

/** The package's tanh snippet (unary_op_util TANH), as it appears in the unary program's user code. */
const PACKAGE_TANH = /let e2x = exp\(-2\.0 \* abs\(a\)\);\s*return sign\(a\) \* \(1\.0 - e2x\) \/ \(1\.0 \+ e2x\);/g;

export type AccurateFunction = "exp" | "log" | "tanh";
export const ACCURATE_FUNCTIONS: readonly AccurateFunction[] = ["exp", "log", "tanh"];

/** A shader's user code with `which` replaced by the accurate versions; unchanged when none occurs. */
export function accurateUserCode(code: string, which: ReadonlySet<AccurateFunction>): string {
  let out = code;
  if (which.has("tanh")) out = out.replace(PACKAGE_TANH, "return kitTanh(a);");
  if (which.has("exp")) out = out.replace(/(?<![\w.])exp\(/g, "kitExp(");
  if (which.has("log")) out = out.replace(/(?<![\w.])log\(/g, "kitLog(");
  return out === code ? code : `${WGSL}\n${out}`;
}

type Program = { shaderKey: string; getUserCode(): string };
type ProgramRunner = { runWebGPUProgram(program: Program, ...rest: unknown[]): unknown };

/** The programs whose user code is rewritten: tfjs-backend-webgpu's UnaryOpProgram and SoftmaxProgram (f32 only). */
const REWRITTEN = /^(unary_|softmax)/;

let active: ReadonlySet<AccurateFunction> = new Set(ACCURATE_FUNCTIONS);

/** Which functions the programs run from now on use in their accurate form (all by default; bench/op-accuracy.ts compares). */
export function setAccurateMath(which: readonly AccurateFunction[]): void {
  active = new Set(which);
}

/**
 * Rewrite the user code of every program the backend runs (setAccurateMath says which functions). The shader
 * cache is keyed by program.shaderKey, so a rewritten program gets its own key.
 */
export function installAccurateMath(backend: object): void {
  const runner = backend as ProgramRunner;
  const run = runner.runWebGPUProgram.bind(runner);
  runner.runWebGPUProgram = (program, ...rest) => {
    if (active.size > 0 && REWRITTEN.test(program.shaderKey)) {
      const original = program.getUserCode();
      const code = accurateUserCode(original, active);
      if (code !== original) {
        program.getUserCode = () => code;
        program.shaderKey += `_kitmath_${[...active].sort().join("_")}`;
      }
    }
    return run(program, ...rest);
  };
}
