// `kit accelerate config|launch`: the YAML file accelerate reads, the questionnaire, and launch honouring
// the file with flags overriding it.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { accelerateCli, defaultConfigFile, readConfig } from "../../src/accelerate/config";
import { FIXTURES, readRank, tempDir } from "./helpers";

function sink(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function pythonYaml(file: string): Record<string, unknown> | null {
  try {
    const out = execFileSync("python3", ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", file], {
      encoding: "utf8",
    });
    return JSON.parse(out) as Record<string, unknown>;
  } catch (err) {
    console.log(`PyYAML check skipped: python3 with yaml is not available here (${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

const ACCELERATE_KEYS = [
  "compute_environment", "distributed_type", "num_processes", "num_machines", "machine_rank",
  "main_process_ip", "main_process_port", "mixed_precision",
];

describe("accelerate config", () => {
  it("the default location follows KIT_HOME, else HF_HOME/accelerate, else ~/.cache/huggingface/accelerate", () => {
    expect(defaultConfigFile({ KIT_HOME: "/k", HF_HOME: "/h" })).toBe("/k/accelerate/default_config.yaml");
    expect(defaultConfigFile({ HF_HOME: "/h" })).toBe("/h/accelerate/default_config.yaml");
    expect(defaultConfigFile({ XDG_CACHE_HOME: "/x" })).toBe("/x/huggingface/accelerate/default_config.yaml");
  });

  it("config default writes a YAML that accelerate (PyYAML) reads with its keys and types", async () => {
    const home = tempDir("cfg");
    const out = sink();
    const code = await accelerateCli(["config", "default", "--num-processes", "2"], { env: { KIT_HOME: home }, stdout: out.stream });
    expect(code).toBe(0);
    const file = join(home, "accelerate", "default_config.yaml");
    expect(out.text()).toContain(file);
    const text = readFileSync(file, "utf8");
    // A bare `no` is boolean false in YAML 1.1, which PyYAML speaks: it must be quoted.
    expect(text).toMatch(/^mixed_precision: ["']no["']$/m);
    const py = pythonYaml(file);
    if (py) {
      for (const k of ACCELERATE_KEYS) expect(Object.keys(py)).toContain(k);
      expect(py.compute_environment).toBe("LOCAL_MACHINE");
      expect(py.distributed_type).toBe("MULTI_CPU");
      expect(py.mixed_precision).toBe("no");
      expect(py.num_processes).toBe(2);
      expect(py.num_machines).toBe(1);
      expect(py.machine_rank).toBe(0);
      expect(py.use_cpu).toBe(true);
      expect(py.main_process_port).toBeNull();
    }
  });

  it("asks the questions on stdin and writes the answers", async () => {
    const home = tempDir("cfg-ask");
    const stdin = new PassThrough();
    stdin.end("2\n1\n10.0.0.1\n29555\n4\nno\n");
    const out = sink();
    const code = await accelerateCli(["config"], { env: { KIT_HOME: home }, stdin, stdout: out.stream });
    expect(code).toBe(0);
    const cfg = readConfig(join(home, "accelerate", "default_config.yaml"));
    expect(cfg).toMatchObject({
      num_machines: 2, machine_rank: 1, main_process_ip: "10.0.0.1", main_process_port: 29555,
      num_processes: 4, distributed_type: "MULTI_CPU", mixed_precision: "no",
    });
    expect(out.text()).toMatch(/How many different machines/);
  });

  it("refuses mixed precision other than no, with a clear error", async () => {
    const home = tempDir("cfg-fp16");
    const stdin = new PassThrough();
    stdin.end("1\n2\nfp16\n");
    const err = sink();
    const code = await accelerateCli(["config"], { env: { KIT_HOME: home }, stdin, stdout: sink().stream, stderr: err.stream });
    expect(code).toBe(1);
    expect(err.text()).toMatch(/mixed_precision "fp16" is not supported yet.*Use "no"/);
    expect(existsSync(join(home, "accelerate", "default_config.yaml"))).toBe(false);
  });

  it("reading a Python accelerate GPU config fails naming the file and the key", () => {
    const file = join(tempDir("cfg-gpu"), "gpu.yaml");
    writeFileSync(file, "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: fp16\nnum_processes: 2\n");
    expect(() => readConfig(file)).toThrow(new RegExp(`${file}: distributed_type MULTI_GPU is not supported`));
  });

  it("--help prints the usage", async () => {
    const out = sink();
    expect(await accelerateCli(["launch", "--help"], { stdout: out.stream })).toBe(0);
    expect(out.text()).toMatch(/kit accelerate launch \[options\] script\.ts/);
  });
});

describe("accelerate launch reads the config", () => {
  it("uses num_processes from the file, and a flag overrides it", async () => {
    const home = tempDir("cfg-launch");
    await accelerateCli(["config", "default", "--num-processes", "3"], { env: { KIT_HOME: home }, stdout: sink().stream });
    const worker = join(FIXTURES, "collectives-worker.ts");
    const previous = process.env.OUT_DIR;
    try {
      const fromFile = tempDir("cfg-launch-3");
      process.env.OUT_DIR = fromFile;
      const code3 = await accelerateCli(["launch", worker, "basic"], { env: { KIT_HOME: home }, stdout: sink().stream, stderr: sink().stream });
      expect(code3).toBe(0);
      expect([0, 1, 2].map((r) => readRank(fromFile, r) !== null)).toEqual([true, true, true]);

      const fromFlag = tempDir("cfg-launch-2");
      process.env.OUT_DIR = fromFlag;
      const code2 = await accelerateCli(["launch", "--num_processes", "2", worker, "basic"], {
        env: { KIT_HOME: home },
        stdout: sink().stream,
        stderr: sink().stream,
      });
      expect(code2).toBe(0);
      expect([0, 1, 2].map((r) => readRank(fromFlag, r) !== null)).toEqual([true, true, false]);
    } finally {
      process.env.OUT_DIR = previous;
    }
  });
});
