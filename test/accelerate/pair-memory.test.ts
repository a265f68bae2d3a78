// The two-process exchange's segment bookkeeping (src/accelerate/pair-memory.ts) on a stand-in for the addon's
// shared memory: when a segment is offered, used, replaced and its name removed; a peer's new segment read only
// from the next collective; no room for a segment leaves the socket in use. Real processes and the real addon:
// test/accelerate/process-group.test.ts.
import { describe, expect, it } from "vitest";
import type { SharedMemory } from "../../src/backend/shared-memory";
import {
  Carried,
  PairMemory,
  decodeContributionHeader,
  decodeReducedHeader,
  encodeContributionHeader,
  encodeReducedHeader,
} from "../../src/accelerate/pair-memory";

/** Segments as plain ArrayBuffers in a map, so both "processes" of a test can be one. */
function standIn(options: { failCreate?: string } = {}) {
  const named = new Map<string, ArrayBuffer>();
  const log: string[] = [];
  let next = 0;
  const shm: SharedMemory = {
    create(bytes) {
      if (options.failCreate) throw new Error(options.failCreate);
      const name = `/kit-1-${next++}-0`;
      const buffer = new ArrayBuffer(bytes);
      named.set(name, buffer);
      log.push(`create ${name} ${bytes}`);
      return { name, buffer };
    },
    open(name, bytes) {
      const b = named.get(name);
      if (!b || b.byteLength < bytes) throw new Error(`no segment ${name}`);
      log.push(`open ${name}`);
      return b;
    },
    unlink(name) {
      named.delete(name);
      log.push(`unlink ${name}`);
    },
    sumPair() {
      throw new Error("not used here");
    },
  };
  return { shm, log, named };
}

describe("PairMemory", () => {
  it("offers a segment sized for the halves, uses it once the peer accepted, and removes its name then", () => {
    const { shm, log, named } = standIn();
    const m = new PairMemory(shm);
    const first = m.contributionArea(4, 5);
    expect(first.area).toBeNull(); // the first collective goes by socket, carrying the offer
    expect(first.offer).toEqual({ name: "/kit-1-0-0", capacity: 5 });
    expect(m.reducedArea(5)).toBeNull();
    m.endCollective(true);
    expect(named.has("/kit-1-0-0")).toBe(false);
    expect(log).toEqual(["create /kit-1-0-0 40", "unlink /kit-1-0-0"]);
    const second = m.contributionArea(5, 5);
    expect(second.offer).toBeNull();
    expect(second.area?.length).toBe(5);
    // Two areas of the segment: the contribution, then the reduced half; never the same floats.
    const reduced = m.reducedArea(4)!;
    expect(reduced.byteOffset).toBe(5 * 4);
    expect(reduced.buffer).toBe(second.area!.buffer);
    expect(m.describe()).toBe("shared memory out, socket in");
  });

  it("a collective that outgrows the segment offers a bigger one and meanwhile travels by socket", () => {
    const { shm } = standIn();
    const m = new PairMemory(shm);
    m.contributionArea(2, 2);
    m.endCollective(true);
    const grown = m.contributionArea(3, 3);
    expect(grown.area).toBeNull();
    expect(grown.offer?.capacity).toBe(3);
    // The reduced half still fits the segment in use: it goes there, where the peer reads it in this collective.
    expect(m.reducedArea(2)?.length).toBe(2);
    m.endCollective(true);
    expect(m.contributionArea(3, 3).area?.length).toBe(3);
  });

  it("a refused offer (a peer on another host) keeps the socket, without offering again", () => {
    const { shm, log } = standIn();
    const m = new PairMemory(shm);
    m.contributionArea(4, 4);
    m.endCollective(false);
    expect(m.contributionArea(4, 4)).toEqual({ area: null, offer: null });
    expect(log.filter((l) => l.startsWith("create"))).toHaveLength(1);
    expect(log).toContain("unlink /kit-1-0-0");
    expect(m.describe()).toBe("socket");
  });

  it("no room for a segment: the socket, and describe() says why", () => {
    const { shm } = standIn({ failCreate: "shared memory: posix_fallocate of /kit-1-0-0 failed: No space left on device" });
    const m = new PairMemory(shm);
    expect(m.contributionArea(4, 4)).toEqual({ area: null, offer: null });
    expect(m.contributionArea(4, 4)).toEqual({ area: null, offer: null });
    expect(m.describe()).toBe("socket (shared memory: posix_fallocate of /kit-1-0-0 failed: No space left on device)");
  });

  it("the peer's new segment is read from the next collective on: in this one its reduced half is in the old", () => {
    const peer = standIn();
    const m = new PairMemory(peer.shm);
    const old = peer.shm.create(2 * 2 * 4);
    expect(m.accept({ name: old.name, capacity: 2 })).toBe(true);
    m.endCollective(false);
    new Float32Array(old.buffer).set([1, 2, 3, 4]);
    expect([...m.peerContribution(2)!]).toEqual([1, 2]);
    expect([...m.peerReduced(2)!]).toEqual([3, 4]);
    const bigger = peer.shm.create(3 * 2 * 4);
    expect(m.accept({ name: bigger.name, capacity: 3 })).toBe(true);
    expect([...m.peerReduced(2)!]).toEqual([3, 4]); // still the old segment
    m.endCollective(false);
    new Float32Array(bigger.buffer).set([5, 6, 7, 8, 9, 10]);
    expect([...m.peerReduced(3)!]).toEqual([8, 9, 10]);
    expect(m.peerContribution(4)).toBeNull(); // more than it holds
    expect(m.accept({ name: "/kit-1-99-0", capacity: 3 })).toBe(false);
  });

  it("release() removes the name of an offer still pending", () => {
    const { shm, named } = standIn();
    const m = new PairMemory(shm);
    m.contributionArea(4, 4);
    expect(named.size).toBe(1);
    m.release();
    expect(named.size).toBe(0);
  });
});

describe("the exchange's headers", () => {
  it("round-trip, with and without an offer, and a short payload reads as none", () => {
    const plain = decodeContributionHeader(encodeContributionHeader(1001, Carried.InSegment, null))!;
    expect(plain).toEqual({ total: 1001, carried: Carried.InSegment, offer: null, floatsAt: 16 });
    const offered = encodeContributionHeader(7, Carried.Inline, { name: "/kit-12-3-abc", capacity: 4 });
    expect(offered.byteLength % 4).toBe(0);
    expect(decodeContributionHeader(offered)).toEqual({ total: 7, carried: Carried.Inline, offer: { name: "/kit-12-3-abc", capacity: 4 }, floatsAt: 32 });
    expect(decodeContributionHeader(new Uint8Array(12))).toBeNull();
    expect(decodeReducedHeader(encodeReducedHeader(Carried.Inline, true))).toEqual({ carried: Carried.Inline, accepted: true, floatsAt: 8 });
    expect(decodeReducedHeader(new Uint8Array(4))).toBeNull();
  });
});
