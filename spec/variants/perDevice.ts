/**
 * per-device: the design Kevin Tian proposed in review of v2 (2026-05-25):
 * "for each mm: one global pasid for ENQCMD or ST64BV0; an array of device local pasids
 * tracked in [struct device *, pasid] tuple". The thread leaves errnos open; svacheck fixes:
 * - `bind` uses the mm's one global PASID, taken at the first bind (lowest free in the device
 *   range), kept until the mm is gone (K1); a failed bind frees a PASID it just took (K4);
 * - `bind_pasid` binds at the driver's PASID (V1, V6); mixing and different local PASIDs on
 *   different devices are allowed (K2);
 * - one bond per (group, mm): a bind at another PASID where the mm is already bound is EBUSY (K3);
 * - iommu_sva_get_pasid is the bond's PASID (K5); ENQCMD uses the global one (G2);
 * - local PASIDs stay unknown to the global allocator (V10 collisions remain).
 */
import { OPS_2026 } from '../../vocab/index.ts';
import { lowestFreeGlobal, svaAttach } from '../sva.ts';
import type { Variant } from '../step.ts';
import { NONE, boundPasidIn, groupOfDev, maxPasidsOf, type World } from '../world.ts';

function bind(w: World, dev: number, mm: number): void {
  const group = groupOfDev(w.cfg, dev);
  if (group === null) return w.errno('ENODEV', 'S1');
  const had = w.pasid(mm);
  const bound = boundPasidIn(w, group, mm);
  if (bound !== NONE && bound !== had) return w.errno('EBUSY', 'K3');
  let pasid = had;
  if (had === NONE) {
    if (w.cfg.fault === 'mm_data') return w.errno('ENOMEM', 'N1');
    if (w.cfg.fault === 'global_pasid') return w.errno('ENOSPC', 'N2');
    pasid = lowestFreeGlobal(w, dev);
    if (pasid === NONE) return w.errno('ENOSPC', 'S3-nospc');
  } else if (had >= maxPasidsOf(w.cfg, dev)) return w.errno('EOVERFLOW', 'S2');
  // V10: the global id sits under another mm's device-local bond (one not at its mm's PASID).
  const local = w.slotKind(group, pasid) === 'sva' && w.pasid(w.slotMm(group, pasid)) !== pasid;
  svaAttach(w, dev, mm, pasid);
  if (w.failed()) {
    if (had === NONE) w.also('K4');                                      // the PASID just taken goes back
    if (local) w.also('V10');
    return;
  }
  if (had === NONE) { w.allocate(pasid); w.setData(mm, pasid, true); }
  w.also(had === NONE ? 'K1' : 'S2-reuse');
}

function bindPasid(w: World, dev: number, mm: number, pasid: number): void {
  if (pasid === 0) return w.errno('EINVAL', 'V1');                       // IOMMU_PASID_GLOBAL_ANY
  const group = groupOfDev(w.cfg, dev);
  if (group === null) return w.errno('ENODEV', 'S1');
  if (pasid >= maxPasidsOf(w.cfg, dev)) return w.errno('EOVERFLOW', 'V6');
  const bound = boundPasidIn(w, group, mm);
  if (bound !== NONE && bound !== pasid) return w.errno('EBUSY', 'K3');
  const mixed = w.pasid(mm) !== NONE || boundElsewhere(w, group, mm, pasid);
  svaAttach(w, dev, mm, pasid);
  if (!w.failed()) w.also(mixed ? 'K2' : 'V1-bind');
}

/** Whether mm is bound in a group other than `group` at a PASID other than `pasid`. */
function boundElsewhere(w: World, group: number, mm: number, pasid: number): boolean {
  for (let g = 0; g < w.cfg.groups.length; g++) {
    if (g === group) continue;
    for (const p of w.svaPasids(g, mm)) if (p !== pasid) return true;
  }
  return false;
}

/** The bond's own PASID (K5). */
const getPasid = (w: World, _group: number, pasid: number): void => w.gave(pasid, 'K5');

/** The mm's global PASID, INVALID if it never bound globally (G2, K1). */
function enqcmdPasid(w: World, mm: number): void {
  const pasid = w.pasid(mm);
  if (pasid === NONE) return w.invalid('G2');
  w.gave(pasid, 'G2');
}

export const perDevice: Variant = {
  name: 'per-device',
  doc: "the reviewers' design: one global PASID per mm (ENQCMD) plus device-local [dev, pasid] bonds, mixing allowed",
  pasidsPerMm: 'global-plus-local',
  ops: OPS_2026,
  bind,
  bindPasid,
  getPasid,
  enqcmdPasid,
  freesOnDrop: () => true,                                               // only the global PASID is kept on the mm
};
