/**
 * ioasid-2020: "[PATCH 00/10] IOASID extensions for guest SVA" (Jacob Pan, 2020-03-25), part 1:
 * IOASID sets with quotas, modelled on its drivers/iommu/ioasid.c (ioasid_install_capacity,
 * ioasid_alloc_system_set, ioasid_alloc_set, ioasid_alloc, ioasid_free_set,
 * ioasid_adjust_set). The setup states the capacity, the system set's quota and each VM's set
 * with its quota (ResolvedSetup.ioasid; the quotas may not exceed the capacity: a setup error,
 * as ioasid_alloc_set fails).
 * - Q1: SVA binds and other kernel users (alloc_global) draw from the system set ("This
 *   default/system set is used for baremetal SVA"): the lowest free id of the one id space,
 *   counted against the system set's quota; Q1-quota: at the quota a bind fails with ENOSPC
 *   (INVALID_IOASID from the allocator), alloc_global gives INVALID.
 * - Q2: ioasid_alloc in a VM's set: the lowest free id of the same id space in the device's
 *   range, counted in the set; Q2-quota: at the set's quota, INVALID.
 * - Q3: ioasid_free_set frees every IOASID of the set (the set stays usable).
 * - Q4: ioasid_adjust_set changes the quota; below the IOASIDs the set holds it fails with
 *   EINVAL and nothing changes; Q4-nospc: a new quota >= the capacity still available fails
 *   with ENOSPC — the code compares the new quota itself, not the increase, so even a
 *   shrinking set is refused once the capacity is handed out.
 * - C8 (contract): a set's IOASIDs are freed through their set (ioasid_free_set), not by
 *   free_global.
 * What the quota does not do: it bounds how many ids a set holds, not which ones. A VM within
 * its quota of 1 that takes PASID 1 starves a 1-SSID device as any other holder would (A2).
 * Everything else is upstream's, the PASID kept for the mm's lifetime included (the 2020
 * intel-svm code freed it at the last unbind; no quota claim depends on that). Not modelled:
 * the notifiers (part 2), guest/host IOASID lookup, ioasid_find_sid, destroying a set.
 */
import { lowestFreeGlobal } from '../sva.ts';
import type { SpecOp, Variant } from '../step.ts';
import { NONE, type Reads, type World } from '../world.ts';
import { upstream } from './upstream.ts';

/** How many ids the set holds. */
function setCount(r: Reads, set: number): number {
  let n = 0;
  for (const p of r.idaPasids()) if (r.setHolds(set, p)) n++;
  return n;
}
/** The ids the system set holds: every allocated id no VM set holds (the mms' PASIDs, alloc_global's). */
function systemUse(r: Reads): number {
  let n = 0;
  for (const p of r.idaPasids()) {
    if (!r.allocated(p)) continue;
    let inSet = false;
    for (let s = 0; s < r.cfg.ioasid.sets.length && !inSet; s++) inSet = r.setHolds(s, p);
    if (!inSet) n++;
  }
  return n;
}
/** ioasid_capacity_avail: the capacity no set's quota (the system set's included) has taken. */
function capacityAvail(r: Reads): number {
  let n = r.cfg.ioasid.capacity - r.cfg.ioasid.systemQuota;
  for (let s = 0; s < r.cfg.ioasid.sets.length; s++) n -= r.setQuota(s);
  return n;
}

/** iommu_sva_bind_device on the system set: the quota first (Q1-quota), then upstream's bind. */
function bind(w: World, dev: number, mm: number): void {
  const needs = w.pasid(mm) === NONE;
  if (needs && w.cfg.devices[dev].iommu !== null && systemUse(w) >= w.cfg.ioasid.systemQuota)
    return w.errno('ENOSPC', 'Q1-quota');                                // ioasid_alloc: INVALID_IOASID
  upstream.bind(w, dev, mm);
  if (needs && w.pasid(mm) !== NONE) w.also('Q1');
}

/** alloc_global as a kernel user of the system set (Q1). */
function allocGlobal(w: World, dev: number): void {
  if (systemUse(w) >= w.cfg.ioasid.systemQuota) return w.invalid('Q1-quota');
  const pasid = lowestFreeGlobal(w, dev);
  if (pasid === NONE) return w.invalid('A1-none');
  w.allocate(pasid);
  w.hold(pasid);
  w.gave(pasid, 'A1');
  w.also('Q1');
}

/** ioasid_alloc(set, 1, max_pasids(dev) - 1) (Q2). The set's ids are non-mm holders too (kernelHeld). */
function ioasidAlloc(w: World, set: number, dev: number): void {
  if (setCount(w, set) >= w.setQuota(set)) return w.invalid('Q2-quota');  // the set is at its quota
  const pasid = lowestFreeGlobal(w, dev);
  if (pasid === NONE) return w.invalid('A1-none');                        // the id space has none in range
  w.allocate(pasid);
  w.hold(pasid);
  w.setTake(set, pasid);
  w.gave(pasid, 'Q2');
}

/** ioasid_free_set(sid, false): every IOASID of the set goes back (Q3). */
function ioasidFreeSet(w: World, set: number): void {
  for (const p of [...w.idaPasids()]) {
    if (!w.setHolds(set, p)) continue;
    w.release(p);
    w.unhold(p);
    w.setGive(set, p);
  }
  w.ok('Q3');
}

/** ioasid_adjust_set (Q4): the checks in the order the code makes them. */
function ioasidAdjustSet(w: World, set: number, quota: number): void {
  if (setCount(w, set) > quota) return w.errno('EINVAL', 'Q4');         // nr_ioasids > quota
  if (quota >= capacityAvail(w)) return w.errno('ENOSPC', 'Q4-nospc');   // quota >= ioasid_capacity_avail
  w.putSetQuota(set, quota);
  w.ok('Q4-ok');
}

function own(w: World, op: SpecOp): boolean {
  switch (op.op) {
    case 'alloc_global': allocGlobal(w, op.dev); return true;
    case 'ioasid_alloc': ioasidAlloc(w, op.set, op.dev); return true;
    case 'ioasid_free_set': ioasidFreeSet(w, op.set); return true;
    case 'ioasid_adjust_set': ioasidAdjustSet(w, op.set, op.quota); return true;
    default: return false;
  }
}

/** C8: free_global frees an alloc_global caller's id, not a set's. */
function contract(r: Reads, op: SpecOp): 'C8' | null {
  if (op.op !== 'free_global') return null;
  for (let s = 0; s < r.cfg.ioasid.sets.length; s++) if (r.setHolds(s, op.pasid)) return 'C8';
  return null;
}

export const ioasid2020: Variant = {
  ...upstream,
  name: 'ioasid-2020',
  doc: 'the 2020 IOASID sets: a system capacity, a system set (SVA and kernel users) and per-VM sets with quotas, set-wide free, quota adjustment; otherwise upstream',
  ops: [...upstream.ops, 'ioasid_alloc', 'ioasid_free_set', 'ioasid_adjust_set'],
  namedScenariosOnly: true,
  // The VM sets' ids, up to their quotas (and one more than the largest, which adjust may allow).
  allocator: (cfg) => ({ from: 1, extra: cfg.ioasid.sets.reduce((n, s) => n + s.quota + 1, 0) }),
  bind,
  own,
  contract,
};
