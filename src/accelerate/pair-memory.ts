// The shared memory of a two-process allReduce (process-group.ts, pairAllReduce), when both processes run on
// one host with the native addon: each rank writes what its peer must read into a segment of its own, which
// the peer has mapped, and tells it so in a message of a few bytes. The socket then carries only those
// messages; the 6.7 MB halves of a BERT-Mini gradient no longer go through the kernel (bench/NOTES.md, "The
// exchange through shared memory").
//
// A rank's segment holds two areas of `capacity` floats: its contribution to the peer's half, then its own
// reduced half. Each is written only when the peer cannot be reading it: the contribution at the start of a
// collective (the peer finished reading the last one before it sent its reduced half), the reduced half after
// the peer's contribution for the same collective arrived (the peer finished copying the last one before
// it sent that). So one segment serves every collective, whatever the lengths, while they fit.
//
// The segment is offered once, in a collective that still travels by socket: the peer opens it, says so in
// its reply, and the creator then removes the name (the mappings stay). A peer on another host, or one
// without the addon, cannot open it: that direction stays on the socket.
import type { SharedMemory } from "../backend/shared-memory";

/** How a message's floats travel: in the message, or in the sender's segment. */
export enum Carried {
  Inline = 0,
  InSegment = 1,
}

/** A segment as this rank sees it: its floats, and how many each area holds. */
interface Segment {
  f32: Float32Array;
  capacity: number;
}

/** What the contribution message says before its floats (if inline): u32 total | u32 carried | u32 offered name length | name. */
export interface ContributionHeader {
  total: number;
  carried: Carried;
  /** A new segment of the sender's, to open: its name and capacity. */
  offer: { name: string; capacity: number } | null;
  /** Where the inline floats start in the payload (a multiple of 4). */
  floatsAt: number;
}

export function encodeContributionHeader(total: number, carried: Carried, offer: { name: string; capacity: number } | null): Uint8Array {
  const name = offer ? new TextEncoder().encode(offer.name) : new Uint8Array(0);
  const out = new Uint8Array(16 + ((name.byteLength + 3) & ~3));
  const view = new DataView(out.buffer);
  view.setUint32(0, total, true);
  view.setUint32(4, carried, true);
  view.setUint32(8, name.byteLength, true);
  view.setUint32(12, offer?.capacity ?? 0, true);
  out.set(name, 16);
  return out;
}

/** null when the payload is too short to hold a header (a peer of another version). */
export function decodeContributionHeader(payload: Uint8Array): ContributionHeader | null {
  if (payload.byteLength < 16) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const nameBytes = view.getUint32(8, true);
  const floatsAt = 16 + ((nameBytes + 3) & ~3);
  if (floatsAt > payload.byteLength) return null;
  const carried = view.getUint32(4, true);
  return {
    total: view.getUint32(0, true),
    carried: carried === Carried.InSegment ? Carried.InSegment : Carried.Inline,
    offer: nameBytes > 0 ? { name: new TextDecoder().decode(payload.subarray(16, 16 + nameBytes)), capacity: view.getUint32(12, true) } : null,
    floatsAt,
  };
}

/** The reduced-half message: u32 carried | u32 accepted (the peer's offer in this collective was opened) | floats if inline. */
export function encodeReducedHeader(carried: Carried, accepted: boolean): Uint8Array {
  return new Uint8Array(Uint32Array.of(carried, accepted ? 1 : 0).buffer);
}

export function decodeReducedHeader(payload: Uint8Array): { carried: Carried; accepted: boolean; floatsAt: number } | null {
  if (payload.byteLength < 8) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, 8);
  return { carried: view.getUint32(0, true) === Carried.InSegment ? Carried.InSegment : Carried.Inline, accepted: view.getUint32(4, true) === 1, floatsAt: 8 };
}

/** One rank's side of the pair's shared memory. */
export class PairMemory {
  /** This rank's segment, once the peer has opened it. */
  private mine: Segment | null = null;
  /** A segment offered in the collective under way, not yet accepted. */
  private offered: (Segment & { name: string }) | null = null;
  /** The peer refused an offer (another host), or no segment could be made: this direction stays on the socket. */
  private refused = false;
  /** Why a segment could not be made, for describe(). */
  private why = "";
  /** The peer's segment, as mapped here. */
  private theirs: Segment | null = null;
  /** The peer's segment offered in the collective under way: its reduced half of this one is still in the old. */
  private incoming: Segment | null = null;

  constructor(private readonly shm: SharedMemory) {}

  /**
   * Where this rank's contribution of `n` floats goes in this collective: its segment's first area when the
   * peer reads it, else null (inline), with a new segment to offer when this one is missing or too small.
   */
  contributionArea(n: number, halfCapacity: number): { area: Float32Array | null; offer: { name: string; capacity: number } | null } {
    if (this.mine && n <= this.mine.capacity) return { area: this.mine.f32.subarray(0, n), offer: null };
    if (this.refused || halfCapacity === 0) return { area: null, offer: null };
    let made: { name: string; buffer: ArrayBuffer };
    try {
      made = this.shm.create(halfCapacity * 2 * 4);
    } catch (err) {
      // No room in /dev/shm (a container's is 64 MB by default): this direction keeps the socket.
      this.refused = true;
      this.why = (err as Error).message;
      return { area: null, offer: null };
    }
    this.offered = { name: made.name, f32: new Float32Array(made.buffer), capacity: halfCapacity };
    return { area: null, offer: { name: made.name, capacity: halfCapacity } };
  }

  /** Where this rank's reduced half of `n` floats goes: its segment's second area when the peer reads it. */
  reducedArea(n: number): Float32Array | null {
    if (!this.mine || n > this.mine.capacity) return null;
    return this.mine.f32.subarray(this.mine.capacity, this.mine.capacity + n);
  }

  /**
   * The collective is over; the peer answered this one's offer (if one was made). Both sides' new segments
   * are used from the next collective on: in this one, the reduced halves went to the old ones.
   */
  endCollective(peerAccepted: boolean): void {
    if (this.incoming) this.theirs = this.incoming;
    this.incoming = null;
    if (!this.offered) return;
    this.shm.unlink(this.offered.name);
    if (peerAccepted) this.mine = { f32: this.offered.f32, capacity: this.offered.capacity };
    else this.refused = true;
    this.offered = null;
  }

  /** Open the peer's offered segment; false when this host cannot (the peer then keeps its socket). */
  accept(offer: { name: string; capacity: number }): boolean {
    try {
      this.incoming = { f32: new Float32Array(this.shm.open(offer.name, offer.capacity * 2 * 4)), capacity: offer.capacity };
      return true;
    } catch {
      return false;
    }
  }

  /** The peer's contribution of `n` floats in its segment, or null when it has no segment that holds them. */
  peerContribution(n: number): Float32Array | null {
    return this.theirs && n <= this.theirs.capacity ? this.theirs.f32.subarray(0, n) : null;
  }

  /** The peer's reduced half of `n` floats in its segment. */
  peerReduced(n: number): Float32Array | null {
    return this.theirs && n <= this.theirs.capacity ? this.theirs.f32.subarray(this.theirs.capacity, this.theirs.capacity + n) : null;
  }

  /** Whether each direction goes through shared memory: "shared memory", "socket", or a mix. */
  describe(): string {
    const out = this.mine !== null;
    const inn = this.theirs !== null;
    if (out && inn) return "shared memory";
    if (!out && !inn) return this.why ? `socket (${this.why})` : "socket";
    return out ? "shared memory out, socket in" : "socket out, shared memory in";
  }

  /** Leave nothing named behind (an offer still pending when the group ends or breaks). */
  release(): void {
    if (this.offered) this.shm.unlink(this.offered.name);
    this.offered = null;
  }
}
