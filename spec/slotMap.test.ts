// SlotMap answers as a plain Map written the same way would (contents, size, lookups, the
// ascending PASID list), over seeded random writes and across the steps that share its
// unchanged chunks: small maps (one chunk) and maps of hundreds of slots (chunks that split
// and empty).
import { describe, expect, it } from 'vitest';
import { rng } from '../vocab/random.ts';
import { SlotMap } from './slotMap.ts';
import type { Slot } from './state.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? 20261129);

const sorted = (m: ReadonlyMap<number, Slot>): [number, Slot][] => [...m].sort((a, b) => a[0] - b[0]);

describe('SlotMap', () => {
  for (const { range, steps } of [{ range: 60, steps: 1500 }, { range: 700, steps: 1500 }]) {
    it(`holds what a plain Map holds after the same writes, step after step, PASIDs 1..${range} (seed ${SEED}; replay: SVACHECK_SEED=${SEED})`, () => {
      const random = rng(SEED);
      let map: ReadonlyMap<number, Slot> = new Map();
      let plain = new Map<number, Slot>();
      const history: [SlotMap, Map<number, Slot>, readonly number[]][] = [];
      for (let step = 0; step < steps; step++) {
        const next = SlotMap.writable(map), copy = new Map(plain);
        // Mostly fills while the map is young, so the large range builds hundreds of slots.
        const fill = step < steps / 2 ? 0.8 : 0.45;
        for (let w = 0, n = 1 + Math.floor(random() * 3); w < n; w++) {
          const pasid = 1 + Math.floor(random() * range);
          const slot: Slot | null = random() > fill ? null : { kind: 'sva', mm: Math.floor(random() * 3), dev: 0, users: 1 + Math.floor(random() * 2) };
          next.write(pasid, slot);
          if (slot === null) copy.delete(pasid); else copy.set(pasid, slot);
        }
        history.push([next, copy, next.pasids()]);
        map = next; plain = copy;
      }
      if (range > 64) expect(Math.max(...history.map(([m]) => m.size))).toBeGreaterThan(200);   // several chunks
      // Every state, also the earlier ones the later steps built on, still holds what it held,
      // and the PASID list handed out at its step is still its list.
      const wrong: string[] = [];
      history.forEach(([m, p, listed], step) => {
        const want = sorted(p);
        if (m.size !== p.size) wrong.push(`step ${step}: size ${m.size}, want ${p.size}`);
        const got = [...m];                                               // ascending, every slot once
        if (got.length !== want.length || got.some(([k, v], i) => k !== want[i][0] || v !== want[i][1])) wrong.push(`step ${step}: entries`);
        if (m.pasids() !== listed || listed.join() !== want.map((e) => e[0]).join()) wrong.push(`step ${step}: PASID list`);
        for (let pasid = 0; pasid <= range + 1; pasid++) if (m.get(pasid) !== p.get(pasid)) wrong.push(`step ${step}: get(${pasid}) ascending`);
        for (let k = 0; k < 50; k++) {                                    // any order: the search, not the hint
          const pasid = Math.floor(random() * (range + 2));
          if (m.get(pasid) !== p.get(pasid) || m.has(pasid) !== p.has(pasid)) wrong.push(`step ${step}: get(${pasid})`);
        }
      });
      expect(wrong.slice(0, 10)).toEqual([]);
    });
  }
});
