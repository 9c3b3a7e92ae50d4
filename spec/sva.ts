/**
 * The pieces of the bind path every variant shares: the global allocator (A1), the attach
 * checks of iommu_attach_device_pasid (B1), and the handle lookup and domain attach of
 * iommu_sva_bind_device (S4, B4-handle, S5).
 */
import { R } from '../vocab/index.ts';
import { groupOf, insertSorted, maxPasids, slotAt, withDomainUsers, withNewDomain, withSlot, type Config, type State } from './state.ts';
import { also, done, fail, type Step } from './step.ts';

/** A1: the lowest id in [1, max_pasids(dev)-1] the global allocator does not hold, or null. */
export function lowestFreeGlobal(cfg: Config, st: State, dev: number): number | null {
  const max = maxPasids(cfg, dev);
  let candidate = 1;
  for (const held of st.ida) {
    if (held > candidate) break;
    if (held === candidate) candidate++;
  }
  return candidate < max ? candidate : null;
}

export const takeGlobal = (st: State, pasid: number): State => ({ ...st, ida: insertSorted(st.ida, pasid) });
export const freeGlobal = (st: State, pasid: number): State => ({ ...st, ida: st.ida.filter((p) => p !== pasid) });

/** B1 after the group check: the rule that refuses attaching at (group of dev, pasid), or null. */
export function attachRefusal(cfg: Config, st: State, group: number, pasid: number): 'B1-pasid0' | 'B1-range' | 'B1-busy' | null {
  if (pasid === 0) return 'B1-pasid0';                                   // pasid == IOMMU_NO_PASID
  for (const d of cfg.groups[group].devices)                             // for_each_group_device
    if (pasid >= maxPasids(cfg, d)) return 'B1-range';
  if (slotAt(st, group, pasid) !== undefined) return 'B1-busy';          // xa_insert: -EBUSY
  return null;
}

const ERRNO_OF = { 'B1-pasid0': 'EINVAL', 'B1-range': 'EINVAL', 'B1-busy': 'EBUSY' } as const;

/**
 * M6: the lowest ASID in [1, 2^asid_bits(iommu) - 1] that no SVA domain holds, behind any
 * SMMU (arm_smmu_asid_xa is system-wide), or null.
 */
export function lowestFreeAsid(cfg: Config, st: State, iommu: number): number | null {
  const held = new Set(st.mms.flatMap((m) => m.asids));
  for (let asid = 1; asid < 2 ** cfg.iommus[iommu].asidBits; asid++) if (!held.has(asid)) return asid;
  return null;
}

/**
 * S4 + S5: bind (dev, mm) at pasid, the mm data already settled. Returns the PASID, or the
 * errno of the handle lookup, the domain allocation or the attach.
 */
export function svaAttach(cfg: Config, st: State, dev: number, mm: number, pasid: number): Step {
  const group = groupOf(cfg, dev)!;
  const slot = slotAt(st, group, pasid);
  if (slot?.kind === 'sva') {
    const found = slot.mm !== mm
      ? fail(st, 'EBUSY', 'S4-busy')                                     // attach_handle->domain->mm != mm
      : done(withSlot(st, group, pasid, { ...slot, users: slot.users + 1 }), R.pasid(pasid), 'S4-ref');
    return slot.dev === dev ? found : also(found, 'B2');                 // the handle came from a group sibling
  }
  if (slot?.kind === 'kernel' && slot.handle)
    return fail(st, 'EBUSY', 'B4-handle');                               // iommu_attach_handle_get: type != SVA

  const iommu = cfg.devices[dev].iommu!;
  const refusal = attachRefusal(cfg, st, group, pasid);
  const users = st.mms[mm].domains[iommu];
  const bond = { kind: 'sva', mm, dev, users: 1 } as const;
  if (cfg.fault === 'handle') return fail(st, 'ENOMEM', 'N3');           // kzalloc(handle) fails
  // A failed try of a domain behind another IOMMU is swallowed, whatever made it fail (N7).
  const foreignTry = refusal === null && st.mms[mm].domains.some((u, i) => u > 0 && i !== iommu);
  const swallowed = (s: Step): Step => (cfg.fault === 'foreign_attach' && foreignTry ? also(s, 'N7') : s);
  if (users > 0 && refusal === null) {                                   // an existing domain attaches
    const reused = done(withSlot(withDomainUsers(st, mm, iommu, users + 1), group, pasid, bond), R.pasid(pasid), 'S5-reuse');
    if (cfg.fault !== 'reuse_attach') return swallowed(reused);
    // N6: the failed attach is swallowed and a second domain is allocated, which needs an ASID.
    if (lowestFreeAsid(cfg, st, iommu) === null) return swallowed(also(fail(st, 'EBUSY', 'M6'), 'N6'));
    return swallowed(also(reused, 'N6'));
  }
  return swallowed(newDomain(cfg, st, dev, mm, pasid, refusal));
}

/** S5's last resort: allocate a new SVA domain (M7, M6) and attach it (B1). */
function newDomain(cfg: Config, st: State, dev: number, mm: number, pasid: number, refusal: ReturnType<typeof attachRefusal>): Step {
  const iommu = cfg.devices[dev].iommu!;
  if (!cfg.iommus[iommu].sva) return fail(st, 'EOPNOTSUPP', 'M7');       // no domain_alloc_sva
  if (cfg.fault === 'domain') return fail(st, 'ENOMEM', 'N4');           // domain, ASID or notifier allocation
  const asid = lowestFreeAsid(cfg, st, iommu);
  if (asid === null) return fail(st, 'EBUSY', 'M6');                     // xa_alloc(&arm_smmu_asid_xa): none in range
  if (refusal !== null) return fail(st, ERRNO_OF[refusal], refusal);     // out_free_domain
  if (cfg.fault === 'attach') return fail(st, 'ENOMEM', 'N5');           // pasid_array entry or CD table
  const bond = { kind: 'sva', mm, dev, users: 1 } as const;
  return done(withSlot(withNewDomain(st, mm, iommu, asid), groupOf(cfg, dev)!, pasid, bond), R.pasid(pasid), 'S5-new');
}
