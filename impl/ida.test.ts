import { describe, expect, it } from 'vitest';
import { Ida } from './ida.ts';
import { rng as prng } from '../vocab/random.ts';


/** The obviously-right reference: scan up from min for the first id not in the set. */
class NaiveIda {
  readonly held = new Set<number>();
  constructor(readonly size: number, readonly reserved: ReadonlySet<number>) {}
  allocRange(min: number, max: number): number | null {
    for (let id = min; id <= Math.min(max, this.size - 1); id++) {
      if (!this.held.has(id) && !this.reserved.has(id)) { this.held.add(id); return id; }
    }
    return null;
  }
  free(id: number): boolean { return this.held.delete(id); }
}

const SEED = Number(process.env.SVACHECK_SEED ?? Date.now() % 2 ** 31);

describe('Ida (A1: lowest free id in [1, max-1])', () => {
  it.each([
    { size: 2 ** 20, maxes: [2, 4, 256, 2 ** 20, 2 ** 20, 2 ** 20] },
    { size: 100, maxes: [1, 2, 33, 99, 100] },
    { size: 64, maxes: [1, 31, 32, 63] },
  ])('agrees with a naive reference on seeded random sequences (size $size)', ({ size, maxes }) => {
    console.log(`ida random test seed=${SEED} (replay: SVACHECK_SEED=${SEED} npx vitest run impl/ida.test.ts)`);
    const rnd = prng(SEED ^ size);
    const fast = new Ida(size, [0]);
    const ref = new NaiveIda(size, new Set([0]));
    const held: number[] = [];
    for (let step = 0; step < 20000; step++) {
      if (held.length > 0 && rnd() < 0.3) { // alloc-heavy, so words fill up and the upper levels matter
        const id = held.splice(Math.floor(rnd() * held.length), 1)[0];
        expect(fast.free(id), `seed ${SEED} step ${step} free ${id}`).toBe(ref.free(id));
      } else {
        const max = maxes[Math.floor(rnd() * maxes.length)] - 1;
        const got = fast.allocRange(1, max);
        expect(got, `seed ${SEED} step ${step} alloc [1, ${max}]`).toBe(ref.allocRange(1, max));
        if (got !== null) held.push(got);
      }
    }
    expect(fast.heldIds()).toEqual([...ref.held].sort((a, b) => a - b));
    expect(fast.count).toBe(ref.held.size);
  });

  it('hands out the last id of a 20-bit space, then reports it full', () => {
    const ida = new Ida(2 ** 20, [0]);
    for (let i = 1; i < 2 ** 20; i++) if (ida.allocRange(1, 2 ** 20 - 1) !== i) throw new Error(`expected ${i}`);
    expect(ida.count).toBe(2 ** 20 - 1);
    expect(ida.allocRange(1, 2 ** 20 - 1)).toBeNull();
    expect(ida.free(2 ** 20 - 1)).toBe(true);
    expect(ida.allocRange(1, 2 ** 20 - 2)).toBeNull(); // the only hole is above this range
    expect(ida.allocRange(1, 2 ** 20)).toBe(2 ** 20 - 1); // max is clamped to the space
    expect(ida.free(777)).toBe(true);
    expect(ida.free(12345)).toBe(true);
    expect(ida.allocRange(1, 2 ** 20 - 1)).toBe(777);
    expect(ida.allocRange(1, 2 ** 20 - 1)).toBe(12345);
  });

  it('never hands out or frees a reserved id (PASID 0 / ASID 0)', () => {
    const ida = new Ida(4, [0]);
    expect([ida.allocRange(0, 3), ida.allocRange(0, 3), ida.allocRange(0, 3), ida.allocRange(0, 3)]).toEqual([1, 2, 3, null]);
    expect(ida.free(0)).toBe(false);
    expect(ida.has(0)).toBe(false);
    expect(ida.heldIds()).toEqual([1, 2, 3]);
  });

  it('one foreign holder of PASID 1 starves a 1-SSID device (A2)', () => {
    const ida = new Ida(2 ** 20, [0]);
    expect(ida.allocRange(1, 2 ** 20 - 1)).toBe(1); // e.g. a kernel DMA PASID for the NIC
    expect(ida.allocRange(1, 1)).toBeNull(); // max_pasids 2: only PASID 1 is usable
    expect(ida.allocRange(1, 3)).toBe(2);
  });

  it('takes a min above the first free id through the slow path, still lowest-free', () => {
    const ida = new Ida(64, [0]);
    expect(ida.allocRange(10, 20)).toBe(10);
    expect(ida.allocRange(10, 20)).toBe(11);
    expect(ida.allocRange(1, 20)).toBe(1);
  });

  it('refills holes lowest-first with hundreds of thousands of holders (speed: npm run bench)', () => {
    const ida = new Ida(2 ** 20, [0]);
    for (let i = 0; i < 500_000; i++) ida.allocRange(1, 2 ** 20 - 1);
    for (let i = 1; i < 500_000; i += 3) ida.free(i);
    let last = 0;
    for (let i = 0; i < 150_000; i++) last = ida.allocRange(1, 2 ** 20 - 1) ?? -1;
    expect(ida.count).toBe(500_000 - 166_667 + 150_000);
    expect(last).toBe(1 + 3 * 149_999); // holes refilled strictly in ascending order
  });
});
