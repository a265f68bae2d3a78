// The environment contract between the launcher and the processes it starts. It is torch.distributed's
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so a script launched by another tool that
// follows it (torchrun-style, a cluster scheduler, two shells on two hosts) works unchanged.

export interface DistributedEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
}

export const DEFAULT_MASTER_PORT = 29500;
export const DEFAULT_COLLECTIVE_TIMEOUT_MS = 30_000;
export const DEFAULT_INIT_TIMEOUT_MS = 120_000;

/** Set by the launcher to its own pid, so that a child whose launcher died exits instead of lingering. */
export const LAUNCHER_PID_ENV = "KIT_LAUNCHER_PID";

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`environment variable ${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  }
  return n;
}

/** Read the contract; without RANK/WORLD_SIZE this is a single process (rank 0 of 1). */
export function readDistributedEnv(env: NodeJS.ProcessEnv = process.env): DistributedEnv {
  const worldSize = intFrom(env, "WORLD_SIZE", 1, 1);
  const rank = intFrom(env, "RANK", 0, 0);
  if (rank >= worldSize) {
    throw new Error(`RANK=${rank} is not below WORLD_SIZE=${worldSize}: ranks are numbered 0..WORLD_SIZE-1`);
  }
  const localRank = intFrom(env, "LOCAL_RANK", rank, 0);
  const localWorldSize = intFrom(env, "LOCAL_WORLD_SIZE", worldSize, 1);
  return {
    rank,
    worldSize,
    localRank,
    localWorldSize,
    masterAddr: env.MASTER_ADDR && env.MASTER_ADDR !== "" ? env.MASTER_ADDR : "127.0.0.1",
    masterPort: intFrom(env, "MASTER_PORT", DEFAULT_MASTER_PORT, 1),
  };
}

export function collectiveTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return intFrom(env, "KIT_COLLECTIVE_TIMEOUT_MS", DEFAULT_COLLECTIVE_TIMEOUT_MS, 1);
}

export function initTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return intFrom(env, "KIT_INIT_TIMEOUT_MS", DEFAULT_INIT_TIMEOUT_MS, 1);
}

export const EXCHANGE_MODES = ["shm", "socket"] as const;
export type ExchangeMode = (typeof EXCHANGE_MODES)[number];

/**
 * KIT_EXCHANGE, checked: how two processes exchange the allReduce's halves. "shm": through memory both map
 * and a native sum (the native addon's; the default when it is built); "socket": through the socket, summed
 * in JavaScript (what runs without the addon). The same bits either way. Undefined when unset.
 */
export function exchangeModeFromEnv(env: NodeJS.ProcessEnv = process.env): ExchangeMode | undefined {
  const raw = env.KIT_EXCHANGE?.trim();
  if (!raw) return undefined;
  if (!(EXCHANGE_MODES as readonly string[]).includes(raw)) {
    throw new Error(
      `KIT_EXCHANGE=${raw}: expected "shm" (two processes on one host exchange through shared memory, native/shared-memory.c) ` +
        `or "socket" (through their TCP socket, summed in JavaScript); unset it to use shared memory when the native addon is built.`,
    );
  }
  return raw as ExchangeMode;
}

let watching = false;

/**
 * If this process was started by the kit's launcher, exit when the launcher is gone (its pid is no longer
 * our parent). The launcher kills its children on every exit path it can see; this covers the one it
 * cannot (SIGKILL of the launcher itself). Polls once a second on an unref'd timer.
 */
export function watchLauncher(env: NodeJS.ProcessEnv = process.env): void {
  const launcherPid = Number(env[LAUNCHER_PID_ENV]);
  if (watching || !Number.isInteger(launcherPid) || launcherPid <= 0) return;
  watching = true;
  const timer = setInterval(() => {
    if (process.ppid !== launcherPid) {
      process.stderr.write(`rank ${env.RANK ?? "?"}: the launcher (pid ${launcherPid}) is gone; exiting\n`);
      process.exit(1);
    }
  }, 1_000);
  timer.unref();
}
