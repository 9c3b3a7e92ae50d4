/**
 * v2: "[PATCH v2] iommu: Allow device driver to use its own PASID space for SVA"
 * (2026-05-20), exactly as the diff is written. Differences from upstream:
 * - iommu_sva_bind_device_pasid (V1): pasid 0 → EINVAL, before anything else;
 * - iommu_alloc_mm_data gains pasid_global, the no-mixing EBUSY (V2), the one-local-PASID
 *   ENOSPC (V3), the replacement of an idle local mm's PASID (V4);
 * - the mm data is published only after a successful attach; a failed first bind frees its new
 *   global PASID and the data (V7, out_free_iommu_mm);
 * - iommu_sva_get_pasid returns iommu_mm->pasid (V8). mm_get_enqcmd_pasid and mm_pasid_drop
 *   only honour global PASIDs (V8, V9): that is the core's default.
 */
import { IommuSvaCore, type BindCtx } from '../core.ts';
import {
  type Device, type IommuMm, type IommuSva, type KResult, type MmStruct, type Ret,
  IOMMU_PASID_GLOBAL_ANY, IOMMU_PASID_INVALID, err, newIommuMm,
} from '../types.ts';

export class V2Sva extends IommuSvaCore {
  /** iommu_sva_bind_device_pasid. */
  protected override bindDevicePasid(dev: Device, mm: MmStruct, pasid: number): KResult<IommuSva> {
    if (pasid === IOMMU_PASID_GLOBAL_ANY) return err('EINVAL'); // V1, before the group check
    return this.bindInternal(dev, mm, pasid);
  }

  /** iommu_alloc_mm_data(mm, dev, pasid) as in the v2 diff. */
  protected override allocMmData(ctx: BindCtx): Ret {
    const { mm, dev, requested } = ctx;
    const iommuMm = mm.iommuMm;
    if (iommuMm !== null) {
      if (this.modeMismatch(iommuMm, requested)) return 'EBUSY'; // V2, V5
      if (!iommuMm.pasidGlobal) {
        if (this.localPasidReplaceable(iommuMm)) iommuMm.pasid = requested; // V4 (stays on failure)
        if (requested !== iommuMm.pasid) return 'ENOSPC'; // V3
      }
      if (iommuMm.pasid >= this.maxPasids(dev)) return 'EOVERFLOW'; // S2
      ctx.iommuMm = iommuMm;
      ctx.pasid = iommuMm.pasid;
      return null;
    }
    if (this.fallible('mm_data', 'impl/variants/v2.ts:allocMmData')) return 'ENOMEM';
    if (requested === IOMMU_PASID_GLOBAL_ANY) {
      const pasid = this.iommuAllocGlobalPasid(dev);
      if (pasid === IOMMU_PASID_INVALID) return 'ENOSPC'; // S3
      ctx.iommuMm = newIommuMm(pasid, true);
      ctx.newGlobal = true;
    } else {
      if (requested >= this.maxPasids(dev)) return 'EOVERFLOW'; // V6
      ctx.iommuMm = newIommuMm(requested, false);
    }
    ctx.pasid = ctx.iommuMm.pasid; // not published yet (V7)
    return null;
  }

  /** V2: a global mm asked for a local bind, or a local mm for a global one. */
  protected modeMismatch(iommuMm: IommuMm, requested: number): boolean {
    return (requested === IOMMU_PASID_GLOBAL_ANY) !== iommuMm.pasidGlobal;
  }

  /** V4: `if (list_empty(&iommu_mm->sva_domains)) iommu_mm->pasid = pasid;` */
  protected localPasidReplaceable(iommuMm: IommuMm): boolean {
    return iommuMm.svaDomains.size === 0;
  }

  /** out_free_iommu_mm (V7): data never published is new: free its global PASID and it. */
  protected override unwindMmData(ctx: BindCtx): void {
    const iommuMm = ctx.iommuMm as IommuMm;
    if (ctx.mm.iommuMm === iommuMm) return; // published by an earlier bind: keep
    if (iommuMm.pasidGlobal) this.globalPasidIda.free(iommuMm.pasid);
  }

  /** V8: iommu_mm->pasid, local or global; INVALID once the mm data is gone. */
  protected override svaGetPasid(handle: IommuSva): number {
    return handle.domain.mm.iommuMm?.pasid ?? IOMMU_PASID_INVALID;
  }
}
