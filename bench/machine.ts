// What the numbers were measured on: a ratio against PyTorch means little without the CPU, the core count
// and how busy the machine was (it is shared: the load average is recorded with every measurement too).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  tfjs: Record<string, string>;
  loadAverageAtStart: [number, number, number];
  date: string;
}

const TFJS_PACKAGES = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-node"];

function packageVersion(name: string): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string };
    return pkg.version;
  } catch {
    return null;
  }
}

function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    return line?.split(":")[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

export function machineInfo(): MachineInfo {
  const tfjs: Record<string, string> = {};
  for (const name of TFJS_PACKAGES) {
    const v = packageVersion(name);
    if (v) tfjs[name.replace("@tensorflow/", "")] = v;
  }
  const [a, b, c] = os.loadavg();
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs,
    loadAverageAtStart: [a!, b!, c!].map((x) => Math.round(x * 100) / 100) as [number, number, number],
    date: new Date().toISOString(),
  };
}
