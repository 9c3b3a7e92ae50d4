/**
 * The simulator's per-step results against the spec: on the seed's workload, every kernel call
 * of a sample of runs is made on impl/ and on the spec and the results compared; whole short
 * runs on the two engines give the same tallies; and a planted difference is caught.
 */
import { describe, expect, it } from 'vitest';
import { VARIANT_CLASSES } from '../impl/index.ts';
import { seedWorkload, simulate, simulateRun, withParam, LockstepDifference } from './index.ts';
import { setupFor } from './run.ts';
import { createTarget, LockstepTarget, type Target } from './target.ts';

const SEED = 20260521;
const IMPL_VARIANTS = Object.keys(VARIANT_CLASSES);

describe('impl/ against the spec on the seed workload', () => {
  for (const variant of IMPL_VARIANTS) {
    it(`${variant}: 4000 calls per run compared, at load 2 and 12`, () => {
      for (const load of [2, 12]) {
        const w = { ...withParam(seedWorkload(), 'load', load), horizon: 200 };
        for (const replication of [0, 1]) {
          const r = simulateRun(w, variant, { engine: 'impl', seed: SEED, replication, verify: 4000 });
          expect(r.checked, `load ${load}, replication ${replication}`).toBe(Math.min(4000, r.ops));
          expect(r.checked).toBeGreaterThan(1000);
        }
      }
    });
  }

  it('whole runs on impl/ and on the spec give the same counts, call for call', () => {
    const w = { ...withParam(seedWorkload(), 'load', 8), horizon: 60 };
    for (const variant of IMPL_VARIANTS) {
      const onImpl = simulateRun(w, variant, { engine: 'impl', seed: SEED, replication: 3 });
      const onSpec = simulateRun(w, variant, { engine: 'spec', seed: SEED, replication: 3 });
      expect({ ...onSpec, engine: 'impl' }, variant).toEqual(onImpl);
      expect(onImpl.ops).toBeGreaterThan(500);
    }
  });

  it('a planted difference (an implementation that refuses the 20th bind) is caught at that call', () => {
    const setup = setupFor(seedWorkload());
    const inner = createTarget('impl', setup, 'v2');
    let binds = 0;
    const liar: Target = Object.assign(Object.create(inner) as Target, {
      bind(dev: number, mm: number) { return ++binds === 20 ? { ok: false as const, errno: 'ENOSPC' as const } : inner.bind(dev, mm); },
    });
    const t = new LockstepTarget(setup, 'v2', 10_000, liar);
    let caught: unknown = null;
    try {
      for (let i = 0; i < 30; i++) {
        const b = t.bind(2, i);
        if (b.ok) t.unbind(b.handle);
      }
    } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(LockstepDifference);
    expect((caught as LockstepDifference).message).toMatch(/operation 38 \(bind \{dev: nic, mm: p19\}\): impl gives ENOSPC, the spec 20$/);
  });
});

describe('determinism', () => {
  it('the same seed gives the same numbers; another seed other numbers', () => {
    const opts = { variants: ['upstream', 'v2'], seed: 7, sweep: { param: 'load', values: [4] }, replications: 2, horizon: 100 };
    const strip = (r: ReturnType<typeof simulate>) => ({ ...r, ms: 0 });
    const a = simulate(seedWorkload(), opts), b = simulate(seedWorkload(), opts);
    expect(strip(a)).toEqual(strip(b));
    const c = simulate(seedWorkload(), { ...opts, seed: 8 });
    expect(c.points[0].byVariant[0].devices.accel.attempts).not.toBe(a.points[0].byVariant[0].devices.accel.attempts);
  });

  it('every variant sees the same process arrivals (common random numbers)', () => {
    const w = { ...withParam(seedWorkload(), 'load', 6), horizon: 100, onFail: 'stay' as const };
    const attempts = IMPL_VARIANTS.map((v) => simulateRun(w, v, { engine: 'impl', seed: SEED, replication: 0 }).devices.dsp.attempts);
    expect(new Set(attempts).size).toBe(1);
  });
});
