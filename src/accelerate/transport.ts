// Length-prefixed binary messages over one TCP socket. The process group speaks only in whole messages;
// this module turns the byte stream into them and reports the peer's departure exactly once.
//
// Wire format of one message (little endian):
//   u32 length of what follows | u32 sequence | u8 op | u8 flags | u16 sender rank | payload
// The 8-byte header after the length keeps the payload 4-byte aligned inside a fresh ArrayBuffer, so a
// Float32Array / Int32Array view of it needs no copy.
import * as net from "node:net";

export const HEADER_BYTES = 8;
/** Frames bigger than this are a protocol error (a stray client, not a tensor): 2^31 bytes. */
const MAX_FRAME = 0x7fff_ffff;
/** Frames at least this big may be received into a recycled buffer (see FramedSocket.recycle). */
const RECYCLE_MIN_BYTES = 1 << 20;
/** How many such buffers a socket keeps. */
const MAX_SPARES = 4;

export enum Op {
  Hello = 1,
  Ready = 2,
  Data = 3,
  Abort = 4,
  Bye = 5,
}

export interface Message {
  seq: number;
  op: Op;
  flags: number;
  sender: number;
  /** The payload, aligned at a multiple of 4 inside its own ArrayBuffer. */
  payload: Uint8Array;
}

/** Why a connection ended: "closed" (FIN / RST / process death) or "error" (socket error before closing). */
export type CloseReason = { kind: "closed" | "error" | "protocol"; detail: string };

/** A socket that sends and receives whole messages. Messages from one peer arrive in the order sent. */
export class FramedSocket {
  private readonly queue: Message[] = [];
  private waiter: { resolve: (m: Message) => void; reject: (e: Error) => void } | null = null;
  private closed: CloseReason | null = null;
  private closeListeners: ((reason: CloseReason) => void)[] = [];
  /** The peer said goodbye (destroy()) before closing: its departure is not a failure by itself. */
  byeReceived = false;
  // Partial-frame state.
  private headerBuf = Buffer.alloc(4);
  private headerFill = 0;
  private frame: Uint8Array | null = null;
  private frameFill = 0;
  /** Big frames' buffers handed back by their consumer, for the next frames of the same lengths. */
  private spares: ArrayBuffer[] = [];

  /**
   * `reads`: the socket was made with an `onread` buffer (see connectWithRetry) whose callback feeds this
   * object; else it listens to 'data' events.
   */
  constructor(
    readonly socket: net.Socket,
    reads?: ReadSink,
  ) {
    socket.setNoDelay(true); // a collective is a request/response exchange: Nagle would add ~40 ms per round
    socket.setKeepAlive(true, 5_000); // a host that vanishes without FIN is noticed by the collective timeout anyway
    if (reads) reads.onData = (chunk) => this.onData(chunk);
    else socket.on("data", (chunk: Buffer) => this.onData(chunk));
    let lastError = "";
    socket.on("error", (err: NodeJS.ErrnoException) => {
      lastError = err.code ?? err.message;
    });
    socket.on("close", () => this.finish({ kind: lastError ? "error" : "closed", detail: lastError || "connection closed" }));
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  onClose(listener: (reason: CloseReason) => void): void {
    if (this.closed) listener(this.closed);
    else this.closeListeners.push(listener);
  }

  /**
   * Send one message whose payload is `payload`, or the concatenation of several parts (written together
   * without being copied into one buffer first). Resolves once the kernel has taken the bytes: until then
   * the caller must not change them.
   */
  send(seq: number, op: Op, sender: number, payload: Uint8Array | readonly Uint8Array[] = new Uint8Array(0), flags = 0): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`cannot send: ${this.closed.detail}`));
    const parts = (payload instanceof Uint8Array ? [payload] : payload).filter((p) => p.byteLength > 0);
    const head = Buffer.allocUnsafe(4 + HEADER_BYTES);
    head.writeUInt32LE(HEADER_BYTES + parts.reduce((n, p) => n + p.byteLength, 0), 0);
    head.writeUInt32LE(seq >>> 0, 4);
    head.writeUInt8(op, 8);
    head.writeUInt8(flags, 9);
    head.writeUInt16LE(sender, 10);
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      // cork/uncork makes header and parts one write (writev) without copying them into a new buffer.
      this.socket.cork();
      if (parts.length === 0) this.socket.write(head, done);
      else this.socket.write(head);
      parts.forEach((p, i) => this.socket.write(Buffer.from(p.buffer, p.byteOffset, p.byteLength), i === parts.length - 1 ? done : undefined));
      this.socket.uncork();
    });
  }

  /** The next message from this peer; rejects if the connection is (or becomes) closed first. */
  recv(): Promise<Message> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.reject(new ConnectionClosedError(this.closed));
    if (this.waiter) return Promise.reject(new Error("FramedSocket.recv: a receive is already pending"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * The consumer is done with a payload this socket delivered: its buffer may receive the next frame of the
   * same length. A data-parallel step receives the same 13 MB gradient message every step; a fresh buffer
   * each time is 13 MB of garbage and as many first-touch page faults.
   */
  recycle(payload: Uint8Array): void {
    if (!(payload.buffer instanceof ArrayBuffer) || payload.buffer.byteLength < RECYCLE_MIN_BYTES) return;
    if (this.spares.includes(payload.buffer)) return;
    // A two-process allReduce receives two frames a step (one per half); a few more lengths may alternate.
    if (this.spares.push(payload.buffer) > MAX_SPARES) this.spares.shift();
  }

  /** Close gracefully (pending sends are flushed). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frame === null) {
        const take = Math.min(4 - this.headerFill, chunk.length - pos);
        chunk.copy(this.headerBuf, this.headerFill, pos, pos + take);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < 4) return;
        const length = this.headerBuf.readUInt32LE(0);
        if (length < HEADER_BYTES || length > MAX_FRAME) {
          this.finish({ kind: "protocol", detail: `bad frame length ${length} (not a kit process group peer?)` });
          this.socket.destroy();
          return;
        }
        const at = this.spares.findIndex((b) => b.byteLength === length);
        const spare = at >= 0 ? this.spares.splice(at, 1)[0]! : null;
        this.frame = new Uint8Array(spare ?? new ArrayBuffer(length));
        this.frameFill = 0;
        this.headerFill = 0;
      }
      const frame = this.frame;
      const take = Math.min(frame.length - this.frameFill, chunk.length - pos);
      frame.set(chunk.subarray(pos, pos + take), this.frameFill);
      this.frameFill += take;
      pos += take;
      if (this.frameFill === frame.length) {
        this.frame = null;
        this.deliver(frame);
      }
    }
  }

  private deliver(frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const message: Message = {
      seq: view.getUint32(0, true),
      op: view.getUint8(4) as Op,
      flags: view.getUint8(5),
      sender: view.getUint16(6, true),
      payload: frame.subarray(HEADER_BYTES),
    };
    if (message.op === Op.Bye) {
      this.byeReceived = true;
      return;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(message);
    } else {
      this.queue.push(message);
    }
  }

  private finish(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = reason;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(new ConnectionClosedError(reason));
    }
    for (const l of this.closeListeners.splice(0)) l(reason);
  }
}

export class ConnectionClosedError extends Error {
  constructor(readonly reason: CloseReason) {
    super(reason.detail);
    this.name = "ConnectionClosedError";
  }
}

// ---- payload codecs -------------------------------------------------------------------------------------

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** What broadcast and allGather carry: a float tensor, raw bytes, or any JSON value. */
export type Transferable = Float32Array | Uint8Array | Json;

const KIND_JSON = 0;
const KIND_F32 = 1;
const KIND_U8 = 2;

/** kind (u32) | payload, padded to 4 bytes so that concatenated values stay aligned. */
export function encodeValue(value: Transferable): Uint8Array {
  let kind: number;
  let body: Uint8Array;
  if (value instanceof Float32Array) {
    kind = KIND_F32;
    body = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (value instanceof Uint8Array) {
    kind = KIND_U8;
    body = value;
  } else {
    kind = KIND_JSON;
    body = new TextEncoder().encode(JSON.stringify(value));
  }
  const out = new Uint8Array(8 + align4(body.byteLength));
  const view = new DataView(out.buffer);
  view.setUint32(0, kind, true);
  view.setUint32(4, body.byteLength, true);
  out.set(body, 8);
  return out;
}

/** Decode one value at `offset`; returns it and the offset of the next one. Copies tensors out of `bytes`. */
export function decodeValue(bytes: Uint8Array, offset = 0): { value: Transferable; next: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint32(offset, true);
  const length = view.getUint32(offset + 4, true);
  const body = bytes.subarray(offset + 8, offset + 8 + length);
  const next = offset + 8 + align4(length);
  if (kind === KIND_F32) return { value: new Float32Array(body.slice().buffer), next };
  if (kind === KIND_U8) return { value: body.slice(), next };
  if (kind === KIND_JSON) return { value: JSON.parse(new TextDecoder().decode(body)) as Json, next };
  throw new Error(`process group: unknown value kind ${kind} in a message (version mismatch between ranks?)`);
}

/** Concatenate several encoded values (each already 4-aligned) into one payload. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Where a socket made with an `onread` buffer delivers what it reads (the buffer is reused after each call). */
export interface ReadSink {
  onData: (chunk: Buffer) => void;
}

/** Bytes read at once into a connected socket's own buffer. */
const READ_BUFFER_BYTES = 1 << 20;

/**
 * Connect to host:port, retrying while the listener is not up yet (rank 0 may start last). The socket reads
 * into one buffer of its own, handed to `reads`: by default Node allocates a fresh 64 KiB buffer per read,
 * 200 of them (13 MB of garbage) for one BERT-Mini gradient message, which V8 then collects in full
 * collections during the step (bench/NOTES.md).
 */
export async function connectWithRetry(host: string, port: number, deadline: number): Promise<{ socket: net.Socket; reads: ReadSink }> {
  let lastError = "";
  // Replaced by the FramedSocket made right after connecting; rank 0 says nothing before this side's Hello.
  const reads: ReadSink = { onData: () => undefined };
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host, port, onread: { buffer, callback: (n: number, buf: Uint8Array) => (reads.onData(Buffer.from(buf.buffer, buf.byteOffset, n)), true) } });
        const onError = (err: NodeJS.ErrnoException) => {
          s.destroy();
          reject(err);
        };
        s.once("error", onError);
        s.once("connect", () => {
          s.off("error", onError);
          resolve(s);
        });
        const left = deadline - Date.now();
        s.setTimeout(Math.max(left, 1), () => onError(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" })));
        s.once("connect", () => s.setTimeout(0));
      });
      return { socket, reads };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      lastError = e.code ?? e.message;
      if (Date.now() + 100 >= deadline) {
        throw new Error(
          `could not reach rank 0 at ${host}:${port} (last error ${lastError}). Is MASTER_ADDR/MASTER_PORT right, ` +
            `is rank 0 running, and is the port open between the hosts?`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(attempt, 4), 500)));
    }
  }
}
