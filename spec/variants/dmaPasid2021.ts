/**
 * dma-pasid-2021: "[PATCH 1/4] ioasid: Reserve a global PASID for in-kernel DMA" (Jacob Pan,
 * 2021-12-07, and its review, 2021-12-09). One global PASID, IOASID_DMA_PASID = 1, is reserved
 * for in-kernel DMA (the same PASID on every device, attached as the caller chooses) and
 * excluded from the IOASID allocator; SVA allocation starts above it, at IOASID_ALLOC_BASE
 * (arm-smmu-v3-sva.c __arm_smmu_sva_bind: iommu_sva_alloc_pasid(mm, IOASID_ALLOC_BASE,
 * (1U << master->ssid_bits) - 1)). Differences from upstream:
 * - D1: a bind allocates the lowest free global id in [IOASID_ALLOC_BASE, max_pasids(dev)-1];
 *   the reserved DMA PASID is never a process's;
 * - D2: none free: iommu_sva_alloc_pasid returned -ENOMEM (ioasid_alloc gave INVALID_IOASID).
 *   A 1-SSID device (only PASID 1 usable) can therefore never be bound: its only PASID is the
 *   kernel's.
 * Everything else is upstream's (the PASID kept for the mm's lifetime, as "iommu/sva: Assign a
 * PASID to mm on PASID allocation and free it on mm exit" made it in the same cycle).
 *
 * The review's alternative — each driver reserving its DMA PASID from the allocator itself
 * (ioasid_alloc/ioasid_get under the driver's lock) — is what upstream does today with
 * iommu_alloc_global_pasid and attach_pasid: the `upstream` variant.
 *
 * Not stated here, for want of a hook (see the variant interface): the reserved id is excluded
 * from alloc_global too, so in this file alloc_global can still hand out 1.
 */
import { lowestFreeGlobal } from '../sva.ts';
import type { SpecOp, Variant } from '../step.ts';
import { NONE, type World } from '../world.ts';
import { bindOnePasid, upstream } from './upstream.ts';

/** IOASID_DMA_PASID and IOASID_ALLOC_BASE of include/linux/ioasid.h in the patch. */
export const IOASID_DMA_PASID = 1;
export const IOASID_ALLOC_BASE = IOASID_DMA_PASID + 1;

/**
 * __arm_smmu_sva_bind → iommu_sva_alloc_pasid(mm, IOASID_ALLOC_BASE, max), then the attach:
 * upstream's bind, allocating from IOASID_ALLOC_BASE (D1); none free is ENOMEM
 * (ioasid_alloc: INVALID_IOASID, D2).
 */
const bind = bindOnePasid({ from: IOASID_ALLOC_BASE, none: { errno: 'ENOMEM', rule: 'D2' }, fresh: 'D1' });

/** alloc_global (ioasid_alloc for a kernel user): the reserved DMA PASID is not in the allocator (D3). */
function own(w: World, op: SpecOp): boolean {
  if (op.op !== 'alloc_global') return false;
  const pasid = lowestFreeGlobal(w, op.dev, IOASID_ALLOC_BASE);
  if (pasid === NONE) { w.invalid('A1-none'); return true; }            // INVALID_IOASID
  w.allocate(pasid);
  w.hold(pasid);
  w.gave(pasid, 'D3');
  return true;
}

/** Reporting the PASID and the ENQCMD fixup are upstream's: one global PASID per mm. */
export const dmaPasid2021: Variant = {
  ...upstream,
  name: 'dma-pasid-2021',
  doc: 'the 2021 proposal: global PASID 1 reserved for in-kernel DMA, SVA PASIDs allocated from 2 (IOASID_ALLOC_BASE); otherwise upstream',
  namedScenariosOnly: true,
  allocator: () => ({ from: IOASID_ALLOC_BASE, extra: 0 }),
  bind,
  own,
};
