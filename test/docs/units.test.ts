import { describe, expect, it } from "vitest";
import { formatGolden, GoldenStore } from "../../docs/lib/golden";
import { niceTicks } from "../../docs/lib/plots";
import { extractRegion, listRegions } from "../../docs/lib/regions";
import { MINI } from "./helpers/fixture";

describe("golden references", () => {
  const store = new GoldenStore(MINI);
  it("walk keys, indexes and [] over arrays", () => {
    expect(store.get("01-alpha.trainBatches")).toBe(459);
    expect(store.get("01-alpha.shape[1]")).toBe(67);
    expect(store.get("01-alpha.metrics.accuracy")).toBe(0.6838235294117647);
    expect(store.get("run-record.steps.lr[4]")).toBe(1e-5);
    expect(store.get("run-record.steps.loss[-1]")).toBe(0.62);
    expect(store.get("01-alpha.batches[].rows")).toEqual([8, 4]);
  });
  it("name the file and the key when something is missing", () => {
    expect(() => store.get("01-alpha.shape[2]")).toThrow('golden key "shape[2]" not found in golden/01-alpha.json: no index 2 in an array of length 2');
    expect(() => store.get("01-alpha.metrics.f1")).toThrow('golden key "metrics.f1" not found in golden/01-alpha.json: no "f1" in an object with keys accuracy');
    expect(() => store.get("09-nothing.x")).toThrow("golden file golden/09-nothing.json not found");
    expect(() => store.get("01-alpha.trainBatches[]")).toThrow('"[]" needs an array, found the number 459');
  });
  it("format numbers for each language", () => {
    expect(formatGolden(0.6838235294117647, "fixed:3", "en")).toBe("0.684");
    expect(formatGolden(0.6838235294117647, "fixed:3", "fr")).toBe("0,684");
    expect(formatGolden(0.6838235294117647, "percent:1", "fr")).toBe("68,4\u202f%");
    expect(formatGolden(3668, "int", "en")).toBe("3,668");
    expect(formatGolden(5e-5, "exp:0", "en")).toBe("5e-5");
    expect(formatGolden([8, 67], undefined, "fr")).toBe("[8, 67]");
    expect(() => formatGolden("x", "fixed:2", "en")).toThrow('format "fixed:2" needs a number');
  });
});

describe("regions", () => {
  it("list in file order and extract with line numbers", () => {
    expect(listRegions(MINI, "chapters/01-alpha.ts")).toEqual(["greet", "count", "inner"]);
    const r = extractRegion(MINI, "chapters/01-alpha.ts", "inner");
    expect(r).toMatchObject({ startLine: 12, endLine: 12, code: "for (let i = 0; i < 3; i++) total += i;" });
  });
});

describe("plot ticks", () => {
  it("cover the range with round steps", () => {
    expect(niceTicks(0, 1377, 6)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400]);
    expect(niceTicks(0, 0.75, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });
});
