/**
 * v1: the first posting of the patch. As v2, but an idle local mm keeps its first PASID, so a
 * later bind_pasid with another PASID fails with ENOSPC — the bug v2's changelog fixes
 * ("Reuse iommu_mm->pasid after SVA bound by iommu_sva_bind_device_pasid() is unbound").
 */
import type { IommuMm } from '../types.ts';
import { V2Sva } from './v2.ts';

export class V1Sva extends V2Sva {
  protected override localPasidReplaceable(_iommuMm: IommuMm): boolean {
    return false;
  }
}
