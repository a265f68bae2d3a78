// Collectives between processes over TCP: the kit's torch.distributed "gloo" group for CPUs.
//
// Topology: a star around rank 0. Every collective is one exchange: each rank sends its contribution to
// rank 0, rank 0 combines them IN RANK ORDER 0..N-1 and sends the one result back to everyone. Why a star
// rather than a ring: with the 2 to 4 processes this kit runs, rank 0's link carries the same bytes a ring
// would within a factor (N-1)/N·2, the code stays small, and determinism is trivial — every rank receives
// the very same bytes rank 0 computed, so results are bitwise identical on all ranks by construction, and
// the fixed summation order (accumulated in float64, rounded to float32 once) makes them identical from
// run to run. A ring's reduce-scatter would also be deterministic, but only if every chunk is summed in
// the same order, which the star gets for free.
//
// One exception, for the data-parallel step's big message: two processes (the kit's usual case, one per core)
// allReduce by halves (reduce-scatter, then all-gather): each rank reduces one half and sends it back, so both
// cores add at once and the arrays travel from and into where they are. Every element is still reduced once,
// in rank order, and the other rank receives those very bytes. It is kept because chapter 07 on MiniLM-L6 is
// measurably slower without it (bench/NOTES.md, "One star, one sparse path"). On one host with the native
// addon, those halves travel through memory both processes map (pair-memory.ts) and the socket carries only
// a few bytes per message; the sum is the same either way (KIT_EXCHANGE). Every other collective, on any
// number of processes, is the star.
//
// Failure: a closed socket or a timeout breaks the group. Rank 0 tells every surviving rank which rank
// failed (an Abort message), so all of them reject with an error naming it, and every later collective
// rejects at once with the same error.
import * as net from "node:net";
import {
  ConnectionClosedError,
  FramedSocket,
  Op,
  concatBytes,
  connectWithRetry,
  decodeValue,
  encodeValue,
  type Json,
  type Message,
  type Transferable,
} from "./transport";
import { collectiveTimeoutFromEnv, exchangeModeFromEnv, initTimeoutFromEnv, readDistributedEnv, watchLauncher } from "./env";
import { Carried, PairMemory, decodeContributionHeader, decodeReducedHeader, encodeContributionHeader, encodeReducedHeader } from "./pair-memory";
import { NATIVE_ADDON_HOW, sharedMemory, type SharedMemory } from "../backend/shared-memory";

export type { Json, Transferable } from "./transport";
export type ReduceOp = "sum" | "mean";

export interface InitProcessGroupOptions {
  /** Per-collective timeout (default: env KIT_COLLECTIVE_TIMEOUT_MS, else 30 s). */
  timeoutMs?: number;
  /** How long rank 0 waits for everyone to connect (default: env KIT_INIT_TIMEOUT_MS, else 120 s). */
  initTimeoutMs?: number;
  /** Override the environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). */
  env?: NodeJS.ProcessEnv;
}

/** The rows of a sparse gradient after allReduceRows: sorted unique row indices and their summed rows. */
export interface SparseRows {
  indices: Int32Array;
  rows: Float32Array;
}

/** Raised by a collective when a rank disconnected, timed out or disagreed. `rank` is the culprit. */
export class ProcessGroupError extends Error {
  constructor(
    message: string,
    readonly rank: number | null,
  ) {
    super(message);
    this.name = "ProcessGroupError";
  }
}

// Collective kinds travel in the frame's flags, so that ranks calling different collectives are detected.
enum Kind {
  AllReduce = 1,
  Broadcast = 2,
  AllGather = 3,
  Barrier = 4,
  AllReduceRows = 5,
}
const KIND_NAMES: Record<Kind, string> = {
  [Kind.AllReduce]: "allReduce",
  [Kind.Broadcast]: "broadcast",
  [Kind.AllGather]: "allGather",
  [Kind.Barrier]: "barrier",
  [Kind.AllReduceRows]: "allReduceRows",
};

const MAGIC = "kit-process-group/1";

export interface ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly timeoutMs: number;
  /** Reduce in place across ranks (the array receives the result) and return it. */
  allReduce(data: Float32Array, op?: ReduceOp): Promise<Float32Array>;
  /**
   * Several arrays in ONE collective (not a round trip per tensor); each is reduced in place. The arrays must
   * stay put until it resolves: with two processes they are sent from and written to where they are.
   */
  allReduceMany(arrays: Float32Array[], op?: ReduceOp): Promise<Float32Array[]>;
  /**
   * Sparse all-reduce of a row-gradient (an embedding's): each rank gives the indices of the rows it
   * touched and those rows (indices.length × rowSize floats). Returns the sorted union of indices and the
   * rows summed (or averaged over ALL ranks for "mean", as the dense mean would) in rank order.
   * Bitwise equal to the dense allReduce restricted to those rows.
   */
  allReduceRows(rowIndices: Int32Array, rows: Float32Array, rowSize: number, op?: ReduceOp): Promise<SparseRows>;
  /**
   * Rank `src`'s value on every rank. A Float32Array/Uint8Array passed on a receiving rank with the
   * right length is filled in place and returned; otherwise a new value is returned.
   */
  broadcast<T extends Transferable>(value: T, src?: number): Promise<T>;
  /** Every rank's value, in rank order. */
  allGather<T extends Transferable>(value: T): Promise<T[]>;
  barrier(): Promise<void>;
  /**
   * How the allReduce's floats travel, as far as this rank knows: "shared memory" once two processes on one
   * host have set it up (after their first allReduce), else "socket"; "none" for a single process.
   */
  describeExchange(): string;
  /** Leave the group: tell the others, close the sockets. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * Join the process group described by the environment. With WORLD_SIZE 1 (or unset) this is a trivial
 * group with no sockets, so single-process code pays nothing.
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  const env = options.env ?? process.env;
  const dist = readDistributedEnv(env);
  const timeoutMs = options.timeoutMs ?? collectiveTimeoutFromEnv(env);
  const initTimeoutMs = options.initTimeoutMs ?? initTimeoutFromEnv(env);
  if (dist.worldSize === 1) return new SingleProcessGroup(dist.localRank, timeoutMs);
  watchLauncher(env);
  const shm = pairSharedMemory(env, dist.worldSize);
  const deadline = Date.now() + initTimeoutMs;
  const where = `${dist.masterAddr}:${dist.masterPort}`;
  if (dist.rank === 0) {
    const { server, peers } = await acceptPeers(dist.masterAddr, dist.masterPort, dist.worldSize, deadline, initTimeoutMs);
    return new TcpProcessGroup(0, dist.worldSize, dist.localRank, timeoutMs, peers, server, shm);
  }
  const connected = await connectWithRetry(dist.masterAddr, dist.masterPort, deadline);
  const socket = new FramedSocket(connected.socket, connected.reads);
  const hello = encodeValue({ magic: MAGIC, rank: dist.rank, worldSize: dist.worldSize });
  await socket.send(0, Op.Hello, dist.rank, hello);
  const reply = await withDeadline(socket.recv(), deadline, () =>
    new ProcessGroupError(`rank ${dist.rank}: rank 0 at ${where} did not start the group within ${initTimeoutMs} ms`, 0),
  ).catch((err: unknown) => {
    socket.destroy();
    if (err instanceof ConnectionClosedError) {
      throw new ProcessGroupError(`rank ${dist.rank}: rank 0 at ${where} closed the connection while the group formed`, 0);
    }
    throw err;
  });
  if (reply.op === Op.Abort) {
    socket.destroy();
    throw new ProcessGroupError(`rank ${dist.rank}: rank 0 refused to join: ${decodeString(reply.payload)}`, 0);
  }
  const peers: (FramedSocket | null)[] = new Array(dist.worldSize).fill(null);
  peers[0] = socket;
  return new TcpProcessGroup(dist.rank, dist.worldSize, dist.localRank, timeoutMs, peers, null, shm);
}

/**
 * The shared memory a two-process exchange may use: KIT_EXCHANGE's choice, by default the addon's when built.
 * KIT_EXCHANGE is checked whatever the world size (a typo must not pass unnoticed on three processes).
 */
function pairSharedMemory(env: NodeJS.ProcessEnv, worldSize: number): SharedMemory | null {
  const mode = exchangeModeFromEnv(env);
  if (mode === "socket" || worldSize !== 2) return null;
  const got = sharedMemory();
  if ("shm" in got) return got.shm;
  if (mode === "shm") {
    throw new Error(`KIT_EXCHANGE=shm: the native addon's shared memory is not available (${got.why}). To get it: ${NATIVE_ADDON_HOW}; or unset KIT_EXCHANGE.`);
  }
  return null;
}

async function listen(host: string, port: number): Promise<net.Server> {
  const tryListen = (h: string) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen({ host: h, port }, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  try {
    return await tryListen(host);
  } catch (err) {
    // MASTER_ADDR may be how the OTHER hosts reach us (a NAT'd or public address) rather than one of ours.
    if ((err as NodeJS.ErrnoException).code === "EADDRNOTAVAIL") return tryListen("0.0.0.0");
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`rank 0: port ${port} on ${host} is already in use; choose another MASTER_PORT (--main-process-port)`);
    }
    throw err;
  }
}

async function acceptPeers(
  host: string,
  port: number,
  worldSize: number,
  deadline: number,
  initTimeoutMs: number,
): Promise<{ server: net.Server; peers: (FramedSocket | null)[] }> {
  const server = await listen(host, port);
  const peers: (FramedSocket | null)[] = new Array(worldSize).fill(null);
  let joined = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = peers.map((p, r) => (r > 0 && p === null ? r : -1)).filter((r) => r >= 0);
        reject(
          new ProcessGroupError(
            `rank 0 waited ${initTimeoutMs} ms at ${host}:${port} for rank${missing.length > 1 ? "s" : ""} ` +
              `${missing.join(", ")} to connect (WORLD_SIZE=${worldSize}). Did they start, with the same MASTER_ADDR/MASTER_PORT?`,
            missing[0] ?? null,
          ),
        );
      }, Math.max(deadline - Date.now(), 1));
      server.on("connection", (raw) => {
        const socket = new FramedSocket(raw);
        const refuse = (why: string) => {
          void socket.send(0, Op.Abort, 0, new TextEncoder().encode(why)).finally(() => socket.end());
        };
        socket
          .recv()
          .then((m) => {
            const hello = m.op === Op.Hello ? (decodeValue(m.payload).value as { magic?: string; rank?: number; worldSize?: number }) : null;
            if (!hello || hello.magic !== MAGIC || typeof hello.rank !== "number") return refuse("not a kit process group hello");
            if (hello.worldSize !== worldSize) {
              return refuse(`rank ${hello.rank} has WORLD_SIZE=${hello.worldSize} but rank 0 has WORLD_SIZE=${worldSize}`);
            }
            if (hello.rank < 1 || hello.rank >= worldSize) return refuse(`rank ${hello.rank} is out of range 1..${worldSize - 1}`);
            if (peers[hello.rank]) return refuse(`rank ${hello.rank} is already connected (two processes with RANK=${hello.rank}?)`);
            peers[hello.rank] = socket;
            joined++;
            if (joined === worldSize - 1) {
              clearTimeout(timer);
              resolve();
            }
          })
          .catch(() => socket.destroy());
      });
    });
  } catch (err) {
    for (const p of peers) p?.destroy();
    server.close();
    throw err;
  }
  server.close(); // no more connections; the accepted ones stay open
  await Promise.all(peers.map((p) => p?.send(0, Op.Ready, 0)));
  return { server, peers };
}

function decodeString(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/**
 * What rank 0 tells the others when a collective fails: the culprit (u32, rank + 1; 0 when unknown), then the
 * message. The culprit travels apart: a message need not start with the rank it blames.
 */
function encodeAbort(why: string, culprit: number | null): Uint8Array {
  const text = new TextEncoder().encode(why);
  const out = new Uint8Array(4 + text.byteLength);
  new DataView(out.buffer).setUint32(0, culprit === null ? 0 : culprit + 1, true);
  out.set(text, 4);
  return out;
}

function decodeAbort(bytes: Uint8Array): { why: string; culprit: number | null } {
  const code = bytes.byteLength >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : 0;
  return { why: decodeString(bytes.subarray(4)), culprit: code === 0 ? null : code - 1 };
}

function withDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(deadline - Date.now(), 1));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function bytesAsF32(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(b.slice().buffer);
}

function checkOp(op: ReduceOp): void {
  if (op !== "sum" && op !== "mean") throw new Error(`reduce op ${JSON.stringify(op)}: expected "sum" or "mean"`);
}

// ---- the collectives' arithmetic, shared by the trivial and the TCP group ---------------------------------

/**
 * Sum float32 contributions in rank order in float64, round once (mean: divide before rounding), into `out`
 * (which may be one of the contributions: each element is read before it is written).
 */
function reduceDense(contributions: Float32Array[], op: ReduceOp, worldSize: number, out: Float32Array): Float32Array {
  const n = contributions[0]!.length;
  if (contributions.length === 2) {
    // Two contributions: their float64 sum, halved for the mean (exact), is rounded once by the store: the
    // contract itself, without a float64 buffer of the whole length. Unrolled by 4, which V8 does not do: this
    // loop is the biggest part of a two-process exchange's CPU (bench/NOTES.md).
    const [a, b] = contributions as [Float32Array, Float32Array];
    const scale = op === "mean" ? 0.5 : 1;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      out[i] = (a[i]! + b[i]!) * scale;
      out[i + 1] = (a[i + 1]! + b[i + 1]!) * scale;
      out[i + 2] = (a[i + 2]! + b[i + 2]!) * scale;
      out[i + 3] = (a[i + 3]! + b[i + 3]!) * scale;
    }
    for (; i < n; i++) out[i] = (a[i]! + b[i]!) * scale;
    return out;
  }
  const acc = new Float64Array(n);
  for (const c of contributions) for (let i = 0; i < n; i++) acc[i]! += c[i]!;
  if (op === "mean") for (let i = 0; i < n; i++) out[i] = acc[i]! / worldSize;
  else for (let i = 0; i < n; i++) out[i] = acc[i]!;
  return out;
}

function encodeRows(indices: Int32Array, rows: Float32Array, rowSize: number): Uint8Array {
  const out = rowsMessage(indices.length, rowSize);
  out.indices.set(indices);
  out.rows.set(rows);
  return out.bytes;
}

/** Rows held as views of their allReduceRows message (u32 count | indices | rows). */
interface RowsMessage extends SparseRows {
  bytes: Uint8Array;
}

/** Room for `count` rows, laid out as their message: what reduceRows writes into, so that nothing is copied to send them. */
function rowsMessage(count: number, rowSize: number): RowsMessage {
  const buffer = new ArrayBuffer(4 + count * 4 + count * rowSize * 4);
  new DataView(buffer).setUint32(0, count, true);
  return { indices: new Int32Array(buffer, 4, count), rows: new Float32Array(buffer, 4 + count * 4, count * rowSize), bytes: new Uint8Array(buffer) };
}

function decodeRows(bytes: Uint8Array): SparseRows {
  const copy = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const count = new DataView(copy.buffer, copy.byteOffset, copy.byteLength).getUint32(0, true);
  const indices = new Int32Array(copy.buffer, copy.byteOffset + 4, count);
  const rows = new Float32Array(copy.buffer, copy.byteOffset + 4 + count * 4, (copy.byteLength - 4 - count * 4) / 4);
  return { indices, rows };
}

function reduceRows(parts: SparseRows[], rowSize: number, op: ReduceOp, worldSize: number): RowsMessage {
  const indices = sortedUnion(parts.map((p) => p.indices));
  const acc = new Float64Array(indices.length * rowSize);
  for (const p of parts) {
    for (let k = 0; k < p.indices.length; k++) {
      const base = binarySearch(indices, p.indices[k]!) * rowSize;
      const src = k * rowSize;
      for (let j = 0; j < rowSize; j++) acc[base + j]! += p.rows[src + j]!;
    }
  }
  const out = rowsMessage(indices.length, rowSize);
  out.indices.set(indices);
  if (op === "mean") for (let i = 0; i < acc.length; i++) out.rows[i] = acc[i]! / worldSize;
  else out.rows.set(acc);
  return out;
}

/** The distinct values of several Int32Arrays, ascending. */
function sortedUnion(lists: Int32Array[]): Int32Array {
  const all = new Int32Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of lists) {
    all.set(l, at);
    at += l.length;
  }
  all.sort();
  let distinct = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[distinct++] = all[i]!;
  return all.slice(0, distinct);
}

/** Where `value` is in the ascending `sorted` (it must be there). */
function binarySearch(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function validateRows(rowIndices: Int32Array, rows: Float32Array, rowSize: number, rank: number): void {
  if (!Number.isInteger(rowSize) || rowSize <= 0) throw new Error(`allReduceRows: rowSize ${rowSize} must be a positive integer`);
  if (rows.length !== rowIndices.length * rowSize) {
    throw new Error(
      `allReduceRows on rank ${rank}: rows has ${rows.length} floats, expected rowIndices.length × rowSize = ` +
        `${rowIndices.length} × ${rowSize} = ${rowIndices.length * rowSize}`,
    );
  }
}

function concatF32(arrays: Float32Array[]): Float32Array {
  if (arrays.length === 1) return arrays[0]!;
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Calls `visit(array, from, to, at)` for each part of the elements start..end of the arrays laid end to end. */
function forEachInRange(arrays: Float32Array[], start: number, end: number, visit: (a: Float32Array, from: number, to: number, at: number) => void): void {
  let offset = 0;
  for (const a of arrays) {
    const from = Math.max(start, offset) - offset;
    const to = Math.min(end, offset + a.length) - offset;
    if (from < to) visit(a, from, to, offset + from - start);
    offset += a.length;
  }
}

/** The bytes of elements start..end of the arrays laid end to end, as views (nothing copied). */
function rangeBytes(arrays: Float32Array[], start: number, end: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  forEachInRange(arrays, start, end, (a, from, to) => parts.push(new Uint8Array(a.buffer, a.byteOffset + from * 4, (to - from) * 4)));
  return parts;
}

/**
 * Elements start..end of the arrays (laid end to end) become their reduction with `other` (a peer's), in rank
 * order; `copy`, when given, receives them too.
 */
function reduceRangeWith(
  arrays: Float32Array[],
  start: number,
  end: number,
  other: Float32Array,
  rank: number,
  op: ReduceOp,
  copy: Float32Array | null,
  sumPair: SharedMemory["sumPair"] | null,
): void {
  forEachInRange(arrays, start, end, (a, from, to, at) => {
    const mine = a.subarray(from, to);
    const theirs = other.subarray(at, at + (to - from));
    const [first, second] = rank === 0 ? [mine, theirs] : [theirs, mine];
    const into = copy ? copy.subarray(at, at + (to - from)) : null;
    if (sumPair) {
      sumPair(first, second, op === "mean" ? 0.5 : 1, mine, into);
    } else {
      reduceDense([first, second], op, 2, mine);
      into?.set(mine);
    }
  });
}

/** Elements start.. of the arrays laid end to end, copied into `into` (its length says how many). */
function copyFromRange(arrays: Float32Array[], start: number, into: Float32Array): void {
  forEachInRange(arrays, start, start + into.length, (a, from, to, at) => into.set(a.subarray(from, to), at));
}

/** values into elements start.. of the arrays laid end to end. */
function copyIntoRange(arrays: Float32Array[], start: number, values: Float32Array): void {
  forEachInRange(arrays, start, start + values.length, (a, from, to, at) => {
    // A combine that reduced into this rank's own single array left the result in place already.
    const inPlace = a.buffer === values.buffer && a.byteOffset + from * 4 === values.byteOffset + at * 4;
    if (!inPlace) a.set(values.subarray(at, at + (to - from)), from);
  });
}

function fillInPlace<T extends Transferable>(target: T, received: Transferable): T {
  if (target instanceof Float32Array && received instanceof Float32Array && target.length === received.length) {
    target.set(received);
    return target;
  }
  if (target instanceof Uint8Array && received instanceof Uint8Array && target.length === received.length) {
    target.set(received);
    return target;
  }
  return received as T;
}

function cloneValue<T extends Transferable>(value: T): T {
  if (value instanceof Float32Array) return value.slice() as T;
  if (value instanceof Uint8Array) return value.slice() as T;
  return JSON.parse(JSON.stringify(value)) as T;
}

/** World size 1: every collective is the identity (mean of one value is itself). No sockets. */
class SingleProcessGroup implements ProcessGroup {
  readonly rank = 0;
  readonly worldSize = 1;
  constructor(
    readonly localRank: number,
    readonly timeoutMs: number,
  ) {}
  async allReduce(data: Float32Array, op: ReduceOp = "sum"): Promise<Float32Array> {
    checkOp(op);
    return data;
  }
  async allReduceMany(arrays: Float32Array[], op: ReduceOp = "sum"): Promise<Float32Array[]> {
    checkOp(op);
    return arrays;
  }
  async allReduceRows(rowIndices: Int32Array, rows: Float32Array, rowSize: number, op: ReduceOp = "sum"): Promise<SparseRows> {
    checkOp(op);
    validateRows(rowIndices, rows, rowSize, 0);
    const { indices, rows: reduced } = reduceRows([{ indices: rowIndices, rows }], rowSize, op, 1);
    return { indices, rows: reduced };
  }
  async broadcast<T extends Transferable>(value: T, src = 0): Promise<T> {
    if (src !== 0) throw new Error(`broadcast: src rank ${src} does not exist in a group of 1 process`);
    return value;
  }
  async allGather<T extends Transferable>(value: T): Promise<T[]> {
    return [cloneValue(value)];
  }
  async barrier(): Promise<void> {}
  describeExchange(): string {
    return "none";
  }
  async destroy(): Promise<void> {}
}

class TcpProcessGroup implements ProcessGroup {
  private seq = 0;
  private broken: ProcessGroupError | null = null;
  /** `broken` only records a graceful leave, which a real failure may still replace. */
  private brokenByLeave = false;
  private destroyed = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** Rejects the collective in flight, if any (set while one runs). */
  private failCurrent: ((err: ProcessGroupError) => void) | null = null;
  private currentName = "";
  private readonly pairMemory: PairMemory | null;

  constructor(
    readonly rank: number,
    readonly worldSize: number,
    readonly localRank: number,
    readonly timeoutMs: number,
    /** Rank 0: a socket per peer rank (index 0 unused). Other ranks: index 0 is the socket to rank 0. */
    private readonly peers: (FramedSocket | null)[],
    private readonly server: net.Server | null,
    /** Two processes with the native addon (KIT_EXCHANGE unset or "shm"): its shared memory and native sum. */
    private readonly shm: SharedMemory | null,
  ) {
    this.pairMemory = shm && worldSize === 2 ? new PairMemory(shm) : null;
    peers.forEach((socket, r) => socket?.onClose(() => this.onPeerClosed(r, socket)));
    this.setRef(false);
  }

  // ---- public collectives ----------------------------------------------------------------------------

  allReduce(data: Float32Array, op: ReduceOp = "sum"): Promise<Float32Array> {
    return this.allReduceMany([data], op).then(() => data);
  }

  allReduceMany(arrays: Float32Array[], op: ReduceOp = "sum"): Promise<Float32Array[]> {
    checkOp(op);
    if (this.worldSize === 2) return this.collective(Kind.AllReduce, (seq, pending) => this.pairAllReduce(arrays, op, seq, pending)).then(() => arrays);
    const flat = concatF32(arrays);
    return this.exchange(Kind.AllReduce, f32Bytes(flat), (payloads) => {
      const parts = payloads.map(bytesAsF32);
      parts.forEach((p, r) => {
        if (p.length !== flat.length) {
          throw new ProcessGroupError(
            `allReduce: rank ${r} sent ${p.length} floats but rank ${this.rank} has ${flat.length}; every rank must reduce tensors of the same shapes`,
            r,
          );
        }
      });
      // Into this rank's own array: no result buffer per call, and nothing left to copy on this rank.
      return f32Bytes(reduceDense(parts, op, this.worldSize, parts[this.rank]!));
    }).then((reply) => {
      copyIntoRange(arrays, 0, bytesAsF32(reply));
      return arrays;
    });
  }

  allReduceRows(rowIndices: Int32Array, rows: Float32Array, rowSize: number, op: ReduceOp = "sum"): Promise<SparseRows> {
    checkOp(op);
    validateRows(rowIndices, rows, rowSize, this.rank);
    return this.exchange(Kind.AllReduceRows, encodeRows(rowIndices, rows, rowSize), (payloads) => {
      const parts = payloads.map(decodeRows);
      parts.forEach((p, r) => {
        if (p.rows.length !== p.indices.length * rowSize) {
          throw new ProcessGroupError(`allReduceRows: rank ${r} sent rows of a different rowSize than rank ${this.rank} (${rowSize})`, r);
        }
      });
      return reduceRows(parts, rowSize, op, this.worldSize).bytes;
    }).then((reply) => {
      const r = decodeRows(reply);
      return { indices: r.indices.slice(), rows: r.rows.slice() };
    });
  }

  broadcast<T extends Transferable>(value: T, src = 0): Promise<T> {
    if (!Number.isInteger(src) || src < 0 || src >= this.worldSize) {
      return Promise.reject(new Error(`broadcast: src rank ${src} is not in 0..${this.worldSize - 1}`));
    }
    const payload = this.rank === src ? encodeValue(value) : new Uint8Array(0);
    return this.exchange(Kind.Broadcast, payload, (payloads) => {
      if (payloads[src]!.byteLength === 0) {
        throw new ProcessGroupError(`broadcast: rank ${src} sent nothing — do all ranks pass the same src?`, src);
      }
      return payloads[src]!;
    }).then((reply) => (this.rank === src ? value : fillInPlace(value, decodeValue(reply).value)));
  }

  allGather<T extends Transferable>(value: T): Promise<T[]> {
    return this.exchange(Kind.AllGather, encodeValue(value), (payloads) => concatBytes(payloads)).then((reply) => {
      const out: T[] = [];
      let at = 0;
      for (let r = 0; r < this.worldSize; r++) {
        const { value: v, next } = decodeValue(reply, at);
        out.push(v as T);
        at = next;
      }
      return out;
    });
  }

  barrier(): Promise<void> {
    return this.exchange(Kind.Barrier, new Uint8Array(0), () => new Uint8Array(0)).then(() => undefined);
  }

  describeExchange(): string {
    return this.pairMemory?.describe() ?? "socket";
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.tail.catch(() => undefined);
    this.destroyed = true;
    this.pairMemory?.release();
    await Promise.all(
      this.peers.map(async (p) => {
        if (!p || p.isClosed) return;
        await p.send(0, Op.Bye, this.rank).catch(() => undefined);
        p.end();
      }),
    );
    // Give FINs a moment to go out, then make sure nothing keeps the process alive.
    setTimeout(() => this.peers.forEach((p) => p?.destroy()), 1_000).unref();
    this.setRef(false);
    this.server?.close();
  }

  // ---- the one exchange every collective is made of -------------------------------------------------

  private exchange(kind: Kind, payload: Uint8Array, combine: (payloads: Uint8Array[]) => Uint8Array): Promise<Uint8Array> {
    return this.collective(kind, (seq, pending) =>
      this.rank === 0 ? this.rootExchange(kind, payload, combine, seq, pending) : this.leafExchange(kind, payload, seq),
    );
  }

  /**
   * Run `body` as this group's next collective: after the previous one, with a timeout, and failing the whole
   * group (naming the culprit) if it fails. `pending` holds the ranks it still waits for, for the timeout's
   * message.
   */
  private collective<T>(kind: Kind, body: (seq: number, pending: Set<number>) => Promise<T>): Promise<T> {
    const run = () => this.runCollective(kind, body);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private runCollective<T>(kind: Kind, body: (seq: number, pending: Set<number>) => Promise<T>): Promise<T> {
    const name = KIND_NAMES[kind];
    if (this.destroyed) return Promise.reject(new Error(`${name} after destroy(): this process left the group`));
    if (this.broken) {
      // Re-throw with this collective's name, keeping the culprit first so the message still names it.
      const b = this.broken;
      return Promise.reject(new ProcessGroupError(`${b.message} (noticed before ${name} #${this.seq + 1})`, b.rank));
    }
    const seq = ++this.seq;
    this.currentName = name;
    this.setRef(true);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const pending = new Set<number>();
      const finish = (err: ProcessGroupError | null, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.failCurrent = null;
        this.setRef(false);
        if (err) {
          this.breakGroup(err);
          reject(err);
        } else resolve(value!);
      };
      this.failCurrent = (err) => finish(err);
      const isRoot = this.rank === 0;
      // Non-root ranks wait a little longer than rank 0, so that when rank 0 times out it can tell them
      // WHICH rank it was waiting for, which is more useful than "rank 0 did not answer".
      const grace = isRoot ? 0 : Math.min(2_000, Math.ceil(this.timeoutMs / 2));
      const timer = setTimeout(() => {
        // Rank 0 and a two-process allReduce know whom they wait for; any other rank waits for rank 0.
        const knows = isRoot || pending.size > 0;
        const waiting = knows ? [...pending] : [0];
        finish(
          new ProcessGroupError(
            `rank ${this.rank}: ${name} #${seq} timed out after ${this.timeoutMs} ms waiting for rank${waiting.length > 1 ? "s" : ""} ` +
              `${waiting.join(", ")}${knows ? "" : " (the result)"} (set KIT_COLLECTIVE_TIMEOUT_MS to wait longer)`,
            waiting[0] ?? null,
          ),
        );
      }, this.timeoutMs + grace);
      body(seq, pending).then(
        (value) => finish(null, value),
        (err: unknown) => finish(err instanceof ProcessGroupError ? err : new ProcessGroupError(String(err), null)),
      );
    });
  }

  /**
   * Two processes, allReduce: each rank reduces one half and sends it back (a reduce-scatter, then an
   * all-gather). The same bytes travel as when both send everything and both reduce everything, but each
   * rank adds only half the elements, and the arrays are sent from and written to where they are (on wasm,
   * the gradients in the backend's heap), never gathered into one message. Each element is reduced once, by
   * one rank, in rank order: the ranks agree bitwise by construction.
   */
  private async pairAllReduce(arrays: Float32Array[], op: ReduceOp, seq: number, pending: Set<number>): Promise<void> {
    const peer = 1 - this.rank;
    const socket = this.peerSocket(peer);
    const total = arrays.reduce((n, a) => n + a.length, 0);
    const half = Math.ceil(total / 2);
    const mine = this.rank === 0 ? { start: 0, end: half } : { start: half, end: total };
    const theirs = this.rank === 0 ? { start: half, end: total } : { start: 0, end: half };
    const memory = this.pairMemory;
    pending.add(peer);
    // 1. This rank's contribution to the peer's half, after its element count, which must be the peer's: in
    // this rank's shared segment when the peer reads it, else in the message.
    const { area, offer } = memory ? memory.contributionArea(theirs.end - theirs.start, half) : { area: null, offer: null };
    if (area) copyFromRange(arrays, theirs.start, area);
    const head = encodeContributionHeader(total, area ? Carried.InSegment : Carried.Inline, offer);
    const sentContribution = this.sendTo(peer, socket, seq, Kind.AllReduce, area ? [head] : [head, ...rangeBytes(arrays, theirs.start, theirs.end)]);
    sentContribution.catch(() => undefined); // awaited below; a failure is also the receive's
    const contribution = await this.recvFrom(peer, Kind.AllReduce, seq);
    const got = decodeContributionHeader(contribution.payload);
    const inline = got?.carried === Carried.Inline ? (contribution.payload.byteLength - got.floatsAt) / 4 : mine.end - mine.start;
    if (!got || got.total !== total || inline !== mine.end - mine.start) {
      throw new ProcessGroupError(
        `allReduce: rank ${peer} sent ${got?.total ?? -1} floats but rank ${this.rank} has ${total}; every rank must reduce tensors of the same shapes`,
        peer,
      );
    }
    const accepted = got.offer !== null && memory !== null && memory.accept(got.offer);
    const other = got.carried === Carried.InSegment ? memory?.peerContribution(mine.end - mine.start) : bytesAsF32(contribution.payload.subarray(got.floatsAt));
    if (!other) throw new ProcessGroupError(`allReduce: rank ${peer} said its contribution is in shared memory this rank has not mapped`, peer);
    // The reduced half goes straight into this rank's segment too, when the peer reads it from there.
    const reducedArea = memory?.reducedArea(mine.end - mine.start) ?? null;
    reduceRangeWith(arrays, mine.start, mine.end, other, this.rank, op, reducedArea, this.shm?.sumPair ?? null);
    socket.recycle(contribution.payload);
    // 2. The reduced half to the peer; the peer's reduced half into this rank's arrays, once the kernel has
    // taken this rank's own contribution from there.
    const reducedHead = encodeReducedHeader(reducedArea ? Carried.InSegment : Carried.Inline, accepted);
    const sentHalf = this.sendTo(peer, socket, seq, Kind.AllReduce, reducedArea ? [reducedHead] : [reducedHead, ...rangeBytes(arrays, mine.start, mine.end)]);
    sentHalf.catch(() => undefined);
    const reduced = await this.recvFrom(peer, Kind.AllReduce, seq);
    const back = decodeReducedHeader(reduced.payload);
    const want = theirs.end - theirs.start;
    const values = back?.carried === Carried.InSegment ? memory?.peerReduced(want) : back ? bytesAsF32(reduced.payload.subarray(back.floatsAt)) : null;
    if (!back || !values || values.length !== want) {
      throw new ProcessGroupError(`allReduce: rank ${peer} sent a reduced half of ${values ? values.length * 4 : "unreadable"} bytes, expected ${want * 4}`, peer);
    }
    memory?.endCollective(back.accepted);
    await sentContribution;
    copyIntoRange(arrays, theirs.start, values);
    socket.recycle(reduced.payload);
    // The caller may change its arrays once this resolves.
    await sentHalf;
    pending.delete(peer);
  }

  /** Rank 0 of three or more: gather every contribution, combine in rank order, send the result to all. */
  private async rootExchange(kind: Kind, payload: Uint8Array, combine: (payloads: Uint8Array[]) => Uint8Array, seq: number, pending: Set<number>): Promise<Uint8Array> {
    const payloads: Uint8Array[] = new Array(this.worldSize);
    payloads[0] = payload;
    for (let r = 1; r < this.worldSize; r++) pending.add(r);
    await Promise.all(
      [...pending].map(async (r) => {
        const m = await this.recvFrom(r, kind, seq);
        payloads[r] = m.payload;
        pending.delete(r);
      }),
    );
    const reply = combine(payloads);
    await Promise.all(this.peers.map((p, r) => (r > 0 ? this.sendTo(r, p!, seq, kind, reply) : undefined)));
    // Only now: the reply may be a peer's own payload (broadcast), in flight until the sends are done.
    this.peers.forEach((p, r) => r > 0 && p!.recycle(payloads[r]!));
    return reply;
  }

  /** Any other rank of three or more: send to rank 0, receive the result. */
  private async leafExchange(kind: Kind, payload: Uint8Array, seq: number): Promise<Uint8Array> {
    const root = this.peers[0]!;
    await this.sendTo(0, root, seq, kind, payload);
    const m = await this.recvFrom(0, kind, seq);
    // Every caller copies out of a reply in promise callbacks, which all run before the socket's next data
    // event can reuse this buffer.
    root.recycle(m.payload);
    return m.payload;
  }

  private peerSocket(r: number): FramedSocket {
    return this.peers[this.rank === 0 ? r : 0]!;
  }

  private async sendTo(r: number, socket: FramedSocket, seq: number, kind: Kind, payload: Uint8Array | Uint8Array[]): Promise<void> {
    try {
      await socket.send(seq, Op.Data, this.rank, payload, kind);
    } catch {
      throw this.disconnectError(r, socket);
    }
  }

  private async recvFrom(r: number, kind: Kind, seq: number): Promise<Message> {
    const socket = this.peerSocket(r);
    let m: Message;
    try {
      m = await socket.recv();
    } catch (err) {
      if (err instanceof ConnectionClosedError) throw this.disconnectError(r, socket);
      throw err;
    }
    if (m.op === Op.Abort) {
      const { why, culprit } = decodeAbort(m.payload);
      throw new ProcessGroupError(`${why} (reported by rank 0; this is rank ${this.rank}, in ${KIND_NAMES[kind]})`, culprit);
    }
    if (m.op !== Op.Data || m.flags !== kind || m.seq !== seq) {
      const theirs = KIND_NAMES[m.flags as Kind] ?? `op ${m.op}`;
      throw new ProcessGroupError(
        `rank ${r} called ${theirs} (collective #${m.seq}) while rank ${this.rank} is in ${KIND_NAMES[kind]} (collective #${seq}): ` +
          `every rank must call the same collectives in the same order`,
        r,
      );
    }
    return m;
  }

  private disconnectError(r: number, socket: FramedSocket): ProcessGroupError {
    const during = this.failCurrent ? ` during ${this.currentName}` : "";
    const how = socket.byeReceived ? " (it left the group with destroy())" : "";
    return new ProcessGroupError(`rank ${r} disconnected${during}${how}`, r);
  }

  /** A socket closed. Inside a collective the pending receive fails by itself; between collectives we record it. */
  private onPeerClosed(r: number, socket: FramedSocket): void {
    if (this.destroyed) return;
    if (socket.byeReceived && !this.failCurrent) {
      // A graceful leave: only an error if someone still calls a collective.
      if (!this.broken) {
        this.broken = new ProcessGroupError(`rank ${r} has left the group (it called destroy())`, r);
        this.brokenByLeave = true;
      }
      return;
    }
    const err = this.disconnectError(r, socket);
    if (this.failCurrent) this.failCurrent(err);
    else this.breakGroup(err);
  }

  /** Remember the first failure; rank 0 forwards it to every surviving rank. */
  private breakGroup(err: ProcessGroupError): void {
    if (this.broken && !this.brokenByLeave) return;
    this.broken = err;
    this.brokenByLeave = false;
    this.pairMemory?.release();
    if (this.rank !== 0) return;
    const abort = encodeAbort(err.message.replace(/^rank 0: /, ""), err.rank);
    this.peers.forEach((p, r) => {
      if (r > 0 && p && !p.isClosed) void p.send(0, Op.Abort, 0, abort).catch(() => undefined);
    });
  }

  /** Sockets keep the event loop alive only while a collective runs, so a script that forgets destroy() still exits. */
  private setRef(on: boolean): void {
    for (const p of this.peers) {
      if (p && !p.isClosed) {
        if (on) p.socket.ref();
        else p.socket.unref();
      }
    }
  }
}
