// FramedSocket on a loopback connection: whole messages, and the receive buffer a consumer hands back.
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FramedSocket, Op } from "../../src/accelerate/transport";

const open: FramedSocket[] = [];

/** Two FramedSockets joined by a real TCP connection on 127.0.0.1. */
async function pair(): Promise<[FramedSocket, FramedSocket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => client.once("connect", () => r()));
  const a = new FramedSocket(client);
  const b = new FramedSocket(await accepted);
  server.close();
  open.push(a, b);
  return [a, b];
}

/** n bytes that differ from message to message. */
const bytes = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + salt) & 255);

afterEach(() => open.splice(0).forEach((s) => s.destroy()));

describe("FramedSocket", () => {
  it("delivers each message whole and in order, whatever its size", async () => {
    const [a, b] = await pair();
    const sizes = [0, 1, 5, 65_536, 3_000_001];
    await Promise.all(sizes.map((n, k) => a.send(k, Op.Data, 1, bytes(n, k), 7)));
    for (const [k, n] of sizes.entries()) {
      const m = await b.recv();
      expect([m.seq, m.op, m.flags, m.sender]).toEqual([k, Op.Data, 7, 1]);
      expect(Buffer.from(m.payload).equals(Buffer.from(bytes(n, k)))).toBe(true);
      expect(m.payload.byteOffset % 4).toBe(0);
    }
  });

  it("sends a payload given in parts as their concatenation, and resolves once the kernel has them all", async () => {
    const [a, b] = await pair();
    const parts = [bytes(3, 1), new Uint8Array(0), bytes(1 << 20, 2), bytes(5, 3)];
    // Views into one buffer at odd offsets, as gradients in a heap are.
    const heap = bytes(4096, 9);
    parts.push(heap.subarray(7, 1000), heap.subarray(2000, 2001));
    await a.send(9, Op.Data, 2, parts, 4);
    const m = await b.recv();
    expect([m.seq, m.op, m.flags, m.sender]).toEqual([9, Op.Data, 4, 2]);
    expect(Buffer.from(m.payload).equals(Buffer.concat(parts))).toBe(true);
    await a.send(10, Op.Data, 2, []);
    expect((await b.recv()).payload.byteLength).toBe(0);
  });

  it("receives the next big message of the same length into a recycled buffer, and only then", async () => {
    const [a, b] = await pair();
    const big = 2 << 20;
    await a.send(1, Op.Data, 0, bytes(big, 1));
    const first = await b.recv();
    const kept = first.payload.buffer;
    // Not recycled: the next message must not touch a payload its consumer may still hold.
    await a.send(2, Op.Data, 0, bytes(big, 2));
    const second = await b.recv();
    expect(second.payload.buffer).not.toBe(kept);
    expect(Buffer.from(first.payload).equals(Buffer.from(bytes(big, 1)))).toBe(true);

    b.recycle(second.payload);
    // A message of another length leaves the recycled buffer for the next one that fits.
    await a.send(3, Op.Data, 0, bytes(big + 4, 3));
    const other = await b.recv();
    expect(other.payload.buffer).not.toBe(second.payload.buffer);
    await a.send(4, Op.Data, 0, bytes(big, 4));
    const third = await b.recv();
    expect(third.payload.buffer).toBe(second.payload.buffer);
    expect(Buffer.from(third.payload).equals(Buffer.from(bytes(big, 4)))).toBe(true);

    // Two lengths alternating (a two-process allReduce's two halves): each finds its own buffer again.
    b.recycle(third.payload);
    b.recycle(other.payload);
    await a.send(7, Op.Data, 0, bytes(big + 4, 7));
    await a.send(8, Op.Data, 0, bytes(big, 8));
    const [seventh, eighth] = [await b.recv(), await b.recv()];
    expect(seventh.payload.buffer).toBe(other.payload.buffer);
    expect(eighth.payload.buffer).toBe(third.payload.buffer);
    expect(Buffer.from(seventh.payload).equals(Buffer.from(bytes(big + 4, 7)))).toBe(true);
    expect(Buffer.from(eighth.payload).equals(Buffer.from(bytes(big, 8)))).toBe(true);

    // Small buffers are not worth keeping.
    await a.send(5, Op.Data, 0, bytes(1000, 5));
    const small = await b.recv();
    b.recycle(small.payload);
    await a.send(6, Op.Data, 0, bytes(1000, 6));
    expect((await b.recv()).payload.buffer).not.toBe(small.payload.buffer);
  });
});
