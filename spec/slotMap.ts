/**
 * A group's slot map as a step leaves it, without copying the whole map: the map it started
 * from (a plain Map, never changed) and the slots the steps since wrote (null: emptied). A
 * group of a 20-bit device may hold hundreds of attaches; copying them on every step that
 * writes one slot made the object backend's steps cost as much as the map is long. When the
 * changes grow past a fraction of the map they are folded into a new plain Map, so a read
 * costs at most two lookups. Iteration gives every filled slot once: the map's, in its order,
 * then the slots only the changes hold (the order of a plain Map after the same writes may
 * differ; nothing reads slots by their order).
 */
import type { Slot } from './state.ts';

export class SlotMap implements ReadonlyMap<number, Slot> {
  private constructor(private readonly base: ReadonlyMap<number, Slot>, private readonly delta: Map<number, Slot | null>, private n: number) {}

  /** A map of its own for a step to write in place, starting as `from`. */
  static writable(from: ReadonlyMap<number, Slot>): SlotMap {
    if (from instanceof SlotMap) {
      if (from.delta.size >= 16 + (from.base.size >> 3)) return new SlotMap(new Map(from), new Map(), from.n);   // fold the changes in
      return new SlotMap(from.base, new Map(from.delta), from.n);
    }
    return new SlotMap(from, new Map(), from.size);
  }

  /** Write a slot (null: empty it). Only on a map made by `writable` for this step. */
  write(pasid: number, slot: Slot | null): void {
    const had = this.get(pasid) !== undefined;
    if (slot === null) { if (this.base.has(pasid)) this.delta.set(pasid, null); else this.delta.delete(pasid); }
    else this.delta.set(pasid, slot);
    this.n += (slot !== null ? 1 : 0) - (had ? 1 : 0);
  }

  get size(): number { return this.n; }
  get(pasid: number): Slot | undefined {
    const d = this.delta.get(pasid);
    return d === undefined ? this.base.get(pasid) : d ?? undefined;
  }
  has(pasid: number): boolean { return this.get(pasid) !== undefined; }
  *entries(): MapIterator<[number, Slot]> {
    for (const [p, s] of this.base) {
      const d = this.delta.get(p);
      if (d === undefined) yield [p, s];
      else if (d !== null) yield [p, d];
    }
    for (const [p, d] of this.delta) if (d !== null && !this.base.has(p)) yield [p, d];
  }
  *keys(): MapIterator<number> { for (const [p] of this.entries()) yield p; }
  *values(): MapIterator<Slot> { for (const [, s] of this.entries()) yield s; }
  [Symbol.iterator](): MapIterator<[number, Slot]> { return this.entries(); }
  forEach(fn: (slot: Slot, pasid: number, map: ReadonlyMap<number, Slot>) => void, thisArg?: unknown): void {
    for (const [p, s] of this.entries()) fn.call(thisArg, s, p, this);
  }
  get [Symbol.toStringTag](): string { return 'SlotMap'; }
}
