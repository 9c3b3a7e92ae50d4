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
import { OP_NAMES, R } from '../../vocab/index.ts';
import { lowestFreeGlobal, svaAttach, takeGlobal } from '../sva.ts';
import { groupOf, maxPasids, withMm, type Config, type State } from '../state.ts';
import { also, done, fail, type Step, type Variant } from '../step.ts';

/** The PASID at which mm is already bound in dev's group, if any. */
function boundPasidInGroup(st: State, group: number, mm: number): number | null {
  for (const [pasid, slot] of st.slots[group]) if (slot.kind === 'sva' && slot.mm === mm) return pasid;
  return null;
}

function bind(cfg: Config, st: State, dev: number, mm: number): Step {
  const group = groupOf(cfg, dev);
  if (group === null) return fail(st, 'ENODEV', 'S1');
  const data = st.mms[mm].data;
  const bound = boundPasidInGroup(st, group, mm);
  if (bound !== null && bound !== data?.pasid) return fail(st, 'EBUSY', 'K3');
  let next = st;
  if (data === null) {
    if (cfg.fault === 'mm_data') return fail(st, 'ENOMEM', 'N1');
    if (cfg.fault === 'global_pasid') return fail(st, 'ENOSPC', 'N2');
    const pasid = lowestFreeGlobal(cfg, st, dev);
    if (pasid === null) return fail(st, 'ENOSPC', 'S3-nospc');
    next = withMm(takeGlobal(st, pasid), mm, { data: { pasid, global: true } });
  } else if (data.pasid >= maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'S2');
  const pasid = next.mms[mm].data!.pasid;
  const attached = svaAttach(cfg, next, dev, mm, pasid);
  if (attached.result.kind !== 'errno') return also(attached, data === null ? 'K1' : 'S2-reuse');
  const failed = data === null ? also({ ...attached, state: st }, 'K4') : attached;
  const slot = st.slots[group].get(pasid);
  const local = slot?.kind === 'sva' && st.mms[slot.mm].data?.pasid !== pasid;
  return local ? also(failed, 'V10') : failed;
}

function bindPasid(cfg: Config, st: State, dev: number, mm: number, pasid: number): Step {
  if (pasid === 0) return fail(st, 'EINVAL', 'V1');                      // IOMMU_PASID_GLOBAL_ANY
  const group = groupOf(cfg, dev);
  if (group === null) return fail(st, 'ENODEV', 'S1');
  if (pasid >= maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'V6');
  const bound = boundPasidInGroup(st, group, mm);
  if (bound !== null && bound !== pasid) return fail(st, 'EBUSY', 'K3');
  const attached = svaAttach(cfg, st, dev, mm, pasid);
  if (attached.result.kind === 'errno') return attached;
  const mixed = st.mms[mm].data !== null || st.slots.some((g, i) => i !== group && boundPasidInGroupOf(g, mm, pasid));
  return also(attached, mixed ? 'K2' : 'V1-bind');
}

/** Whether one group's slots bind mm at a PASID other than `pasid`. */
const boundPasidInGroupOf = (slots: State['slots'][number], mm: number, pasid: number): boolean =>
  [...slots].some(([p, s]) => s.kind === 'sva' && s.mm === mm && p !== pasid);

/** The bond's own PASID (K5). */
const getPasid = (_cfg: Config, st: State, _group: number, pasid: number): Step => done(st, R.pasid(pasid), 'K5');

/** The mm's global PASID, INVALID if it never bound globally (G2, K1). */
function enqcmdPasid(_cfg: Config, st: State, mm: number): Step {
  const data = st.mms[mm].data;
  return done(st, data ? R.pasid(data.pasid) : R.invalid, 'G2');
}

export const perDevice: Variant = {
  name: 'per-device',
  doc: "the reviewers' design: one global PASID per mm (ENQCMD) plus device-local [dev, pasid] bonds, mixing allowed",
  pasidsPerMm: 'global-plus-local',
  ops: OP_NAMES,
  bind,
  bindPasid,
  getPasid,
  enqcmdPasid,
  freesOnDrop: () => true,                                               // only the global PASID is kept on the mm
};
