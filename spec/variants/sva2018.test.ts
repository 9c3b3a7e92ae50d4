/**
 * sva-2018 ("[PATCH v2 01/40] iommu: Introduce Shared Virtual Addressing API", 2018-09-07):
 * its caller contract, its bundled configuration checked exhaustively, the grace-period
 * invariant shown to catch a design without the grace period, and its differences from the
 * 2026 designs. The mail's claims as scenarios are litmus/sva-2018-*.litmus.yaml.
 */
import { describe, expect, it } from 'vitest';
import { check, diff, loadBundledConfig, parseConfig } from '../../model/index.ts';
import { parseLitmus } from '../../conformance/litmus/parse.ts';
import { DESIGNS_2026, R, type Op, type Setup } from '../../vocab/index.ts';
import { ContractError, SpecDriver } from '../driver.ts';
import type { Variant } from '../step.ts';
import { BUILTIN_VARIANTS } from './index.ts';
import { sva2018 } from './sva2018.ts';

const SETUP: Setup = { devices: [{ name: 'accel', ssidBits: 2 }, { name: 'nic', ssidBits: 8 }], mms: ['A', 'B'] };

describe('sva-2018: the caller contract of the two-step exit (C7)', () => {
  const bound = (): SpecDriver => {
    const d = new SpecDriver(SETUP, sva2018);
    d.apply({ op: 'bind', dev: 'accel', mm: 'A', as: 'h' });
    return d;
  };
  it('after exit, the bond is released by mm_exit_done, not unbind', () => {
    const d = bound();
    d.apply({ op: 'mm_exit', mm: 'A' });
    expect(d.breach({ op: 'unbind', handle: 'h' })?.rule).toBe('C7');
    expect(() => d.apply({ op: 'unbind', handle: 'h' })).toThrow(ContractError);
    expect(d.apply({ op: 'mm_exit_done', handle: 'h' })).toMatchObject({ result: R.ok, rule: 'R6' });
    expect(d.state.mms[0].status).toBe('gone');
    expect(d.state.ida).toEqual([]);
  });
  it('before exit, no mm_exit callback was called: mm_exit_done is a contract breach', () => {
    expect(bound().breach({ op: 'mm_exit_done', handle: 'h' })).toMatchObject({ rule: 'C7' });
  });
  it('the 2026 designs have no mm_exit_done or bind_private (C5)', () => {
    const d = new SpecDriver(SETUP, BUILTIN_VARIANTS.upstream);
    expect(d.breach({ op: 'bind_private', dev: 'accel', mm: 'A' })).toMatchObject({ rule: 'C5' });
  });
});

describe('sva-2018 setups: the device init range', () => {
  it('min_pasid 0 and a max_pasid beyond the SSIDs are refused with the device named', () => {
    expect(() => new SpecDriver({ devices: [{ name: 'gpu', ssidBits: 4, minPasid: 0 }], mms: ['A'] }, sva2018)).toThrow(/device gpu: min_pasid must be an integer in 1\.\.15 \(PASID 0 is reserved/);
    expect(() => new SpecDriver({ devices: [{ name: 'gpu', ssidBits: 2, maxPasid: 4 }], mms: ['A'] }, sva2018)).toThrow(/device gpu: max_pasid must be an integer in 0\.\.3/);
  });
  it('a litmus file with a bad min_pasid is an error on its line; a config file too', () => {
    const r = parseLitmus('name: x\ndevices:\n  gpu: { ssid_bits: 4, min_pasid: -1 }\nsteps:\n  - bind: { dev: gpu, mm: A }\n', 'x.litmus.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ line: 3, reason: 'device gpu: min_pasid must be an integer >= 0, got -1' });
    expect(() => parseConfig('name: c\ndevices:\n  gpu: { ssid_bits: 2, max_pasid: 9 }\n', 'c.yaml')).toThrow(/c\.yaml:\d+.*max_pasid/);
  });
});

/** The 2018 design without its grace period: exit frees the PASID at once, bonds still in place. */
const noGracePeriod: Variant = {
  ...sva2018,
  name: 'sva-2018-no-grace-period',
  own(w, op) {
    if (op.op !== 'mm_exit' || w.pasid(op.mm) < 0) return sva2018.own!(w, op);
    w.release(w.pasid(op.mm));
    w.dropData(op.mm);
    return sva2018.own!(w, op);
  },
};

describe('sva-2018 on the model checker', () => {
  it('its bundled configuration, exhaustively: every invariant holds, the grace period among them; the state count is pinned', () => {
    const mc = loadBundledConfig('sva-2018');
    const r = check(mc, sva2018, { continue: true });
    expect(r.exhaustive).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.stats.distinct).toBe(1894);
    expect(Object.keys(r.coverage.ops)).toEqual(expect.arrayContaining(['bind_private', 'mm_exit_done']));
  });

  it('without the grace period (the PASID freed at exit) a new process gets a PASID a driver may still use', () => {
    const r = check(loadBundledConfig('sva-2018'), noGracePeriod, { continue: true });
    const found = r.violations.find((v) => v.invariant === 'exitedPasidNotReusedWhileBound');
    expect(found?.reason).toMatch(/PASID 1 of exited mm A's bond on (gpu|accel) is free in the allocator/);
  });

  it.each(DESIGNS_2026.map((v) => [v]))('differs from %s on seed-small, within the operations both have', (name) => {
    const r = diff(loadBundledConfig('seed-small'), BUILTIN_VARIANTS[name], sva2018);
    expect(r.status).toBe('different');
  });

  it('the first difference from upstream: unbinding frees the PASID (R4), where upstream keeps it (U2)', () => {
    const ops: Op[] = [{ op: 'bind', dev: 'accel', mm: 'A', as: 'h' }, { op: 'unbind', handle: 'h' }, { op: 'bind', dev: 'accel', mm: 'B' }];
    const results = (v: Variant) => { const d = new SpecDriver(SETUP, v); return ops.map((o) => d.apply(o).result); };
    expect(results(sva2018)).toEqual([R.pasid(1), R.ok, R.pasid(1)]);
    expect(results(BUILTIN_VARIANTS.upstream)).toEqual([R.pasid(1), R.ok, R.pasid(2)]);
  });
});
