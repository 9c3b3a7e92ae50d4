/**
 * v2: "[PATCH v2] iommu: Allow device driver to use its own PASID space for SVA"
 * (2026-05-20), followed line by line. Differences from upstream:
 * - iommu_sva_bind_device_pasid: the driver names the PASID (V1), pasid 0 is EINVAL;
 * - iommu_mm->pasid_global; no mixing of global and local binds per mm (V2, EBUSY);
 * - one local PASID per mm while it has SVA domains (V3, ENOSPC); replaced when it has none (V4);
 * - the mm data is published only after a successful attach; a failed first bind frees the
 *   new global PASID and the data (V7);
 * - mm_get_enqcmd_pasid is INVALID for a local mm; iommu_sva_get_pasid returns iommu_mm->pasid (V8);
 * - mm_pasid_drop frees only a global PASID (V9).
 */
import { OPS_2026 } from '../../vocab/index.ts';
import { lowestFreeGlobal, svaAttach } from '../sva.ts';
import type { ApiRuleId } from '../rules.ts';
import type { Variant } from '../step.ts';
import { NONE, groupOfDev, hasSvaDomain, maxPasidsOf, type World } from '../world.ts';

/** IOMMU_PASID_GLOBAL_ANY: bind_device_internal's "take one from the global space". */
const GLOBAL_ANY = 0;

export interface V2Options {
  /** V4, the v2 fix: a local mm without SVA domains takes the asked PASID. v1 lacks it. */
  readonly replaceIdleLocalPasid: boolean;
}

/** The mm data a bind goes on with: its PASID, whether global, whether this bind made it. */
interface MmData { readonly pasid: number; readonly global: boolean; readonly fresh: boolean }

/**
 * iommu_alloc_mm_data(mm, dev, pasid): the mm data to bind with, or null with the errno
 * reported. New mm data is not written yet: the bind publishes it after a successful attach.
 */
function allocMmData(w: World, dev: number, mm: number, want: number, opt: V2Options): MmData | null {
  let pasid = w.pasid(mm);
  if (pasid !== NONE) {
    const global = w.isGlobal(mm);
    if ((want === GLOBAL_ANY) === !global) {                             // no mixing; sticky once idle
      w.errno('EBUSY', hasSvaDomain(w, mm) ? 'V2' : 'V5');
      return null;
    }
    if (!global) {
      if (opt.replaceIdleLocalPasid && !hasSvaDomain(w, mm)) {           // list_empty(&sva_domains)
        pasid = want;
        w.setData(mm, pasid, false);                                     // in place: stays even on failure
      }
      if (want !== pasid) { w.errno('ENOSPC', 'V3'); return null; }
    }
    if (pasid >= maxPasidsOf(w.cfg, dev)) { w.errno('EOVERFLOW', 'S2'); return null; }
    return { pasid, global, fresh: false };
  }
  if (w.cfg.fault === 'mm_data') { w.errno('ENOMEM', 'N1'); return null; }  // kzalloc(iommu_mm) fails
  if (want === GLOBAL_ANY) {
    if (w.cfg.fault === 'global_pasid') { w.errno('ENOSPC', 'N2'); return null; }  // the IDA cannot allocate
    const got = lowestFreeGlobal(w, dev);
    if (got === NONE) { w.errno('ENOSPC', 'S3-nospc'); return null; }
    return { pasid: got, global: true, fresh: true };
  }
  if (want >= maxPasidsOf(w.cfg, dev)) { w.errno('EOVERFLOW', 'V6'); return null; }
  return { pasid: want, global: false, fresh: true };
}

/** iommu_sva_bind_device_internal. */
function bindInternal(w: World, dev: number, mm: number, want: number, opt: V2Options): void {
  if (groupOfDev(w.cfg, dev) === null) return w.errno('ENODEV', 'S1');   // !group
  const data = allocMmData(w, dev, mm, want, opt);
  if (data === null) return;
  const idleBefore = !hasSvaDomain(w, mm);                               // allocMmData changes no domain
  svaAttach(w, dev, mm, data.pasid);
  if (w.failed()) {
    if (data.fresh) w.also('V7');                                        // out_free_iommu_mm: nothing was kept
    if (collidesWithLocal(w, dev, data)) w.also('V10');
    return;
  }
  if (data.fresh) {
    if (data.global) w.allocate(data.pasid);
    w.setData(mm, data.pasid, data.global);                              // published after the attach
  }
  w.also(mmDataRule(want, data.fresh, idleBefore, opt));
}

/** V10: a global bind refused because another mm's local bond holds the allocated PASID. */
function collidesWithLocal(w: World, dev: number, data: MmData): boolean {
  const group = groupOfDev(w.cfg, dev)!;
  if (!data.global || w.slotKind(group, data.pasid) !== 'sva') return false;
  const owner = w.slotMm(group, data.pasid);
  return w.pasid(owner) !== NONE && !w.isGlobal(owner);
}

/** Which rule gave the mm its PASID for a successful bind. */
function mmDataRule(want: number, fresh: boolean, idleBefore: boolean, opt: V2Options): ApiRuleId {
  if (want === GLOBAL_ANY) return fresh ? 'S3' : 'S2-reuse';
  if (fresh) return 'V1-bind';
  return opt.replaceIdleLocalPasid && idleBefore ? 'V4' : 'V3-same';
}

/** iommu_sva_get_pasid: iommu_mm->pasid (V8). */
function getPasid(w: World, group: number, pasid: number): void {
  const pasidOfMm = w.slotKind(group, pasid) === 'sva' ? w.pasid(w.slotMm(group, pasid)) : NONE;
  if (pasidOfMm === NONE) return w.invalid('V8');
  w.gave(pasidOfMm, 'V8');
}

/** mm_get_enqcmd_pasid: INVALID unless the mm's PASID is global (V8, G2). */
function enqcmdPasid(w: World, mm: number): void {
  const pasid = w.pasid(mm);
  if (pasid !== NONE && !w.isGlobal(mm)) return w.invalid('V8');
  if (pasid === NONE) return w.invalid('G2');
  w.gave(pasid, 'G2');
}

/** The v2 family, parameterised only where v1 differs (v1.ts). */
export function v2Family(name: string, doc: string, opt: V2Options): Variant {
  return {
    name,
    doc,
    pasidsPerMm: 'one',
    ops: OPS_2026,
    bind: (w, dev, mm) => bindInternal(w, dev, mm, GLOBAL_ANY, opt),
    bindPasid: (w, dev, mm, pasid) => (pasid === GLOBAL_ANY ? w.errno('EINVAL', 'V1') : bindInternal(w, dev, mm, pasid, opt)),
    getPasid,
    enqcmdPasid,
    freesOnDrop: (data) => data.global,                                  // V9
  };
}

export const v2: Variant = v2Family('v2', 'the v2 diff as written: no mixing, one local PASID at a time, reuse after unbind, sticky modes, rollback', {
  replaceIdleLocalPasid: true,
});
