// Two "hosts" as two Linux network namespaces joined by a veth pair: the ranks reach each other only
// through 10.x addresses, as on two machines. Each host runs its own launcher with --machine-rank.
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { f32, FIXTURES, readRank, ROOT, tempDir, waitExit } from "./helpers";

const tag = `${process.pid % 10000}`;
const nsA = `kitA${tag}`;
const nsB = `kitB${tag}`;
const subnet = `10.${77 + (process.pid % 50)}.${process.pid % 200}`;
const addrA = `${subnet}.1`;
const addrB = `${subnet}.2`;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

function setUp(): string | null {
  try {
    ip("netns", "add", nsA);
  } catch (err) {
    return `ip netns is not permitted here (${(err as Error).message.split("\n")[0]})`;
  }
  try {
    ip("netns", "add", nsB);
    ip("link", "add", `va${tag}`, "type", "veth", "peer", "name", `vb${tag}`);
    ip("link", "set", `va${tag}`, "netns", nsA);
    ip("link", "set", `vb${tag}`, "netns", nsB);
    ip("-n", nsA, "addr", "add", `${addrA}/24`, "dev", `va${tag}`);
    ip("-n", nsB, "addr", "add", `${addrB}/24`, "dev", `vb${tag}`);
    for (const [ns, dev] of [[nsA, `va${tag}`], [nsB, `vb${tag}`]] as const) {
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
    return null;
  } catch (err) {
    tearDown();
    return `could not build the veth pair between namespaces (${(err as Error).message.split("\n")[0]})`;
  }
}

function tearDown(): void {
  for (const ns of [nsA, nsB]) {
    try {
      ip("netns", "del", ns); // deleting a namespace deletes its end of the veth pair, and so the pair
    } catch {
      /* not created */
    }
  }
}

const skipReason = setUp();
if (skipReason) console.log(`SKIPPED two-host test: ${skipReason}`);
afterAll(tearDown);

describe.skipIf(skipReason !== null)("two hosts in network namespaces", () => {
  // 2 processes: the pair exchange (both ranks send and combine); 4: the star around rank 0.
  it.each([2, 4])("2 machines, %i processes: collectives across the veth link, bitwise identical everywhere", async (numProcesses) => {
    const outDir = tempDir("netns");
    const port = 29000 + (process.pid % 500) + numProcesses;
    const hosts = [nsA, nsB].map((ns, machineRank) => {
      const options = {
        script: join(FIXTURES, "collectives-worker.ts"),
        args: ["basic"],
        numProcesses,
        numMachines: 2,
        machineRank,
        mainProcessIp: addrA,
        mainProcessPort: port,
      };
      const child = spawn(
        "ip",
        ["netns", "exec", ns, process.execPath, "--import", "tsx", join(FIXTURES, "launcher-main.ts")],
        {
          cwd: ROOT,
          env: { ...process.env, OUT_DIR: outDir, LAUNCH_OPTIONS: JSON.stringify(options) },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      return waitExit(child);
    });
    const exits = await Promise.all(hosts);
    exits.forEach((e, m) => expect(e.code, `machine ${m}: ${e.stderr}`).toBe(0));
    const ranks = Array.from({ length: numProcesses }, (_, r) => r);
    const results = ranks.map((r) => readRank<{ sum: string; gn: number[][] }>(outDir, r));
    for (const r of ranks) {
      expect(results[r], `rank ${r} wrote no result`).not.toBeNull();
      expect(Buffer.from(f32(results[r]!.sum).buffer).equals(Buffer.from(f32(results[0]!.sum).buffer))).toBe(true);
      expect(results[r]!.gn).toEqual(ranks.map((k) => [k, 10 * k]));
    }
  });

  it("rank 0 unreachable: the other host fails with a clear error naming the address", async () => {
    const child = spawn("ip", ["netns", "exec", nsB, process.execPath, "--import", "tsx", join(FIXTURES, "collectives-worker.ts"), "basic"], {
      cwd: ROOT,
      env: {
        ...process.env, RANK: "1", WORLD_SIZE: "2", MASTER_ADDR: addrA, MASTER_PORT: "29999",
        KIT_INIT_TIMEOUT_MS: "1500", OUT_DIR: tempDir("netns-unreach"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const e = await waitExit(child);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toContain(`could not reach rank 0 at ${addrA}:29999`);
  });
});
