// Each invariant is fed a deliberately broken observation and must name itself; the spec's
// own reachable states keep every invariant (a few scripted runs here; the model checker
// covers whole state spaces).
import { describe, expect, it } from 'vitest';
import type { Observation, VariantName } from '../vocab/index.ts';
import { BUILTIN_VARIANTS } from './variants/index.ts';
import { INVARIANTS, checkInvariants } from './invariants.ts';
import { ObjectWorld } from './objectWorld.ts';
import { SEED, allocGlobal, bind, bindPasid, exit, run } from './testkit.ts';
import type { SpecDriver } from './driver.ts';

/** A healthy v2 state: A bound on accel and nic (PASID 1), B local on dsp (1)? no: B global 2 on nic, a holder of 3. */
function healthy(): { driver: SpecDriver; obs: Observation } {
  const { driver } = run('v2', SEED, [bind('accel', 'A', 'h1'), bind('nic', 'A', 'h2'), bind('nic', 'B', 'h3'), allocGlobal('nic')]);
  return { driver, obs: driver.observe() };
}

const violations = (driver: SpecDriver, obs: Observation, variant = 'v2', kernelHeld?: readonly number[]) =>
  checkInvariants({ cfg: driver.cfg, variant: BUILTIN_VARIANTS[variant as VariantName], obs, kernelHeld: kernelHeld ?? driver.state.kernelHeld });
const names = (driver: SpecDriver, obs: Observation, variant = 'v2', kernelHeld?: readonly number[]) =>
  violations(driver, obs, variant, kernelHeld).map((v) => v.invariant);
/** The reason the named invariant gives. */
const reason = (name: string, driver: SpecDriver, obs: Observation, variant = 'v2', kernelHeld?: readonly number[]) =>
  violations(driver, obs, variant, kernelHeld).find((v) => v.invariant === name)?.reason;

describe('invariants name the broken state', () => {
  it('the healthy state breaks none', () => {
    const { driver, obs } = healthy();
    expect(names(driver, obs)).toEqual([]);
  });
  it('two mms in one slot', () => {
    const { driver, obs } = healthy();
    expect(names(driver, { ...obs, bonds: [...obs.bonds, { dev: 'accel', pasid: 1, mm: 'B', users: 1 }] })).toContain('noTwoOwnersShareADeviceSlot');
  });
  it('a bond beyond the device range', () => {
    const { driver, obs } = healthy();
    expect(names(driver, { ...obs, attaches: [{ dev: 'dsp', pasid: 2 }] })).toContain('bondPasidInDeviceRange');
  });
  it('a DMA reaching an mm not bound there, or exited', () => {
    const { driver, obs } = healthy();
    const leak = obs.dma.map((d) => (d.dev === 'accel' && d.pasid === 2 ? { ...d, result: { kind: 'mm', mm: 'B' } as const } : d));
    expect(names(driver, { ...obs, dma: leak })).toContain('dmaReachesOnlyBoundLiveMm');
    const exited = { ...obs, mms: obs.mms.map((m) => (m.mm === 'A' ? { ...m, state: 'exited' as const } : m)) };
    expect(names(driver, exited)).toContain('dmaReachesOnlyBoundLiveMm');
  });
  it('a bond that the DMA does not reach (CD not written)', () => {
    const { driver, obs } = healthy();
    const lost = obs.dma.map((d) => (d.dev === 'accel' && d.pasid === 1 ? { ...d, result: { kind: 'fault' } as const } : d));
    expect(names(driver, { ...obs, dma: lost })).toContain('boundLiveMmIsReachable');
  });
  it('a leaked global PASID, and one owned twice', () => {
    const { driver, obs } = healthy();
    expect(names(driver, { ...obs, globalPasids: [...obs.globalPasids, 9] })).toContain('globalPasidHasExactlyOneOwner');
    expect(names(driver, obs, 'v2', [...driver.state.kernelHeld, 1])).toContain('globalPasidHasExactlyOneOwner');
  });
  it('an owned PASID freed behind its owner (e.g. a local PASID freed to the global allocator)', () => {
    const { driver, obs } = healthy();
    expect(names(driver, { ...obs, globalPasids: obs.globalPasids.filter((p) => p !== 3) })).toContain('localPasidNeverFreedGlobally');
  });
  it("an ENQCMD PASID reaching another mm on a device the mm is bound to", () => {
    const { driver } = run('per-device', SEED, [bind('nic', 'A'), bindPasid('accel', 'B', 1), bindPasid('accel', 'A', 2)]);
    expect(names(driver, driver.observe(), 'per-device')).toEqual(['enqcmdPasidIsGlobalAndMeansItsMm']);
  });
  it('domain users that do not match the bonds', () => {
    const { driver, obs } = healthy();
    const bad = { ...obs, mms: obs.mms.map((m) => (m.mm === 'A' ? { ...m, domains: [{ iommu: 'smmu0', users: 1 }] } : m)) };
    expect(names(driver, bad)).toContain('domainUsersMatchAttachments');
    expect(names(driver, { ...obs, bonds: obs.bonds.map((b) => ({ ...b, users: 0 })) })).toContain('domainUsersMatchAttachments');
  });
  it('a gone mm still holding a PASID', () => {
    const { driver, obs } = healthy();
    const bad = { ...obs, mms: obs.mms.map((m) => (m.mm === 'C' ? { ...m, state: 'gone' as const, pasid: 7, global: true } : m)) };
    expect(names(driver, bad)).toContain('goneMmHoldsNothing');
  });
  it('a bond at a PASID other than the mm one (v2) / two bonds of an mm in one group (per-device)', () => {
    const { driver, obs } = healthy();
    expect(names(driver, { ...obs, bonds: [...obs.bonds, { dev: 'dsp', pasid: 1, mm: 'B', users: 1 }] })).toContain('bondsUseTheMmPasid');
    expect(names(driver, { ...obs, bonds: [...obs.bonds, { dev: 'nic', pasid: 5, mm: 'A', users: 1 }] }, 'per-device')).toContain('oneBondPerGroupAndMm');
  });
  it('exit keeps the invariants in every variant', () => {
    for (const v of ['upstream', 'v1', 'v2', 'per-device'] as const) {
      const { driver } = run(v, SEED, [bind('accel', 'A', 'h'), exit('A')]);
      expect(driver.invariants()).toEqual([]);
    }
  });
});

describe('the state invariants name the mm, the device and the PASID', () => {
  it('on a report read as a state', () => {
    const { driver, obs } = healthy();
    expect(reason('globalPasidHasExactlyOneOwner', driver, { ...obs, globalPasids: [...obs.globalPasids, 9] })).toBe('the global allocator holds PASID 9, which nobody owns (leaked)');
    expect(reason('globalPasidHasExactlyOneOwner', driver, obs, 'v2', [...driver.state.kernelHeld, 1])).toBe('global PASID 1 is owned by mm A and an alloc_global holder');
    expect(reason('localPasidNeverFreedGlobally', driver, { ...obs, globalPasids: obs.globalPasids.filter((p) => p !== 3) })).toBe('an alloc_global holder owns PASID 3, but the global allocator has freed it');
    expect(reason('localPasidNeverFreedGlobally', driver, { ...obs, globalPasids: obs.globalPasids.filter((p) => p !== 2) })).toBe('mm B holds global PASID 2, but the global allocator has freed it');
    const oneUser = { ...obs, mms: obs.mms.map((m) => (m.mm === 'A' ? { ...m, domains: [{ iommu: 'smmu0', users: 1 }] } : m)) };
    expect(reason('domainUsersMatchAttachments', driver, oneUser)).toBe("mm A's SVA domain on smmu0 counts 1 user but 2 bonds are attached");
    expect(reason('domainUsersMatchAttachments', driver, { ...obs, bonds: obs.bonds.map((b) => (b.mm === 'B' ? { ...b, users: 0 } : b)) })).toBe('the bond of mm B on nic at PASID 2 has 0 users');
    const gone = { ...obs, mms: obs.mms.map((m) => (m.mm === 'C' ? { ...m, state: 'gone' as const, pasid: 7, global: true } : m)) };
    expect(reason('goneMmHoldsNothing', driver, gone)).toBe('mm C is gone but still has PASID 7');
    expect(reason('bondsUseTheMmPasid', driver, { ...obs, bonds: [...obs.bonds, { dev: 'dsp', pasid: 1, mm: 'B', users: 1 }] })).toBe('mm B is bound on dsp at PASID 1 but its PASID is 2');
    expect(reason('oneBondPerGroupAndMm', driver, { ...obs, bonds: [...obs.bonds, { dev: 'nic', pasid: 5, mm: 'A', users: 1 }] }, 'per-device')).toBe("mm A is bound twice in nic's group (PASIDs 1 and 5)");
  });
  it('on a spec state, the same reason as on its report', () => {
    const { driver } = run('per-device', SEED, [bind('nic', 'A'), bindPasid('accel', 'B', 1), bindPasid('accel', 'A', 2)]);
    const inv = INVARIANTS.find((i) => i.name === 'enqcmdPasidIsGlobalAndMeansItsMm')!;
    expect(inv.scope).toBe('state');
    const want = "mm A's ENQCMD PASID 1 reaches mm B on accel, a device A is bound to";
    expect(inv.scope === 'state' && inv.check(new ObjectWorld(driver.cfg, driver.state))).toBe(want);
    expect(driver.invariants()).toEqual([{ invariant: 'enqcmdPasidIsGlobalAndMeansItsMm', rule: 'G2', reason: want }]);
  });
});

