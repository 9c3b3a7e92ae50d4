/**
 * A group's slot map as the object backend keeps it: a persistent sorted map from PASID to
 * slot, so that a step writing one slot copies a small part of the map, not all of it.
 *
 * The map is a list of chunks, each a run of at most CHUNK ascending PASIDs with their slots;
 * every PASID of a chunk lies below every PASID of the next. A group of a 20-bit device may
 * hold hundreds of attaches: copying them (or a hash map of changes) on every step that
 * writes one slot made the object backend's steps cost as much as the map is long. A step's
 * own map (`writable`) copies the list of chunks and, on the first write into a chunk, that
 * chunk; the chunks it does not write stay shared with the map it started from.
 *
 * Why sharing is safe: a chunk records the map that made it (`owner`), and only that map
 * writes into it, only while the step that made the map runs; a map handed on in a State is
 * never written again (a later step writes its own map, made by `writable`). So a published
 * map, and everything it shares, never changes.
 *
 * Iteration gives the slots in ascending PASID order; `pasids()` lists the PASIDs ascending
 * (what the rules iterate through World.slotPasids), built once per map and rebuilt after a
 * write, never changed once handed out.
 *
 * `svaPasids(mm)` lists the PASIDs of mm's SVA bonds (World.svaPasids: per-device asks it at
 * every bind), from an index by mm built on the first call and from then on kept up to date by
 * `write`; a map made by `writable` shares its origin's index until a write changes a bond,
 * then copies it (a Map by mm of lists, each list new when it changes: a list handed out never
 * changes). Until something asks, no map has an index and writes pay nothing for it.
 */
import type { Slot } from './state.ts';

const NO_PASIDS: readonly number[] = Object.freeze([]);

/** The most PASIDs a chunk holds; a chunk that grows past it splits in two halves. */
const CHUNK = 32;

interface Chunk {
  readonly keys: number[];
  readonly vals: Slot[];
  /** The map that made this chunk: the only one that may write into it. */
  readonly owner: SlotMap | null;
}

export class SlotMap implements ReadonlyMap<number, Slot> {
  private list: number[] | null = null;
  /**
   * Where the last lookup found its PASID (chunk, index): the rules walk a group's PASIDs in
   * ascending order and ask each one or two things, so the next lookup usually lands there
   * or one further. Only where `get` looks first: it checks the PASID it finds there, so the
   * answer is the same wherever the hint points (also after a write moved things).
   */
  private hintChunk = 0;
  private hintIndex = 0;
  /** mm → the PASIDs of its SVA bonds, ascending (null: not built); shared with the origin until ownBonds. */
  private bonds: Map<number, readonly number[]> | null = null;
  private ownBonds = false;

  private constructor(private readonly chunks: Chunk[], private n: number) {}

  /** A map of its own for a step to write in place, starting as `from` (left unchanged). */
  static writable(from: ReadonlyMap<number, Slot>): SlotMap {
    if (from instanceof SlotMap) {
      const map = new SlotMap(from.chunks.slice(), from.n);
      map.bonds = from.bonds;
      return map;
    }
    // A plain map (the setup's, or one the model checker decoded, often ascending already).
    let keys: number[] = [], vals: Slot[] = [], ascending = true;
    from.forEach((slot, pasid) => {
      if (keys.length > 0 && keys[keys.length - 1] > pasid) ascending = false;
      keys.push(pasid);
      vals.push(slot);
    });
    if (!ascending) {
      keys = keys.sort((a, b) => a - b);
      vals = keys.map((pasid) => from.get(pasid)!);
    }
    const chunks: Chunk[] = [];
    if (keys.length <= CHUNK) { if (keys.length > 0) chunks.push({ keys, vals, owner: null }); }
    else for (let i = 0; i < keys.length; i += CHUNK) chunks.push({ keys: keys.slice(i, i + CHUNK), vals: vals.slice(i, i + CHUNK), owner: null });
    return new SlotMap(chunks, keys.length);
  }

  /** Write a slot (null: empty it). Only on a map made by `writable`, during its step. */
  write(pasid: number, slot: Slot | null): void {
    if (this.bonds !== null) this.rebond(pasid, this.get(pasid), slot);
    const chunks = this.chunks;
    const c = this.chunkOf(pasid);
    if (c < 0) {                                                         // the map is empty
      if (slot === null) return;
      chunks.push({ keys: [pasid], vals: [slot], owner: this });
      this.n++;
      this.list = null;
      return;
    }
    const chunk = chunks[c], keys = chunk.keys, i = lowerBound(keys, pasid);
    const found = i < keys.length && keys[i] === pasid, own = chunk.owner === this;
    if (found && slot !== null) {                                        // same PASIDs: the list stands
      if (own) chunk.vals[i] = slot;
      else { const vals = chunk.vals.slice(); vals[i] = slot; chunks[c] = { keys: keys.slice(), vals, owner: this }; }   // its own keys too: a later write of the step may change them
      return;
    }
    if (!found && slot === null) return;
    this.list = null;
    if (found) {
      this.n--;
      if (keys.length === 1) { chunks.splice(c, 1); return; }
      chunks[c] = { keys: without(keys, i, own), vals: without(chunk.vals, i, own), owner: this };
      return;
    }
    this.n++;
    const k2 = withAt(keys, i, pasid, own), v2 = withAt(chunk.vals, i, slot!, own);
    if (k2.length <= CHUNK) { chunks[c] = { keys: k2, vals: v2, owner: this }; return; }
    const half = k2.length >> 1;
    chunks.splice(c, 1,
      { keys: k2.slice(0, half), vals: v2.slice(0, half), owner: this },
      { keys: k2.slice(half), vals: v2.slice(half), owner: this });
  }

  /** The PASIDs at which mm has an SVA bond, ascending. The list handed out never changes. */
  svaPasids(mm: number): readonly number[] {
    if (this.bonds === null) {
      const bonds = new Map<number, number[]>();
      for (const c of this.chunks) for (let i = 0; i < c.keys.length; i++) {
        const s = c.vals[i];
        if (s.kind !== 'sva') continue;
        const list = bonds.get(s.mm);
        if (list === undefined) bonds.set(s.mm, [c.keys[i]]); else list.push(c.keys[i]);   // ascending, as the chunks are
      }
      this.bonds = bonds;
      this.ownBonds = true;
    }
    return this.bonds.get(mm) ?? NO_PASIDS;
  }

  /** Keep the index by mm as the slot at pasid goes from `was` to `slot`. */
  private rebond(pasid: number, was: Slot | undefined, slot: Slot | null): void {
    const from = was?.kind === 'sva' ? was.mm : -1, to = slot?.kind === 'sva' ? slot.mm : -1;
    if (from === to) return;
    if (!this.ownBonds) { this.bonds = new Map(this.bonds); this.ownBonds = true; }
    const bonds = this.bonds!;
    if (from >= 0) {
      const list = (bonds.get(from) ?? NO_PASIDS).filter((p) => p !== pasid);
      if (list.length > 0) bonds.set(from, list); else bonds.delete(from);
    }
    if (to >= 0) {
      const list = bonds.get(to) ?? NO_PASIDS, i = lowerBound(list, pasid);
      bonds.set(to, [...list.slice(0, i), pasid, ...list.slice(i)]);
    }
  }

  /** The index of the chunk that holds pasid or would take it: the last whose first PASID is <= pasid, else 0; -1 if none. */
  private chunkOf(pasid: number): number {
    const chunks = this.chunks;
    if (chunks.length === 0) return -1;
    let lo = 0, hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (chunks[mid].keys[0] <= pasid) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** The PASIDs of the filled slots, ascending. The list handed out never changes. */
  pasids(): readonly number[] {
    if (this.list !== null) return this.list;
    const list: number[] = [];
    for (const c of this.chunks) for (const k of c.keys) list.push(k);
    return (this.list = list);
  }

  get size(): number { return this.n; }
  get(pasid: number): Slot | undefined {
    const chunks = this.chunks;
    let c = this.hintChunk, i = this.hintIndex;
    if (c < chunks.length) {
      const keys = chunks[c].keys;
      if (i < keys.length && keys[i] === pasid) return chunks[c].vals[i];
      if (i + 1 < keys.length) {
        if (keys[i + 1] === pasid) { this.hintIndex = i + 1; return chunks[c].vals[i + 1]; }
      } else if (c + 1 < chunks.length && chunks[c + 1].keys[0] === pasid) {
        this.hintChunk = c + 1; this.hintIndex = 0;
        return chunks[c + 1].vals[0];
      }
    }
    c = this.chunkOf(pasid);
    if (c < 0) return undefined;
    const keys = chunks[c].keys;
    i = lowerBound(keys, pasid);
    if (i >= keys.length || keys[i] !== pasid) return undefined;
    this.hintChunk = c; this.hintIndex = i;
    return chunks[c].vals[i];
  }
  has(pasid: number): boolean { return this.get(pasid) !== undefined; }
  *entries(): MapIterator<[number, Slot]> {
    for (const c of this.chunks) for (let i = 0; i < c.keys.length; i++) yield [c.keys[i], c.vals[i]];
  }
  *keys(): MapIterator<number> { for (const c of this.chunks) yield* c.keys; }
  *values(): MapIterator<Slot> { for (const c of this.chunks) yield* c.vals; }
  [Symbol.iterator](): MapIterator<[number, Slot]> { return this.entries(); }
  forEach(fn: (slot: Slot, pasid: number, map: ReadonlyMap<number, Slot>) => void, thisArg?: unknown): void {
    for (const c of this.chunks) for (let i = 0; i < c.keys.length; i++) fn.call(thisArg, c.vals[i], c.keys[i], this);
  }
  get [Symbol.toStringTag](): string { return 'SlotMap'; }
}

/** xs with x inserted at i: xs itself, changed, when this step owns it; else a new list. */
function withAt<T>(xs: T[], i: number, x: T, own: boolean): T[] {
  const out = own ? xs : xs.slice();
  out.push(x);
  for (let j = out.length - 1; j > i; j--) out[j] = out[j - 1];
  out[i] = x;
  return out;
}

/** xs without its element i: xs itself, changed, when this step owns it; else a new list. */
function without<T>(xs: T[], i: number, own: boolean): T[] {
  const out = own ? xs : xs.slice();
  for (let j = i; j < out.length - 1; j++) out[j] = out[j + 1];
  out.pop();
  return out;
}

/** The first index of the ascending list xs whose element is >= x. */
export function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid + 1; else hi = mid; }
  return lo;
}
