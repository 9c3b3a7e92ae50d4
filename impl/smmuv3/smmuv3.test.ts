/**
 * The emulated Arm SMMUv3 on its own (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c,
 * arm-smmu-v3-sva.c): CD writes, DMA fault kinds, ASID pool, instance checks.
 */
import { describe, expect, it } from 'vitest';
import { R } from '../../vocab/index.ts';
import { ArmSmmuDomain, ArmSmmuMaster, ArmSmmuV3, newAsidXa } from './index.ts';

function rig(ssidBits = 2, asidBits = 16) {
  const smmu = new ArmSmmuV3(0, 'smmu0', asidBits, true, newAsidXa());
  const master = new ArmSmmuMaster(0, 'accel', smmu, ssidBits);
  return { smmu, master };
}

const svaDomain = (smmu: ArmSmmuV3, mm: string): ArmSmmuDomain => {
  const d = smmu.domainAllocSva(mm);
  if (typeof d === 'string') throw new Error(d);
  return d;
};

describe('emulated SMMUv3: STE → linear CD table of 2^S1CDMAX entries', () => {
  it('sizes the CD table by ssid_bits and serves RID traffic through CD 0', () => {
    const { smmu, master } = rig(2);
    expect(master.ste.s1cdmax).toBe(2);
    expect(master.ste.cdTable.entries).toBe(4);
    expect(smmu.dma(master, 0)).toEqual(R.kernel);
    expect(master.ste.cdTable.validSsids()).toEqual([0]);
  });

  it('faults bad_substream at SSID ≥ 2^S1CDMAX and bad_cd on a zeroed CD', () => {
    const { smmu, master } = rig(2);
    expect(smmu.dma(master, 4)).toEqual(R.fault('bad_substream'));
    expect(smmu.dma(master, 2 ** 20)).toEqual(R.fault('bad_substream'));
    expect(smmu.dma(master, 3)).toEqual(R.fault('bad_cd'));
    const big = new ArmSmmuMaster(1, 'nic', smmu, 20);
    expect(smmu.dma(big, 2 ** 20 - 1)).toEqual(R.fault('bad_cd')); // lazily-filled: reads as zeroed
  });

  it('SVA attach writes CD[pasid] = {mm, asid}; detach zeroes it (invalid)', () => {
    const { smmu, master } = rig(2);
    const d = svaDomain(smmu, 'A');
    expect(smmu.setDevPasid(d, master, 3)).toBeNull();
    expect(master.ste.cdTable.read(3)).toEqual({ kind: 'sva', mm: 'A', asid: d.asid, faultAll: false });
    expect(smmu.dma(master, 3)).toEqual(R.mm('A'));
    smmu.removeDevPasid(d, master, 3);
    expect(master.ste.cdTable.read(3)).toBeUndefined();
    expect(smmu.dma(master, 3)).toEqual(R.fault('bad_cd'));
  });

  it('a kernel-domain CD answers kernel', () => {
    const { smmu, master } = rig(2);
    expect(smmu.setDevPasid(smmu.kernelDomain, master, 1)).toBeNull();
    expect(smmu.dma(master, 1)).toEqual(R.kernel);
  });

  it('mm release rewrites every CD of the mm, on every master, as fault-everything (translation)', () => {
    const { smmu, master } = rig(2);
    const other = new ArmSmmuMaster(1, 'dsp', smmu, 1);
    const a = svaDomain(smmu, 'A');
    const b = svaDomain(smmu, 'B');
    smmu.setDevPasid(a, master, 1);
    smmu.setDevPasid(a, other, 1);
    smmu.setDevPasid(b, master, 2);
    smmu.mmRelease(a);
    expect(smmu.dma(master, 1)).toEqual(R.fault('translation'));
    expect(smmu.dma(other, 1)).toEqual(R.fault('translation'));
    expect(master.ste.cdTable.read(1)).toMatchObject({ kind: 'sva', mm: 'A', faultAll: true }); // still valid
    expect(smmu.dma(master, 2)).toEqual(R.mm('B')); // another mm is untouched
  });

  it('allocates ASIDs 1..2^asid_bits-1 and fails EBUSY when exhausted; a freed ASID is reused', () => {
    const smmu = new ArmSmmuV3(0, 'smmu0', 2, true, newAsidXa()); // ASIDs 1..3
    const ds = ['A', 'B', 'C'].map((mm) => svaDomain(smmu, mm));
    expect(ds.map((d) => d.asid)).toEqual([1, 2, 3]);
    expect(smmu.domainAllocSva('D')).toBe('EBUSY');
    smmu.domainFree(ds[1]);
    expect(svaDomain(smmu, 'D').asid).toBe(2);
  });

  it('ASIDs come from one system-wide xarray, each instance within its own asid_bits (arm_smmu_asid_xa)', () => {
    const xa = newAsidXa();
    const wide = new ArmSmmuV3(0, 'smmu0', 16, true, xa), narrow = new ArmSmmuV3(1, 'smmu1', 1, true, xa);
    const a = svaDomain(wide, 'A');
    expect(a.asid).toBe(1);
    expect(narrow.domainAllocSva('B')).toBe('EBUSY');          // its only ASID, 1, is held behind smmu0
    expect(svaDomain(wide, 'C').asid).toBe(2);
    wide.domainFree(a);
    expect(svaDomain(narrow, 'B').asid).toBe(1);
    expect(wide.domainAllocSva('D')).toMatchObject({ asid: 3 });
  });

  it('an instance without SVA support fails domain allocation with EOPNOTSUPP', () => {
    const smmu = new ArmSmmuV3(0, 'smmu0', 16, false, newAsidXa());
    expect(smmu.domainAllocSva('A')).toBe('EOPNOTSUPP');
  });

  it('refuses a domain of another instance with EINVAL and writes nothing', () => {
    const { smmu, master } = rig(2);
    const smmu1 = new ArmSmmuV3(1, 'smmu1', 16, true, smmu.asids);
    const foreign = svaDomain(smmu1, 'A');
    expect(smmu.setDevPasid(foreign, master, 1)).toBe('EINVAL');
    expect(smmu1.setDevPasid(foreign, master, 1)).toBe('EINVAL'); // master behind smmu0
    expect(master.ste.cdTable.read(1)).toBeUndefined();
  });

  it('a CD write beyond S1CDMAX is refused like arm_smmu_get_cd_ptr (WARN, ENOMEM)', () => {
    const { smmu, master } = rig(1);
    const d = svaDomain(smmu, 'A');
    expect(smmu.setDevPasid(d, master, 2)).toBe('ENOMEM');
    expect(smmu.warnings).toHaveLength(1);
    expect(smmu.dma(master, 2)).toEqual(R.fault('bad_substream'));
  });
});
