import { describe, expect, it } from "vitest";
import { effectiveModes, envFor, overridesSet } from "../../bench/env-modes";
import { parseBenchArgs } from "../../bench/index";

describe("the bench's OpenBLAS environment modes", () => {
  const machine = { PATH: "/usr/bin", OPENBLAS_CORETYPE: "Haswell", OPENBLAS_L2_SIZE: "1048576", OPENBLAS_NUM_THREADS: "2" };

  it("unset removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE together and keeps everything else", () => {
    const env = envFor("unset", { KIT_WASM_THREADS: "1" }, machine);
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    expect(env.OPENBLAS_L2_SIZE).toBeUndefined();
    expect(env.OPENBLAS_NUM_THREADS).toBe("2");
    expect(env.PATH).toBe("/usr/bin");
    expect(env.KIT_WASM_THREADS).toBe("1");
  });

  it("as-set leaves the overrides as the machine sets them", () => {
    const env = envFor("as-set", {}, machine);
    expect(env.OPENBLAS_CORETYPE).toBe("Haswell");
    expect(env.OPENBLAS_L2_SIZE).toBe("1048576");
  });

  it("times both modes when either variable is set", () => {
    expect(effectiveModes(["as-set", "unset"], { OPENBLAS_L2_SIZE: "1" })).toEqual({ modes: ["as-set", "unset"], note: null });
    expect(overridesSet({ OPENBLAS_CORETYPE: "Haswell" })).toEqual({ OPENBLAS_CORETYPE: "Haswell" });
  });

  it("times one mode, and says why, when the machine sets neither", () => {
    const r = effectiveModes(["as-set", "unset"], { PATH: "/usr/bin" });
    expect(r.modes).toEqual(["as-set"]);
    expect(r.note).toMatch(/sets neither OPENBLAS_CORETYPE nor OPENBLAS_L2_SIZE/);
  });

  it("--modes takes the two names and refuses others, naming the flag", () => {
    expect(parseBenchArgs(["--modes", "unset"]).modes).toEqual(["unset"]);
    expect(parseBenchArgs([]).modes).toEqual(["as-set", "unset"]);
    expect(() => parseBenchArgs(["--modes", "both"])).toThrow(/--modes takes as-set, unset/);
  });

  it("--shapes knows the pretrained preset's shape", () => {
    expect(parseBenchArgs(["--shapes", "minilm,base"]).shapes).toEqual(["minilm", "base"]);
  });
});
