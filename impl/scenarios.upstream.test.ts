/**
 * upstream scenarios: mainline drivers/iommu/iommu-sva.c (iommu_sva_bind_device,
 * iommu_alloc_mm_data, iommu_sva_unbind_device, mm_pasid_drop) and drivers/iommu/iommu.c
 * (iommu_alloc_global_pasid, iommu_attach_device_pasid), run through the built-in adapter.
 */
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, type Setup } from '../vocab/index.ts';
import { mmOf, more, observe, run } from './test-helpers.ts';

const SEED = SEED_SETUP; // accel: 2 SSID bits, dsp: 1, nic: 20; all behind smmu0

describe('upstream (iommu-sva.c before the patch)', () => {
  it('A1/A2/S3: other PASID users starve the 3-SSID device; bind fails ENOSPC', () => {
    run('upstream', SEED, [
      'alloc_global nic => 1', 'alloc_global nic => 2', 'alloc_global nic => 3',
      'bind accel A => ENOSPC', // iommu_alloc_mm_data: iommu_alloc_global_pasid → INVALID
      'bind nic A => 4', // the 20-bit device still has room
    ]);
  });

  it('S2: an mm whose PASID is too large for the device gets EOVERFLOW', () => {
    run('upstream', SEED, ['alloc_global nic => 1', 'bind accel A => 2', 'bind dsp A => EOVERFLOW']);
  });

  it('S4/U1: binding (dev, mm) again takes a reference; only the last unbind detaches', () => {
    const a = run('upstream', SEED, ['bind accel A as h1 => 1', 'bind accel A as h2 => 1', 'unbind h1', 'dma accel 1 => A']);
    expect(observe(a).bonds).toEqual([{ dev: 'accel', pasid: 1, mm: 'A', users: 1 }]);
    more(a, 'upstream', ['unbind h2', 'dma accel 1 => fault']);
  });

  it('S5/S6: a kernel DMA PASID in the slot fails the attach EBUSY; the PASID stays on the mm', () => {
    const a = run('upstream', SEED, [
      'attach_pasid accel 1', // iommufd/idxd-style attach, not from the allocator
      'bind accel A => EBUSY', // allocator gives 1, iommu_attach_device_pasid finds the slot taken
      'enqcmd_pasid A => 1', // S6: published before attach, never rolled back
    ]);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: 1, global: true, domains: [] });
    expect(observe(a).globalPasids).toEqual([1]);
  });

  it('S5: one SVA domain per (mm, IOMMU instance), reused by devices behind the same SMMU', () => {
    const two: Setup = { devices: [{ name: 'accel', ssidBits: 2 }, { name: 'nic', ssidBits: 20 }, { name: 'gpu', ssidBits: 8, iommu: 'smmu1' }], mms: ['A'] };
    const a = run('upstream', two, ['bind accel A => 1', 'bind nic A => 1', 'bind gpu A => 1']);
    expect(mmOf(a, 'A').domains).toEqual([{ iommu: 'smmu0', users: 2 }, { iommu: 'smmu1', users: 1 }]);
  });

  it('S5: ASIDs exhausted → EBUSY; an instance without SVA → EOPNOTSUPP (arm_smmu_sva_domain_alloc)', () => {
    const setup: Setup = {
      devices: [{ name: 'accel', ssidBits: 2 }, { name: 'old', ssidBits: 4, iommu: 'smmu1' }],
      iommus: [{ name: 'smmu0', asidBits: 1 }, { name: 'smmu1', sva: false }],
      mms: ['A', 'B'],
    };
    const a = run('upstream', setup, ['bind accel A => 1', 'bind accel B => EBUSY', 'bind old A => EOPNOTSUPP']);
    expect(mmOf(a, 'B')).toMatchObject({ pasid: 2, global: true }); // S6 again
  });

  it('U2: unbind never frees the PASID; binding again gets the same one', () => {
    const a = run('upstream', SEED, ['bind accel A as h => 1', 'unbind h', 'alloc_global nic => 2', 'bind dsp A as h2 => 1']);
    expect(observe(a).globalPasids).toEqual([1, 2]);
  });

  it('U3: exit with live bonds faults DMA (translation); the PASID is freed at the last unbind', () => {
    const a = run('upstream', SEED, ['bind accel A as h => 1', 'bind nic A as g => 1', 'mm_exit A']);
    expect(observe(a, [{ dev: 'accel', pasid: 1 }]).dma[0].result).toEqual({ kind: 'fault', fault: 'translation' });
    expect(mmOf(a, 'A')).toMatchObject({ state: 'exited', pasid: 1 });
    more(a, 'upstream', ['unbind h']);
    expect(mmOf(a, 'A').state).toBe('exited'); // nic's bond still pins it
    more(a, 'upstream', ['unbind g', 'alloc_global dsp => 1']);
    expect(mmOf(a, 'A')).toMatchObject({ state: 'gone', pasid: null });
  });

  it('U3: an mm without bonds is gone at exit and its PASID returns to the allocator', () => {
    const a = run('upstream', SEED, ['bind accel A as h => 1', 'unbind h', 'mm_exit A', 'alloc_global accel => 1']);
    expect(mmOf(a, 'A').state).toBe('gone');
  });

  it('B1: attach checks in order: ENODEV, pasid 0, range over the group, slot taken', () => {
    const setup: Setup = {
      devices: [{ name: 'a', ssidBits: 3, group: 'g' }, { name: 'b', ssidBits: 1, group: 'g' }, { name: 'plain', ssidBits: 4, iommu: null }],
      mms: ['A'],
    };
    run('upstream', setup, [
      'attach_pasid plain 1 => ENODEV', 'bind plain A => ENODEV',
      'attach_pasid a 0 => EINVAL',
      'attach_pasid a 2 => EINVAL', // within a's 8 PASIDs, but b (same group) has only PASID 1
      'attach_pasid a 1', 'attach_pasid b 1 => EBUSY', // B2: the group shares slots
      'dma b 1 => kernel', 'detach_pasid a 1', 'dma b 1 => fault',
      'dma plain 0 => kernel', 'dma plain 1 => fault',
    ]);
  });

  it('B2: an SVA bond programs the CD on every device of the group', () => {
    const setup: Setup = { devices: [{ name: 'a', ssidBits: 2, group: 'g' }, { name: 'b', ssidBits: 2, group: 'g' }], mms: ['A', 'B'] };
    const a = run('upstream', setup, ['bind a A as h => 1', 'dma b 1 => A', 'bind b A as h2 => 1', 'bind b B => 2']);
    expect(observe(a).bonds).toContainEqual({ dev: 'a', pasid: 1, mm: 'A', users: 2 }); // S4 found a's handle
  });

  it('dma fault kinds come from the emulated SMMU walk', () => {
    const a = run('upstream', SEED, ['bind accel A as h => 1']);
    const o = observe(a, [{ dev: 'accel', pasid: 4 }, { dev: 'accel', pasid: 2 }, { dev: 'accel', pasid: 0 }, { dev: 'accel', pasid: 1 }]);
    expect(o.dma.map((d) => d.result)).toEqual([
      { kind: 'fault', fault: 'bad_substream' }, { kind: 'fault', fault: 'bad_cd' }, { kind: 'kernel' }, { kind: 'mm', mm: 'A' },
    ]);
  });

  it('U4/contract: unbinding past zero throws (a caller bug, not an errno); bind_pasid does not exist', () => {
    const a = run('upstream', SEED, ['bind accel A as h => 1', 'unbind h']);
    expect(() => a.apply({ op: 'unbind', handle: 'h' })).toThrow(/U4/);
    expect(() => a.apply({ op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 1 })).toThrow(/bind_pasid/);
  });
});

