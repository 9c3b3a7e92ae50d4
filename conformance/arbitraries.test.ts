// The random operations offered to a variant are the ones it has: the earlier designs' own
// operations are generated for them (and only where a setup declares IOASID sets, the sets').
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { variantByName } from '../spec/index.ts';
import { RESERVED_NAMES, SEED_SETUP, type Setup } from '../vocab/index.ts';
import { setupProblem } from '../vocab/setup.ts';
import { DecodedInteger, opArb, setupArb } from './arbitraries.ts';
import { scenarioArb, scenarioOps } from './check.ts';

const kinds = (setup: Setup, variant: string): Set<string> =>
  new Set(fc.sample(opArb(setup, variantByName(variant)!.ops), { numRuns: 400, seed: 2018 }).map((o) => o.op));

describe('opArb (seed 2018, 400 samples; replay: the same seed)', () => {
  it("sva-2018: private binds and mm_exit callbacks returning; none of the 2026 designs' bind_pasid", () => {
    const seen = kinds(SEED_SETUP, 'sva-2018');
    expect(seen).toContain('bind_private');
    expect(seen).toContain('mm_exit_done');
    expect(seen).not.toContain('bind_pasid');
  });
  it('ioasid-2020: the set operations where the setup declares sets, never without', () => {
    const withSets = { ...SEED_SETUP, ioasid: { capacity: 8, systemQuota: 4, sets: [{ name: 'vm1', quota: 2 }] } };
    for (const op of ['ioasid_alloc', 'ioasid_free_set', 'ioasid_adjust_set']) {
      expect(kinds(withSets, 'ioasid-2020')).toContain(op);
      expect(kinds(SEED_SETUP, 'ioasid-2020')).not.toContain(op);
    }
  });
  it('random scenarios of ioasid-2020 get IOASID sets within the capacity, and use them; v2\'s get none', () => {
    const scenarios = fc.sample(scenarioArb('ioasid-2020', { maxSteps: 30 }), { numRuns: 40, seed: 2020 });
    for (const [setup] of scenarios) {
      const io = setup.ioasid!;
      expect(io.sets!.reduce((n, s) => n + s.quota, io.systemQuota!)).toBeLessThanOrEqual(io.capacity!);
    }
    expect(scenarios.flatMap(scenarioOps).some((o) => o.op === 'ioasid_alloc')).toBe(true);
    expect(fc.sample(scenarioArb('v2', { maxSteps: 5 }), { numRuns: 10, seed: 2020 }).every(([s]) => s.ioasid === undefined)).toBe(true);
  });
  it('every random setup is usable as generated (no filter drops any): 3000 samples, seed 2018', () => {
    const setups = fc.sample(setupArb, { numRuns: 3000, seed: 2018 });
    expect(setups.filter((s) => setupProblem(s, RESERVED_NAMES) !== null)).toEqual([]);
    // and they vary as described: devices without an IOMMU, shared groups, a second IOMMU without SVA
    expect(setups.some((s) => s.devices.some((d) => d.iommu === null))).toBe(true);
    expect(setups.some((s) => s.devices.some((d) => d.group === 'g0'))).toBe(true);
    expect(setups.some((s) => s.iommus?.some((i) => i.sva === false))).toBe(true);
  });
  it('the 2026 designs get none of them', () => {
    const seen = kinds(SEED_SETUP, 'v2');
    for (const op of ['bind_private', 'mm_exit_done', 'ioasid_alloc']) expect(seen).not.toContain(op);
  });
});

describe('DecodedInteger: the draws and shrinks of fc.noBias(fc.integer).map, in one layer', () => {
  const decode = (n: number) => ({ n, label: `op${n % 7}` });
  for (const size of [1, 2, 13, 1000, 2 ** 31 - 7]) {
    it(`size ${size}: the same values from the same seeds, and the same shrunk counterexamples, shrink counts and paths`, () => {
      const composed = fc.noBias(fc.integer({ min: 0, max: size - 1 })).map(decode), one = new DecodedInteger(size, decode);
      for (const seed of [1, 2, 3, 2026]) {
        expect(fc.sample(one, { seed, numRuns: 50 })).toEqual(fc.sample(composed, { seed, numRuns: 50 }));
        // Shrinking, as fast-check runs it: inside arrays (as fc.commands draws them), with a
        // property that fails on some element above a bound.
        for (const bound of [0, 3, Math.floor(size / 3)]) {
          const run = (arb: fc.Arbitrary<{ n: number }>) => {
            const d = fc.check(fc.property(fc.array(arb, { maxLength: 8 }), (xs) => xs.every((x) => x.n <= bound)), { seed, numRuns: 200 });
            return { failed: d.failed, counterexample: d.counterexample, shrinks: d.numShrinks, path: d.counterexamplePath };
          };
          const a = run(one), b = run(composed);
          expect(a).toEqual(b);
          if (size > bound + 1 && bound > 0) expect(a.failed).toBe(true);
        }
      }
    });
  }
});
