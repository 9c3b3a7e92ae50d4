/**
 * The pieces of the bind path every variant shares: the global allocator (A1), the attach
 * checks of iommu_attach_device_pasid (B1), and the handle lookup and domain attach of
 * iommu_sva_bind_device (S4, B4-handle, S5).
 */
import { NONE, groupOfDev, maxPasidsOf, type Reads, type World } from './world.ts';

/**
 * A1: the lowest id in [from, max_pasids(dev)-1] the global allocator does not hold, or NONE
 * (ida_alloc_range(&iommu_global_pasid_ida, from, max - 1); upstream starts at 1).
 */
export function lowestFreeGlobal(w: Reads, dev: number, from = 1): number {
  const candidate = w.firstUnallocated(from);
  return candidate < maxPasidsOf(w.cfg, dev) ? candidate : NONE;
}

export type Refusal = 'B1-pasid0' | 'B1-range' | 'B1-busy';

/** B1 after the group check: the rule that refuses attaching at (group of dev, pasid), or null. */
export function attachRefusal(w: Reads, group: number, pasid: number): Refusal | null {
  if (pasid === 0) return 'B1-pasid0';                                   // pasid == IOMMU_NO_PASID
  for (const d of w.cfg.groups[group].devices)                           // for_each_group_device
    if (pasid >= maxPasidsOf(w.cfg, d)) return 'B1-range';
  if (w.slotKind(group, pasid) !== 'empty') return 'B1-busy';            // xa_insert: -EBUSY
  return null;
}

export const ERRNO_OF = { 'B1-pasid0': 'EINVAL', 'B1-range': 'EINVAL', 'B1-busy': 'EBUSY' } as const;

/**
 * M6: the lowest ASID in [1, 2^asid_bits(iommu) - 1] that no SVA domain holds, behind any
 * SMMU (arm_smmu_asid_xa is system-wide), or NONE.
 */
export function lowestFreeAsid(w: Reads, iommu: number): number {
  const limit = 2 ** w.cfg.iommus[iommu].asidBits;
  for (let asid = 1; asid < limit; asid++) if (!w.asidUsed(asid)) return asid;
  return NONE;
}

/**
 * S4 + S5: bind (dev, mm) at pasid, the mm data settled by the caller. Reports the PASID, or
 * the errno of the handle lookup, the domain allocation or the attach; writes nothing when it
 * fails.
 */
export function svaAttach(w: World, dev: number, mm: number, pasid: number): void {
  const cfg = w.cfg, group = groupOfDev(cfg, dev)!;
  const kind = w.slotKind(group, pasid);
  if (kind === 'sva') {
    if (w.slotMm(group, pasid) !== mm) w.errno('EBUSY', 'S4-busy');     // attach_handle->domain->mm != mm
    else {
      w.setSlotUsers(group, pasid, w.slotUsers(group, pasid) + 1);       // handle->users++
      w.gave(pasid, 'S4-ref');
    }
    if (w.slotDev(group, pasid) !== dev) w.also('B2');                   // the handle came from a group sibling
    return;
  }
  if (kind === 'handle') return w.errno('EBUSY', 'B4-handle');          // iommu_attach_handle_get: type != SVA

  const iommu = cfg.devices[dev].iommu!;
  const refusal = attachRefusal(w, group, pasid);
  const users = w.domainUsers(mm, iommu);
  if (cfg.fault === 'handle') return w.errno('ENOMEM', 'N3');           // kzalloc(handle) fails
  // A failed try of a domain behind another IOMMU is swallowed, whatever made it fail (N7).
  const foreignTry = cfg.fault === 'foreign_attach' && refusal === null && hasForeignDomain(w, mm, iommu);
  if (users > 0 && refusal === null) {                                   // an existing domain attaches
    if (cfg.fault === 'reuse_attach' && lowestFreeAsid(w, iommu) === NONE) {
      // N6: the failed attach is swallowed and a second domain is allocated, which needs an ASID.
      w.errno('EBUSY', 'M6');
      w.also('N6');
    } else {
      w.setDomain(mm, iommu, users + 1, w.asid(mm, iommu));
      w.putBond(group, pasid, mm, dev, 1);
      w.gave(pasid, 'S5-reuse');
      if (cfg.fault === 'reuse_attach') w.also('N6');
    }
  } else newDomain(w, dev, mm, pasid, group, refusal);
  if (foreignTry) w.also('N7');
}

/** Whether mm has an SVA domain behind an IOMMU other than `iommu`. */
function hasForeignDomain(w: Reads, mm: number, iommu: number): boolean {
  for (let i = 0; i < w.cfg.iommus.length; i++) if (i !== iommu && w.domainUsers(mm, i) > 0) return true;
  return false;
}

/** S5's last resort: allocate a new SVA domain (M7, M6) and attach it (B1). */
function newDomain(w: World, dev: number, mm: number, pasid: number, group: number, refusal: Refusal | null): void {
  const cfg = w.cfg, iommu = cfg.devices[dev].iommu!;
  if (!cfg.iommus[iommu].sva) return w.errno('EOPNOTSUPP', 'M7');       // no domain_alloc_sva
  if (cfg.fault === 'domain') return w.errno('ENOMEM', 'N4');           // domain, ASID or notifier allocation
  const asid = lowestFreeAsid(w, iommu);
  if (asid === NONE) return w.errno('EBUSY', 'M6');                     // xa_alloc(&arm_smmu_asid_xa): none in range
  if (refusal !== null) return w.errno(ERRNO_OF[refusal], refusal);     // out_free_domain
  if (cfg.fault === 'attach') return w.errno('ENOMEM', 'N5');           // pasid_array entry or CD table
  w.setDomain(mm, iommu, 1, asid);
  w.putBond(group, pasid, mm, dev, 1);
  w.gave(pasid, 'S5-new');
}
