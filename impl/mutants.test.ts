/**
 * Each example mutant must be caught by a scenario the correct implementation passes: same
 * steps, and the mutant's result or observation differs.
 */
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, type Setup } from '../vocab/index.ts';
import { createBuiltinAdapter } from './adapter.ts';
import { MUTANTS } from './mutants.ts';
import { mmOf, run } from './test-helpers.ts';

const byName = (name: string) => {
  const m = MUTANTS.find((x) => x.name === name);
  if (!m) throw new Error(`no mutant ${name}`);
  return m;
};

describe('example mutants', () => {
  it('each has a rule, a description and an adapter named after it', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(3);
    for (const m of MUTANTS) {
      expect(m.rule).toMatch(/^[A-Z]\d+/);
      expect(m.create().name).toBe(`mutant:${m.name}`);
    }
  });

  it('v2-keeps-idle-local-pasid breaks V4 (ENOSPC where v2 replaces the PASID)', () => {
    const steps = ['bind_pasid accel A 1 as h', 'unbind h'];
    run('v2', SEED_SETUP, [...steps, 'bind_pasid accel A 2 => 2']);
    run('v2', SEED_SETUP, [...steps, 'bind_pasid accel A 2 => ENOSPC'], byName('v2-keeps-idle-local-pasid').create());
  });

  it.each(['upstream', 'v2', 'per-device'] as const)('cd-not-zeroed-on-detach breaks B3 in %s (DMA still reaches the mm)', (v) => {
    const steps = ['bind nic A as h => 1', 'unbind h'];
    run(v, SEED_SETUP, [...steps, 'dma nic 1 => fault']);
    run(v, SEED_SETUP, [...steps, 'dma nic 1 => A'], byName('cd-not-zeroed-on-detach').create());
  });

  it('domain-reuse-across-iommus breaks S5 (one domain spans two SMMUs)', () => {
    const setup: Setup = { devices: [{ name: 'accel', ssidBits: 2 }, { name: 'gpu', ssidBits: 8, iommu: 'smmu1' }], mms: ['A'] };
    const steps = ['bind accel A => 1', 'bind gpu A => 1', 'dma gpu 1 => A'];
    const good = run('upstream', setup, steps, createBuiltinAdapter());
    expect(mmOf(good, 'A').domains).toEqual([{ iommu: 'smmu0', users: 1 }, { iommu: 'smmu1', users: 1 }]);
    const bad = run('upstream', setup, steps, byName('domain-reuse-across-iommus').create());
    expect(mmOf(bad, 'A').domains).toEqual([{ iommu: 'smmu0', users: 2 }]);
  });
});
