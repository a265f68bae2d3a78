// The course's names are all reachable from the package's one entry point.
import { describe, expect, it } from "vitest";
import * as kit from "../../src/index";

describe("public API (src/index.ts)", () => {
  it.each([
    "loadDataset",
    "AutoTokenizer",
    "DataCollatorWithPadding",
    "DataLoader",
    "AutoModelForSequenceClassification",
    "AdamW",
    "LegacyAdamW",
    "getScheduler",
    "selectDevice",
    "backward",
    "noGrad",
    "evaluate",
    "Accelerator",
    "launch",
    "tqdm",
    "hfHubFile",
  ])("exports %s", (name) => {
    expect(kit[name as keyof typeof kit]).toBeDefined();
  });
});
