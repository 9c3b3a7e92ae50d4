/**
 * per-device: the design proposed in review of v2 (Kevin Tian, 2026-05-25; docs/semantics.md "per-device"). Per mm at most one global
 * PASID (the one ENQCMD/ST64BV0 use, taken by the first `bind`, kept until the mm is gone)
 * plus device-local [dev, pasid] bonds. Differences from v2:
 * - no mixing rule and no one-local-PASID rule; instead one bond per (group, mm) (K3, EBUSY);
 * - the mm data is published at once (an mm data without global PASID and without bonds is
 *   indistinguishable from none); a failed bind frees only the global PASID it took (K4);
 * - iommu_sva_get_pasid returns the bond's PASID; local PASIDs never reach the allocator.
 */
import { IommuSvaCore, type BindCtx } from '../core.ts';
import {
  type Device, type IommuMm, type IommuSva, type KResult, type MmStruct, type Ret,
  IOMMU_PASID_GLOBAL_ANY, IOMMU_PASID_INVALID, err, newIommuMm,
} from '../types.ts';

export class PerDeviceSva extends IommuSvaCore {
  protected override bindDevicePasid(dev: Device, mm: MmStruct, pasid: number): KResult<IommuSva> {
    if (pasid === IOMMU_PASID_GLOBAL_ANY) return err('EINVAL');
    return this.bindInternal(dev, mm, pasid);
  }

  protected override allocMmData(ctx: BindCtx): Ret {
    const { mm, dev, group, requested } = ctx;
    const iommuMm = mm.iommuMm ?? (mm.iommuMm = newIommuMm(IOMMU_PASID_INVALID, false));
    ctx.iommuMm = iommuMm;
    const bond = iommuMm.bonds.get(group.index);
    if (requested !== IOMMU_PASID_GLOBAL_ANY) {
      if (requested >= this.maxPasids(dev)) return 'EOVERFLOW';
      if (bond !== undefined && bond.pasid !== requested) return 'EBUSY'; // K3
      ctx.pasid = requested;
      return null;
    }
    if (bond !== undefined && bond.pasid !== iommuMm.pasid) return 'EBUSY'; // K3
    if (iommuMm.pasid === IOMMU_PASID_INVALID) {
      if (this.fallible('mm_data', 'impl/variants/per-device.ts:allocMmData')) return 'ENOMEM';
      const pasid = this.iommuAllocGlobalPasid(dev);
      if (pasid === IOMMU_PASID_INVALID) return 'ENOSPC';
      iommuMm.pasid = pasid;
      iommuMm.pasidGlobal = true;
      ctx.newGlobal = true;
    }
    if (iommuMm.pasid >= this.maxPasids(dev)) return 'EOVERFLOW';
    ctx.pasid = iommuMm.pasid;
    return null;
  }

  /** K4: a failed bind gives back the global PASID it took; local PASIDs were never ours. */
  protected override unwindMmData(ctx: BindCtx): void {
    if (!ctx.newGlobal) return;
    const iommuMm = ctx.iommuMm as IommuMm;
    this.globalPasidIda.free(iommuMm.pasid);
    iommuMm.pasid = IOMMU_PASID_INVALID;
    iommuMm.pasidGlobal = false;
  }

  protected override svaGetPasid(handle: IommuSva): number {
    return handle.pasid;
  }
}
