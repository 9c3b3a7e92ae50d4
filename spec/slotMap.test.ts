// SlotMap answers as a plain Map written the same way would (contents, size, lookups), over
// seeded random writes and across the steps that share its unchanged part.
import { describe, expect, it } from 'vitest';
import { rng } from '../vocab/random.ts';
import { SlotMap } from './slotMap.ts';
import type { Slot } from './state.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? 20261129);

describe('SlotMap', () => {
  it(`holds what a plain Map holds after the same writes, step after step (seed ${SEED}; replay: SVACHECK_SEED=${SEED})`, () => {
    const random = rng(SEED);
    let map: ReadonlyMap<number, Slot> = new Map();
    let plain = new Map<number, Slot>();
    const history: [ReadonlyMap<number, Slot>, Map<number, Slot>][] = [];
    for (let step = 0; step < 2000; step++) {
      const next = SlotMap.writable(map), copy = new Map(plain);
      for (let w = 0, n = 1 + Math.floor(random() * 3); w < n; w++) {
        const pasid = 1 + Math.floor(random() * 60);
        const slot: Slot | null = random() < 0.4 ? null : { kind: 'sva', mm: Math.floor(random() * 3), dev: 0, users: 1 + Math.floor(random() * 2) };
        next.write(pasid, slot);
        if (slot === null) copy.delete(pasid); else copy.set(pasid, slot);
      }
      history.push([next, copy]);
      map = next; plain = copy;
    }
    // Every state, also the earlier ones the later steps built on, still holds what it held.
    for (const [m, p] of history) {
      expect(m.size).toBe(p.size);
      expect(new Map([...m].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...p].sort((a, b) => a[0] - b[0])));
      for (let pasid = 0; pasid <= 61; pasid++) expect(m.get(pasid)).toEqual(p.get(pasid));
    }
  });
});
