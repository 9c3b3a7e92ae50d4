/**
 * sva-2018: the SVA API of "[PATCH v2 01/40] iommu: Introduce Shared Virtual Addressing API"
 * (Jean-Philippe Brucker, 2018), as its thread with amdgpu's requirements states it
 * (Christian Koenig and Jean-Philippe Brucker, 2018-09-07), modelled on that series'
 * drivers/iommu/iommu-sva.c: io_mm_alloc, io_mm_attach, io_mm_detach_locked,
 * iommu_notifier_release, __iommu_sva_bind_device, __iommu_sva_unbind_device.
 *
 * - R1: the driver states the PASID range at device init (iommu_sva_device_init: min_pasid,
 *   max_pasid; AMD's KFD passes min 1, the SMMUv3 reserves PASID 0 itself). A process's first
 *   bind allocates its io_mm's PASID, the lowest free in the device's [min_pasid, max_pasid]
 *   (idr_alloc); none free: ENOSPC (R1-nospc). A failed attach puts the new io_mm back.
 * - R2: the PASID stays the process's (its io_mm's) across devices; a device whose range
 *   excludes it refuses the bind with ERANGE (io_mm_attach).
 * - R3: binding the same (dev, mm) again returns the bond's PASID, without another reference.
 * - R4: the io_mm, and its PASID, are freed with its last bond (io_mm_release → idr_remove):
 *   unbinding everything frees the PASID, unlike upstream today (U2).
 * - R5: process exit: the core calls each bond's mm_exit callback (iommu_notifier_release →
 *   iommu_signal_mm_exit); the bonds and the PASID stay while the callbacks run.
 * - R6: mm_exit_done, the callback returning, detaches that bond; after the last one the
 *   PASID is freed: "the PASID is reused only after mm_exit returns", the grace period
 *   amdgpu asked for, as two steps.
 * - R7: the requested "several PASIDs for one mm": bind_private (a private-PASID bind flag,
 *   which the series did not have) gives the bond a PASID of its own, lowest free in the
 *   range, freed with that bond.
 * - R8: get_pasid is the PASID the bind returned (the bond's).
 * - R9: no IOMMU domain: EINVAL (iommu_get_domain_for_dev); R9-nosva: an IOMMU without
 *   mm_alloc: ENODEV (io_mm_alloc).
 * - C7 (contract): after exit a bond is released by its callback (mm_exit_done), not unbind;
 *   mm_exit_done is only for an exited process's bond.
 * Not modelled: drvdata (an opaque pointer per bond, passed back to mm_exit: it decides no
 * PASID and no result); PASIDs without an mm (declined in the thread); ENQCMD, attach_pasid
 * and alloc_global (later kernels).
 */
import { svaAttach } from '../sva.ts';
import type { SpecOp, Variant } from '../step.ts';
import { NONE, groupOfDev, hasSvaDomain, type Reads, type World } from '../world.ts';

/** R1, R7: the lowest id in the device's [min_pasid, max_pasid] the IDR does not hold, or NONE. */
function idrAlloc(w: Reads, dev: number): number {
  const { minPasid, maxPasid } = w.cfg.devices[dev];
  const p = w.firstUnallocated(minPasid);
  return p <= maxPasid ? p : NONE;
}

/** The checks every bind starts with (R9); true when the bind was refused. */
function refused(w: World, dev: number): boolean {
  if (groupOfDev(w.cfg, dev) === null) { w.errno('EINVAL', 'R9'); return true; }          // iommu_get_domain_for_dev: NULL
  if (!w.cfg.iommus[w.cfg.devices[dev].iommu!].sva) { w.errno('ENODEV', 'R9-nosva'); return true; }  // !domain->ops->mm_alloc
  return false;
}

/** __iommu_sva_bind_device: the mm's io_mm (R2, R3) or a new one (R1). */
function bind(w: World, dev: number, mm: number): void {
  if (refused(w, dev)) return;
  const group = groupOfDev(w.cfg, dev)!;
  const had = w.pasid(mm);
  if (had !== NONE) {
    if (w.slotKind(group, had) === 'sva' && w.slotMm(group, had) === mm) return w.gave(had, 'R3');  // bond found: no new reference
    const { minPasid, maxPasid } = w.cfg.devices[dev];
    if (had < minPasid || had > maxPasid) return w.errno('ERANGE', 'R2');  // io_mm_attach
    svaAttach(w, dev, mm, had);
    if (!w.failed()) w.also('R2');
    return;
  }
  const pasid = idrAlloc(w, dev);
  if (pasid === NONE) return w.errno('ENOSPC', 'R1-nospc');               // idr_alloc: -ENOSPC
  svaAttach(w, dev, mm, pasid);                                          // io_mm_attach; a failure puts the io_mm back
  if (w.failed()) return;
  w.allocate(pasid);
  w.setData(mm, pasid, true);
  w.also('R1');
}

/** bind_private: a new io_mm of the same mm, with a PASID of its own (R7). */
function bindPrivate(w: World, dev: number, mm: number): void {
  if (refused(w, dev)) return;
  const pasid = idrAlloc(w, dev);
  if (pasid === NONE) return w.errno('ENOSPC', 'R1-nospc');
  svaAttach(w, dev, mm, pasid);
  if (w.failed()) return;
  w.allocate(pasid);
  w.also('R7');
}

/**
 * io_mm_detach_locked of the bond at (group, pasid): the slot empties, the domain loses a
 * user, and the io_mm's PASID goes with its last bond (R4); an exited mm with no bond left
 * is gone (U3).
 */
function detach(w: World, group: number, pasid: number, rule: 'R4' | 'R6'): void {
  if (w.slotKind(group, pasid) !== 'sva') throw new Error('detach of an empty slot: a caller-contract violation reached the spec');
  const mm = w.slotMm(group, pasid), iommu = w.cfg.devices[w.slotDev(group, pasid)].iommu!;
  w.clearSlot(group, pasid);
  const left = w.domainUsers(mm, iommu) - 1;
  w.setDomain(mm, iommu, left, left > 0 ? w.asid(mm, iommu) : 0);
  const shared = w.pasid(mm) === pasid;
  let stillUsed = false;
  if (shared) for (let g = 0; g < w.cfg.groups.length && !stillUsed; g++) stillUsed = w.slotKind(g, pasid) === 'sva';
  if (!stillUsed) w.release(pasid);                                      // io_mm_release: idr_remove
  if (shared && !stillUsed) w.dropData(mm);
  w.ok(rule);
  if (w.status(mm) === 'exited' && !hasSvaDomain(w, mm)) { w.setStatus(mm, 'gone'); w.also('U3'); }
}

/** Process exit: the core calls every bond's mm_exit callback (R5); without bonds the mm is gone. */
function mmExit(w: World, mm: number): void {
  if (!hasSvaDomain(w, mm)) {
    if (w.pasid(mm) !== NONE) w.dropData(mm);
    w.setStatus(mm, 'gone');
    return w.ok('U3');
  }
  w.setStatus(mm, 'exited');
  w.ok('R5');
}

function own(w: World, op: SpecOp): boolean {
  switch (op.op) {
    case 'bind_private': bindPrivate(w, op.dev, op.mm); return true;
    case 'unbind': detach(w, op.group, op.pasid, 'R4'); return true;      // __iommu_sva_unbind_device
    case 'mm_exit': mmExit(w, op.mm); return true;
    case 'mm_exit_done': detach(w, op.group, op.pasid, 'R6'); return true;  // iommu_notifier_release, after mm_exit()
    default: return false;
  }
}

/** C7: who releases a bond depends on whether its process has exited. */
function contract(w: Reads, op: SpecOp): 'C7' | null {
  if (op.op !== 'unbind' && op.op !== 'mm_exit_done') return null;
  if (w.slotKind(op.group, op.pasid) !== 'sva') return null;
  const exited = w.status(w.slotMm(op.group, op.pasid)) !== 'live';
  return (op.op === 'unbind') === exited ? 'C7' : null;
}

export const sva2018: Variant = {
  name: 'sva-2018',
  doc: 'the 2018 SVA API: PASID range per device at init, one PASID per process (io_mm) freed with its last bond, exit in two steps through the mm_exit callback, and the requested private PASIDs',
  pasidsPerMm: 'shared-plus-private',
  ops: ['bind', 'bind_private', 'unbind', 'get_pasid', 'mm_exit', 'mm_exit_done', 'dma'],
  namedScenariosOnly: true,
  // The lowest id a device range starts at, and one private bond per (mm, group) beyond the shared PASID.
  allocator: (cfg) => ({ from: Math.max(1, ...cfg.devices.map((d) => d.minPasid)), extra: cfg.mms.length * cfg.groups.length }),
  bind,
  getPasid: (w, _group, pasid) => w.gave(pasid, 'R8'),
  enqcmdPasid: (w) => w.invalid('G2'),                                   // not an operation of this design
  freesOnDrop: () => true,
  own,
  contract,
};
