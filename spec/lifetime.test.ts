// Unbind, exit and DMA: iommu_sva_unbind_device (drivers/iommu/iommu-sva.c), mm_pasid_drop
// (called from __mmdrop once the last SVA domain unpins the mm), arm_smmu_mm_release
// (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c: exit makes the CDs fault).
import { describe, expect, it } from 'vitest';
import { SEED, allocGlobal, attach, bind, bindPasid, detach, dma, exit, freeGlobal, getPasid, run, setup, unbind } from './testkit.ts';

const ALL = ['upstream', 'v1', 'v2', 'per-device'] as const;

describe('U1/U2: refcounted unbind, PASID kept', () => {
  it.each(ALL)('%s: two binds, one unbind keeps the bond; the last detaches; the PASID stays', (v) => {
    const r = run(v, SEED, [bind('accel', 'A', 'h1'), bind('accel', 'A', 'h2'), unbind('h1'), dma('accel', 1), unbind('h2'), dma('accel', 1), bind('accel', 'A', 'h3')]);
    expect(r.results).toEqual(['1', '1', 'ok', 'A', 'ok', 'fault', '1']);
    expect(r.rules[2]).toBe('U1');
    expect(r.rules[4]).toBe('U2');
  });
  it.each(ALL)('%s: unbind drops the domain user count, freeing the domain at zero', (v) => {
    const r = run(v, SEED, [bind('accel', 'A', 'h1'), bind('nic', 'A', 'h2'), unbind('h1')]);
    expect(r.driver.observe().mms[0].domains).toEqual([{ iommu: 'smmu0', users: 1 }]);
    r.driver.apply(unbind('h2'));
    expect(r.driver.observe().mms[0].domains).toEqual([]);
    expect(r.driver.observe().globalPasids).toEqual([1]);               // U2: the mm keeps it
  });
});

describe('U3: exit with live bonds', () => {
  it.each(ALL)('%s: DMA faults at once, the PASID is not reusable until the last unbind', (v) => {
    const r = run(v, SEED, [bind('accel', 'A', 'h'), exit('A'), dma('accel', 1), allocGlobal('accel')]);
    expect(r.results).toEqual(['1', 'ok', 'fault', '2']);
    expect(r.driver.observe().dma.find((d) => d.dev === 'accel' && d.pasid === 1)?.result).toEqual({ kind: 'fault', fault: 'translation' });
    r.driver.apply(unbind('h'));
    expect(r.driver.observe().mms[0]).toMatchObject({ state: 'gone', pasid: null });
    expect(r.driver.observe().globalPasids).toEqual([2]);               // 1 freed by mm_pasid_drop
  });
  it.each(ALL)('%s: exit with no bond frees the PASID at once', (v) => {
    const r = run(v, SEED, [bind('accel', 'A', 'h'), unbind('h'), exit('A'), allocGlobal('accel')]);
    expect(r.results).toEqual(['1', 'ok', 'ok', '1']);
    expect(r.rules[2]).toBe('U3');
  });
  it.each(['v1', 'v2'] as const)('%s: a local PASID is not freed to the global allocator (V9)', (v) => {
    const r = run(v, SEED, [allocGlobal('nic'), bindPasid('accel', 'A', 1, 'h'), unbind('h'), exit('A')]);
    expect(r.driver.observe().globalPasids).toEqual([1]);               // still the alloc_global holder's
    expect(r.driver.invariants()).toEqual([]);
  });
});

describe('DMA as the SMMUv3 answers it (M1-M5)', () => {
  it.each(ALL)('%s: fault kinds and kernel domains', (v) => {
    const r = run(v, SEED, [dma('dsp', 2), dma('dsp', 1), dma('dsp', 0), attach('accel', 3), dma('accel', 3), detach('accel', 3), dma('accel', 3)]);
    expect(r.results).toEqual(['fault', 'fault', 'kernel', 'ok', 'kernel', 'ok', 'fault']);
    expect(r.rules).toEqual(['M1', 'M2', 'M5', 'B1', 'M5', 'B3', 'M2']);
  });
  it.each(ALL)('%s: a group shares the slot: the other device reaches the mm too (B2)', (v) => {
    const s = setup([{ name: 'a', ssidBits: 2, group: 'g' }, { name: 'b', ssidBits: 2, group: 'g' }]);
    expect(run(v, s, [bind('a', 'A'), dma('b', 1)]).results).toEqual(['1', 'A']);
  });
});

describe('A1/A3: the global allocator', () => {
  it.each(ALL)('%s: lowest free in the device range, INVALID when none, free returns it', (v) => {
    const r = run(v, SEED, [allocGlobal('dsp'), allocGlobal('dsp'), allocGlobal('accel'), freeGlobal(1), allocGlobal('accel')]);
    expect(r.results).toEqual(['1', 'INVALID', '2', 'ok', '1']);
  });
  it.each(ALL)('%s: a device with ssid_bits 0 has no usable PASID', (v) => {
    expect(run(v, setup([{ name: 'z', ssidBits: 0 }]), [allocGlobal('z'), bind('z', 'A')]).results).toEqual(['INVALID', 'ENOSPC']);
  });
});

describe('queries change nothing (Q1)', () => {
  it.each(ALL)('%s: get_pasid, enqcmd_pasid and dma leave the state as it was', (v) => {
    const r = run(v, SEED, [bind('accel', 'A', 'h')]);
    const before = r.driver.state;
    for (const op of [getPasid('h'), dma('accel', 1), { op: 'enqcmd_pasid', mm: 'A' } as const]) r.driver.apply(op);
    expect(r.driver.state).toBe(before);
  });
});
