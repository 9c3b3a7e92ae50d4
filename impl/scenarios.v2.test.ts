/**
 * v1/v2 scenarios: the v2 diff of drivers/iommu/iommu-sva.c in the mail "[PATCH v2] iommu:
 * Allow device driver to use its own PASID space for SVA" (2026-05-20)
 * (iommu_sva_bind_device_pasid, iommu_alloc_mm_data, iommu_sva_bind_device_internal's
 * out_free_iommu_mm, iommu_sva_get_pasid, mm_pasid_drop; include/linux/iommu.h
 * mm_get_enqcmd_pasid), run through the built-in adapter.
 */
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, type Setup } from '../vocab/index.ts';
import { mmOf, observe, run } from './test-helpers.ts';

const SEED = SEED_SETUP; // accel: PASIDs 1..3, dsp: 1, nic: 20 bits

describe.each(['v1', 'v2'] as const)('%s (the patch)', (variant) => {
  it('V1: bind_pasid with PASID 0 is EINVAL, even before the group check', () => {
    const setup: Setup = { devices: [{ name: 'plain', ssidBits: 2, iommu: null }], mms: ['A'] };
    run(variant, setup, ['bind_pasid plain A 0 => EINVAL', 'bind_pasid plain A 1 => ENODEV']);
  });

  it('V1/V10: bind_pasid skips the global allocator; the starved 3-SSID device works', () => {
    const a = run(variant, SEED, [
      'alloc_global nic => 1', 'alloc_global nic => 2', 'alloc_global nic => 3',
      'bind_pasid accel A 1 => 1', // the driver's own PASID space (the seed's fix)
      'dma accel 1 => A',
    ]);
    expect(observe(a).globalPasids).toEqual([1, 2, 3]);
  });

  it('V2: no mixing in either direction (EBUSY)', () => {
    run(variant, SEED, ['bind nic A => 1', 'bind_pasid accel A 2 => EBUSY', 'bind_pasid accel B 2 => 2', 'bind nic B => EBUSY']);
  });

  it('V3: a local mm with live bonds cannot take a second PASID (ENOSPC); the same PASID elsewhere is accepted', () => {
    run(variant, SEED, ['bind_pasid accel A 1', 'bind_pasid nic A 5 => ENOSPC', 'bind_pasid nic A 1 => 1', 'dma nic 1 => A']);
  });

  it('V5: modes are sticky — a local mm never gets a global bind, even after every unbind', () => {
    run(variant, SEED, ['bind_pasid accel A 1 as h', 'unbind h', 'bind nic A => EBUSY']);
  });

  it('V6: local PASID ≥ max_pasids → EOVERFLOW, checked before the attach', () => {
    run(variant, SEED, ['bind_pasid dsp A 2 => EOVERFLOW', 'bind_pasid accel A 4 => EOVERFLOW', 'bind_pasid accel A 3 => 3', 'bind_pasid dsp A 3 => EOVERFLOW']);
  });

  it('V7: a failed first bind frees its new global PASID and the mm data (unlike upstream S6)', () => {
    const a = run(variant, SEED, ['attach_pasid accel 1', 'bind accel A => EBUSY', 'enqcmd_pasid A => INVALID']);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: null, global: null });
    expect(observe(a).globalPasids).toEqual([]);
    run(variant, SEED, ['attach_pasid accel 1', 'bind_pasid accel A 1 => EBUSY', 'bind nic A => 1'], a); // mode not stuck
  });

  it('V8: ENQCMD gets INVALID for a local mm; get_pasid reports the local PASID', () => {
    run(variant, SEED, ['bind_pasid accel A 2 as h', 'get_pasid h => 2', 'enqcmd_pasid A => INVALID', 'bind nic B as g => 1', 'enqcmd_pasid B => 1', 'get_pasid g => 1']);
  });

  it('V9: exit frees a local PASID nowhere — the global holder of the same id keeps it', () => {
    const a = run(variant, SEED, ['alloc_global nic => 1', 'bind_pasid accel A 1 as h', 'unbind h', 'mm_exit A', 'alloc_global nic => 2']);
    expect(observe(a).globalPasids).toEqual([1, 2]);
    expect(mmOf(a, 'A').state).toBe('gone');
  });

  it('V9: exit frees a global PASID once the last bond is unbound', () => {
    const a = run(variant, SEED, ['bind nic A as h => 1', 'mm_exit A', 'dma nic 1 => fault', 'alloc_global nic => 2', 'unbind h', 'alloc_global nic => 1']);
    expect(mmOf(a, 'A').state).toBe('gone');
  });

  it('V10: a local bond at the lowest free global id blocks global binds on that device, for good', () => {
    run(variant, SEED, ['bind_pasid accel A 1', 'bind accel B => EBUSY', 'bind accel B => EBUSY', 'bind nic B => 1', 'bind accel C => 2']); // B's id 1 lives on nic; C gets 2
  });
});

describe('V4: reuse of an idle local mm (the v2 changelog fix)', () => {
  it('v2: the new PASID replaces the old one after all bonds are unbound', () => {
    const a = run('v2', SEED, ['bind_pasid accel A 1 as h', 'unbind h', 'bind_pasid accel A 2 as h2 => 2', 'dma accel 2 => A', 'dma accel 1 => fault']);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: 2, global: false });
  });

  it('v1: the old PASID is kept, so another PASID fails ENOSPC', () => {
    const a = run('v1', SEED, ['bind_pasid accel A 1 as h', 'unbind h', 'bind_pasid accel A 2 => ENOSPC', 'bind_pasid accel A 1 => 1']);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: 1, global: false });
  });

  it('v2: the replacement stays even when the bind then fails', () => {
    const a = run('v2', SEED, ['bind_pasid accel A 1 as h', 'unbind h', 'attach_pasid accel 2', 'bind_pasid accel A 2 => EBUSY']);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: 2, global: false, domains: [] });
  });
});
