// Unit tests of the bind paths, per rule and per variant. Each expectation is what the kernel
// does: drivers/iommu/iommu-sva.c (iommu_sva_bind_device, iommu_alloc_mm_data; v2 diff in
// "[PATCH v2] iommu: Allow device driver to use its own PASID space for SVA", 2026-05-20) and drivers/iommu/iommu.c (iommu_attach_device_pasid, iommu_alloc_global_pasid).
import { describe, expect, it } from 'vitest';
import { SEED, allocGlobal, attach, bind, bindPasid, dma, enqcmd, getPasid, run, setup, unbind } from './testkit.ts';

const ALL = ['upstream', 'v1', 'v2', 'per-device'] as const;
const LOCAL = ['v1', 'v2', 'per-device'] as const;

describe('S1: a device without a group', () => {
  const s = setup([{ name: 'plain', ssidBits: 2, iommu: null }]);
  it.each(ALL)('%s: bind is ENODEV', (v) => {
    expect(run(v, s, [bind('plain', 'A')]).results).toEqual(['ENODEV']);
  });
  it.each(LOCAL)('%s: bind_pasid is ENODEV, but PASID 0 is EINVAL first (V1)', (v) => {
    expect(run(v, s, [bindPasid('plain', 'A', 1), bindPasid('plain', 'A', 0)]).results).toEqual(['ENODEV', 'EINVAL']);
  });
});

describe('S2/S3: one global PASID per mm, lowest free in the device range', () => {
  it.each(ALL)('%s: first bind takes PASID 1, the same on the next device (S2-reuse)', (v) => {
    const r = run(v, SEED, [bind('nic', 'A'), bind('accel', 'A'), bind('nic', 'B')]);
    expect(r.results).toEqual(['1', '1', '2']);
    expect(r.rules[1]).toContain('S2-reuse');
  });
  it.each(ALL)('%s: an mm PASID beyond a small device is EOVERFLOW (S2)', (v) => {
    const r = run(v, SEED, [bind('nic', 'A'), bind('nic', 'B'), bind('dsp', 'B')]);
    expect(r.results).toEqual(['1', '2', 'EOVERFLOW']);
  });
  it.each(ALL)('%s: the seed starvation: one foreign holder of PASID 1 starves the 1-SSID device (A2, S3-nospc)', (v) => {
    const r = run(v, SEED, [allocGlobal('nic'), bind('dsp', 'A')]);
    expect(r.results).toEqual(['1', 'ENOSPC']);
    expect(r.rules[1]).toBe('S3-nospc');
  });
});

describe('S4: a handle already in the slot', () => {
  it.each(ALL)('%s: same mm again → same PASID, one more user; another mm → EBUSY', (v) => {
    const s = setup([{ name: 'a', ssidBits: 2, group: 'g' }, { name: 'b', ssidBits: 2, group: 'g' }]);
    const r = run(v, s, [bind('a', 'A', 'h1'), bind('a', 'A', 'h2'), bind('b', 'A', 'h3')]);
    expect(r.results).toEqual(['1', '1', '1']);
    expect(r.rules[1]).toContain('S4-ref');
    expect(r.rules[2]).toContain('S4-ref');                               // B2: the group shares the slot
    expect(r.driver.observe().bonds).toEqual([{ dev: 'a', pasid: 1, mm: 'A', users: 3 }]);
  });
  it.each(LOCAL)('%s: a local bond of another mm at the PASID the allocator picks → EBUSY, and again (V10)', (v) => {
    const r = run(v, SEED, [bindPasid('accel', 'B', 1), bind('accel', 'A'), bind('accel', 'A')]);
    expect(r.results).toEqual(['1', 'EBUSY', 'EBUSY']);
    expect(r.rules[1]).toContain('V10');
  });
});

describe('S5: SVA domains per (mm, IOMMU instance)', () => {
  const s = setup([{ name: 'a', ssidBits: 2 }, { name: 'b', ssidBits: 2 }, { name: 'c', ssidBits: 2, iommu: 'smmu1' }]);
  it.each(ALL)('%s: a second device behind the same IOMMU reuses the domain; another IOMMU gets a new one', (v) => {
    const r = run(v, s, [bind('a', 'A'), bind('b', 'A'), bind('c', 'A')]);
    expect(r.rules.map((x) => x.split('+')[0])).toEqual(['S5-new', 'S5-reuse', 'S5-new']);
    expect(r.driver.observe().mms[0].domains).toEqual([{ iommu: 'smmu0', users: 2 }, { iommu: 'smmu1', users: 1 }]);
  });
  it.each(ALL)('%s: ASIDs exhausted (asid_bits 1: one ASID) → a new domain is EBUSY (M6)', (v) => {
    const t = setup([{ name: 'a', ssidBits: 2 }], { iommus: [{ name: 'smmu0', asidBits: 1 }] });
    expect(run(v, t, [bind('a', 'A'), bind('a', 'B')]).results).toEqual(['1', 'EBUSY']);
  });
  it.each(ALL)('%s: ASIDs are one system-wide space: a 16-bit SMMU holding ASID 1 starves a 1-bit SMMU (M6)', (v) => {
    const t = setup([{ name: 'wide', ssidBits: 2, iommu: 'smmu0' }, { name: 'narrow', ssidBits: 2, iommu: 'smmu1' }],
      { iommus: [{ name: 'smmu0', asidBits: 16 }, { name: 'smmu1', asidBits: 1 }] });
    const r = run(v, t, [bind('wide', 'A', 'a'), bind('narrow', 'B'), unbind('a'), bind('narrow', 'B'), bind('wide', 'A')]);
    expect(r.results).toEqual(['1', 'EBUSY', 'ok', '2', '1']);
    expect(r.rules[1].split('+')[0]).toBe('M6');
    expect(r.driver.state.mms.map((m) => m.asids)).toEqual([[2, 0], [0, 1], [0, 0]]);  // lowest free, system-wide
  });
  it.each(ALL)('%s: an IOMMU without SVA support → EOPNOTSUPP (M7)', (v) => {
    const t = setup([{ name: 'a', ssidBits: 2 }], { iommus: [{ name: 'smmu0', sva: false }] });
    expect(run(v, t, [bind('a', 'A')]).results).toEqual(['EOPNOTSUPP']);
  });
  it.each(ALL)('%s: a slot taken by a kernel DMA PASID → the attach is EBUSY (B1-busy, B4)', (v) => {
    expect(run(v, SEED, [attach('accel', 1), bind('accel', 'A')]).results).toEqual(['ok', 'EBUSY']);
  });
  it.each(ALL)('%s: a slot holding an attach handle of another type → EBUSY before any domain allocation (B4-handle)', (v) => {
    const t = setup([{ name: 'a', ssidBits: 2 }], { iommus: [{ name: 'smmu0', sva: false }] });
    const withHandle = run(v, t, [{ op: 'attach_pasid', dev: 'a', pasid: 1, handle: true }, bind('a', 'A')]);
    expect(withHandle.results).toEqual(['ok', 'EBUSY']);
    expect(withHandle.rules[1].split('+')[0]).toBe('B4-handle');
    expect(run(v, t, [attach('a', 1), bind('a', 'A')]).results).toEqual(['ok', 'EOPNOTSUPP']);   // bare: -ENOENT, goes on
  });
  it.each(ALL)('%s: a smaller device in the group refuses the PASID → EINVAL (B1-range)', (v) => {
    const t = setup([{ name: 'big', ssidBits: 3, group: 'g' }, { name: 'small', ssidBits: 1, group: 'g' }]);
    const ops = v === 'upstream' ? [allocGlobal('big'), bind('big', 'A')] : [allocGlobal('big'), bindPasid('big', 'A', 2)];
    expect(run(v, t, ops).results).toEqual(['1', 'EINVAL']);
  });
});

describe('S6 vs V7: a failed first bind', () => {
  it('upstream keeps the new PASID on the mm (S6): ENQCMD is valid with no device attached', () => {
    const r = run('upstream', SEED, [attach('accel', 1), bind('accel', 'A'), enqcmd('A'), bind('nic', 'B')]);
    expect(r.results).toEqual(['ok', 'EBUSY', '1', '2']);
    expect(r.rules[1]).toContain('S6');
  });
  it.each(['v1', 'v2'] as const)('%s rolls back: the PASID is free again and ENQCMD is INVALID (V7)', (v) => {
    const r = run(v, SEED, [attach('accel', 1), bind('accel', 'A'), enqcmd('A'), bind('nic', 'B')]);
    expect(r.results).toEqual(['ok', 'EBUSY', 'INVALID', '1']);
    expect(r.rules[1]).toContain('V7');
  });
  it('per-device rolls back too (K4)', () => {
    const r = run('per-device', SEED, [attach('accel', 1), bind('accel', 'A'), enqcmd('A'), bind('nic', 'B')]);
    expect(r.results).toEqual(['ok', 'EBUSY', 'INVALID', '1']);
    expect(r.rules[1]).toContain('K4');
  });
});

describe('v1/v2: bind_pasid rules', () => {
  it.each(['v1', 'v2'] as const)('%s: no mixing either way (V2), sticky once idle (V5)', (v) => {
    const r = run(v, SEED, [bind('nic', 'A', 'h'), bindPasid('accel', 'A', 2), unbind('h'), bindPasid('accel', 'A', 2),
      bindPasid('accel', 'B', 3, 'k'), bind('nic', 'B'), unbind('k'), bind('nic', 'B')]);
    expect(r.results).toEqual(['1', 'EBUSY', 'ok', 'EBUSY', '3', 'EBUSY', 'ok', 'EBUSY']);
    expect(r.rules[1]).toBe('V2');
    expect(r.rules[3]).toBe('V5');
    expect(r.rules[7]).toBe('V5');
  });
  it.each(['v1', 'v2'] as const)('%s: a different local PASID while bound → ENOSPC (V3); the same one on another device is accepted (V3-same)', (v) => {
    const r = run(v, SEED, [bindPasid('accel', 'A', 1), bindPasid('nic', 'A', 5), bindPasid('nic', 'A', 1)]);
    expect(r.results).toEqual(['1', 'ENOSPC', '1']);
    expect(r.rules[2]).toContain('V3-same');
  });
  it('v2 reuses after unbind (V4); v1 keeps the first PASID: ENOSPC (the v1 bug)', () => {
    const ops = [bindPasid('accel', 'A', 1, 'h'), unbind('h'), bindPasid('accel', 'A', 3, 'k'), getPasid('k')];
    expect(run('v2', SEED, ops).results).toEqual(['1', 'ok', '3', '3']);
    expect(run('v1', SEED, ops.slice(0, 3)).results).toEqual(['1', 'ok', 'ENOSPC']);
  });
  it.each(LOCAL)('%s: a local PASID beyond the device is EOVERFLOW (V6), PASID 0 EINVAL (V1)', (v) => {
    expect(run(v, SEED, [bindPasid('dsp', 'A', 2), bindPasid('dsp', 'A', 0)]).results).toEqual(['EOVERFLOW', 'EINVAL']);
  });
  it.each(['v1', 'v2'] as const)('%s: a local mm has no ENQCMD PASID, get_pasid is its local PASID (V8)', (v) => {
    expect(run(v, SEED, [bindPasid('accel', 'A', 3, 'h'), enqcmd('A'), getPasid('h')]).results).toEqual(['3', 'INVALID', '3']);
  });
  it('v2: the V4 replacement stays on the mm even when the bind then fails', () => {
    const r = run('v2', SEED, [bindPasid('accel', 'A', 1, 'h'), unbind('h'), bindPasid('accel', 'B', 2), bindPasid('accel', 'A', 2)]);
    expect(r.results).toEqual(['1', 'ok', '2', 'EBUSY']);
    expect(r.driver.observe().mms[0]).toMatchObject({ pasid: 2, global: false });
  });
});

describe('per-device lifts the v2 limitations (K1-K5)', () => {
  it('mixing allowed, different local PASIDs on different devices, ENQCMD keeps the global one', () => {
    const r = run('per-device', SEED, [bind('nic', 'A', 'g'), bindPasid('accel', 'A', 2, 'l1'), bindPasid('dsp', 'A', 1, 'l2'),
      getPasid('g'), getPasid('l1'), getPasid('l2'), enqcmd('A'), dma('accel', 2), dma('dsp', 1)]);
    expect(r.results).toEqual(['1', '2', '1', '1', '2', '1', '1', 'A', 'A']);
    expect(r.rules[1]).toContain('K2');
  });
  it('one bond per (group, mm): another PASID where the mm is bound → EBUSY (K3)', () => {
    const r = run('per-device', SEED, [bindPasid('accel', 'A', 2), bindPasid('accel', 'A', 3), bind('accel', 'A')]);
    expect(r.results).toEqual(['2', 'EBUSY', 'EBUSY']);
  });
  it('a local mm can bind globally later (no sticky mode)', () => {
    expect(run('per-device', SEED, [bindPasid('accel', 'A', 2, 'h'), unbind('h'), bind('nic', 'A')]).results).toEqual(['2', 'ok', '1']);
  });
});
