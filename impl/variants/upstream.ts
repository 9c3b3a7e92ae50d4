/**
 * upstream: mainline drivers/iommu/iommu-sva.c just before the patch. One global PASID per mm
 * from the system-wide allocator, published on the mm before any attach (S3) and never rolled
 * back (S6); iommu_sva_get_pasid goes through mm_get_enqcmd_pasid (G1); no bind_pasid.
 */
import { IommuSvaCore, type BindCtx } from '../core.ts';
import { type IommuSva, type Ret, IOMMU_PASID_INVALID, newIommuMm } from '../types.ts';

export class UpstreamSva extends IommuSvaCore {
  /** iommu_alloc_mm_data(mm, dev). */
  protected override allocMmData(ctx: BindCtx): Ret {
    const { mm, dev } = ctx;
    if (mm.iommuMm !== null) {
      if (mm.iommuMm.pasid >= this.maxPasids(dev)) return 'EOVERFLOW'; // S2
      ctx.iommuMm = mm.iommuMm;
      ctx.pasid = mm.iommuMm.pasid;
      return null;
    }
    if (this.fallible('mm_data', 'impl/variants/upstream.ts:allocMmData')) return 'ENOMEM';
    const pasid = this.iommuAllocGlobalPasid(dev);
    if (pasid === IOMMU_PASID_INVALID) return 'ENOSPC'; // S3
    mm.iommuMm = newIommuMm(pasid, true); // smp_store_release: published before the attach (S3)
    ctx.iommuMm = mm.iommuMm;
    ctx.pasid = pasid;
    ctx.newGlobal = true;
    return null;
  }

  /** G1: upstream returns mm_get_enqcmd_pasid(domain->mm). */
  protected override svaGetPasid(handle: IommuSva): number {
    return this.enqcmdPasid(handle.domain.mm);
  }
}
