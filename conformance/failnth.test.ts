// fail-nth with the spec as the oracle, on the built-in implementation (the kernel's own
// iommu-sva.c is swept in test/kernel.test.ts): what each allocation failure must leave, a
// sweep that holds in every variant, and a planted leak on a failure path that only the
// sweep can see.
import { describe, expect, it } from 'vitest';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { createBuiltinAdapter, type ImplPatch } from '../impl/index.ts';
import type { Device, KResult, MmStruct, SvaDomain } from '../impl/types.ts';
import { err, ok } from '../impl/types.ts';
import { SEED_SETUP, formatResult, type Op } from '../vocab/index.ts';
import { failNthSweep, sweepTraces } from './failnth.ts';

const SEED = 20260521;
console.log(`conformance/failnth.test.ts: traces from seed ${SEED}; replay with npx svacheck conform --impl builtin --fail-nth --seed ${SEED}`);

describe('the spec says what a failed allocation leaves', () => {
  const first: Op[] = [{ op: 'attach_pasid', dev: 'dsp', pasid: 1 }];
  it('a handle that cannot be allocated: upstream keeps the new PASID (S6), v2 rolls it back (V7)', () => {
    for (const [variant, rule, kept] of [['upstream', 'S6', [1]], ['v2', 'V7', []]] as const) {
      const d = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME[variant]);
      const a = d.apply({ op: 'bind', dev: 'accel', mm: 'A' }, 'handle');
      expect(formatResult(a.result)).toBe('ENOMEM');
      expect([a.rule, ...a.effects]).toEqual(['N3', rule]);
      expect(d.observe([]).globalPasids).toEqual(kept);
    }
  });
  it('the mm data or the global PASID: nothing changes, ENOMEM or ENOSPC', () => {
    const d = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2);
    expect(formatResult(d.apply({ op: 'bind', dev: 'accel', mm: 'A' }, 'mm_data').result)).toBe('ENOMEM');
    expect(formatResult(d.apply({ op: 'bind', dev: 'accel', mm: 'A' }, 'global_pasid').result)).toBe('ENOSPC');
    expect(formatResult(d.apply({ op: 'alloc_global', dev: 'nic' }, 'global_pasid').result)).toBe('INVALID');
    expect(d.observe([]).mms.every((m) => m.pasid === null)).toBe(true);
  });
  it("a failed attach of the mm's existing domain is swallowed: the bind succeeds (N6)", () => {
    const d = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2);
    d.apply({ op: 'bind', dev: 'accel', mm: 'A' });
    const a = d.apply({ op: 'bind', dev: 'nic', mm: 'A' }, 'reuse_attach');
    expect(formatResult(a.result)).toBe('1');
    expect([a.rule, ...a.effects]).toContain('N6');
  });
  it('a point the operation never reaches gives the ordinary step (no N rule): the sweep reports that as a failure', () => {
    const d = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2);
    for (const op of first) d.apply(op);
    const a = d.apply({ op: 'dma', dev: 'dsp', pasid: 1 }, 'handle');
    expect([a.rule, ...a.effects].some((r) => /^N\d$/.test(r))).toBe(false);
  });
});

describe('fail-nth sweep of the built-in implementation', () => {
  it.each(createBuiltinAdapter().variants.map((v) => [v]))('%s: every injected failure holds, nothing leaks', async (variant) => {
    const traces = sweepTraces(variant, [SEED_SETUP, null], 12, SEED, 30);
    const r = await failNthSweep(createBuiltinAdapter(), variant, traces);
    expect(r.broke).toBeNull();
    expect(r.failures.map((f) => f.message)).toEqual([]);
    expect(r.injected).toBeGreaterThan(50);
    expect(r.held).toBe(r.injected);
    const points = new Set(r.rows.map((row) => row.point));
    for (const p of ['mm_data', 'global_pasid', 'handle', 'domain', 'attach']) expect(points).toContain(p);
  });

  it('a domain allocation that keeps its ASID when it fails is caught as a leak, with a short trace', async () => {
    // Planted: the ASID is taken before the allocation that fails, and never given back.
    const leaky: ImplPatch = (base) => class extends base {
      protected override svaDomainAlloc(dev: Device, mm: MmStruct): KResult<SvaDomain> {
        const smmu = dev.smmu!;
        const hw = smmu.domainAllocSva(mm.name);
        if (typeof hw === 'string') return err(hw);
        if (this.fallible('domain', 'planted')) return err('ENOMEM');
        return ok({ mm, smmu, hw, users: 0 });
      }
    };
    const traces = sweepTraces('v2', [SEED_SETUP], 10, SEED, 30);
    const r = await failNthSweep(createBuiltinAdapter({ patch: leaky }), 'v2', traces);
    expect(r.failed).toBeGreaterThan(0);
    expect(r.leaked).toBe(r.failed);
    const f = r.failures[0];
    expect(f.message).toMatch(/still held: 1 asids/);
    expect(f.details.join('\n')).toMatch(/ASIDs still held/);
    expect(f.trace.length).toBeLessThanOrEqual(2);
    expect(f.point).toBe('domain');
  });
});
