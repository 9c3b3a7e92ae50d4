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
import { OP_NAMES, R } from '../../vocab/index.ts';
import { lowestFreeGlobal, svaAttach, takeGlobal } from '../sva.ts';
import { groupOf, hasSvaDomain, maxPasids, slotAt, withMm, type Config, type MmData, type State } from '../state.ts';
import type { ApiRuleId } from '../rules.ts';
import { also, done, fail, type Step, type Variant } from '../step.ts';

/** IOMMU_PASID_GLOBAL_ANY: bind_device_internal's "take one from the global space". */
const GLOBAL_ANY = 0;

export interface V2Options {
  /** V4, the v2 fix: a local mm without SVA domains takes the asked PASID. v1 lacks it. */
  readonly replaceIdleLocalPasid: boolean;
}

/** iommu_alloc_mm_data(mm, dev, pasid): the mm data to bind with, or an errno. */
function allocMmData(cfg: Config, st: State, dev: number, mm: number, want: number, opt: V2Options):
  { state: State; data: MmData; fresh: boolean } | Step {
  const m = st.mms[mm];
  if (m.data !== null) {
    let data = m.data;
    if ((want === GLOBAL_ANY) === !data.global)                          // no mixing; sticky once idle
      return fail(st, 'EBUSY', hasSvaDomain(m) ? 'V2' : 'V5');
    let state = st;
    if (!data.global) {
      if (opt.replaceIdleLocalPasid && !hasSvaDomain(m)) {               // list_empty(&sva_domains)
        data = { ...data, pasid: want };
        state = withMm(st, mm, { data });                                // in place: stays even on failure
      }
      if (want !== data.pasid) return fail(state, 'ENOSPC', 'V3');
    }
    if (data.pasid >= maxPasids(cfg, dev)) return fail(state, 'EOVERFLOW', 'S2');
    return { state, data, fresh: false };
  }
  if (cfg.fault === 'mm_data') return fail(st, 'ENOMEM', 'N1');          // kzalloc(iommu_mm) fails
  if (want === GLOBAL_ANY) {
    if (cfg.fault === 'global_pasid') return fail(st, 'ENOSPC', 'N2');   // the IDA cannot allocate
    const pasid = lowestFreeGlobal(cfg, st, dev);
    if (pasid === null) return fail(st, 'ENOSPC', 'S3-nospc');
    return { state: takeGlobal(st, pasid), data: { pasid, global: true }, fresh: true };
  }
  if (want >= maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'V6');
  return { state: st, data: { pasid: want, global: false }, fresh: true };
}

/** iommu_sva_bind_device_internal. */
function bindInternal(cfg: Config, st: State, dev: number, mm: number, want: number, opt: V2Options): Step {
  if (groupOf(cfg, dev) === null) return fail(st, 'ENODEV', 'S1');       // !group
  const got = allocMmData(cfg, st, dev, mm, want, opt);
  if ('result' in got) return got;
  const attached = svaAttach(cfg, withMm(got.state, mm, { data: got.data }), dev, mm, got.data.pasid);
  if (attached.result.kind === 'errno') {
    const failed = got.fresh ? also({ ...attached, state: st }, 'V7') : { ...attached, state: got.state }; // out_free_iommu_mm
    return collidesWithLocal(st, cfg, dev, got.data) ? also(failed, 'V10') : failed;
  }
  return also(attached, mmDataRule(st, mm, want, got.fresh, opt));
}

/** V10: a global bind refused because another mm's local bond holds the allocated PASID. */
function collidesWithLocal(st: State, cfg: Config, dev: number, data: MmData): boolean {
  const slot = slotAt(st, groupOf(cfg, dev)!, data.pasid);
  return data.global && slot?.kind === 'sva' && st.mms[slot.mm].data?.global === false;
}

/** Which rule gave the mm its PASID for a successful bind. */
function mmDataRule(before: State, mm: number, want: number, fresh: boolean, opt: V2Options): ApiRuleId {
  if (want === GLOBAL_ANY) return fresh ? 'S3' : 'S2-reuse';
  if (fresh) return 'V1-bind';
  return opt.replaceIdleLocalPasid && !hasSvaDomain(before.mms[mm]) ? 'V4' : 'V3-same';
}

/** iommu_sva_get_pasid: iommu_mm->pasid (V8). */
function getPasid(_cfg: Config, st: State, group: number, pasid: number): Step {
  const slot = slotAt(st, group, pasid)!;
  const data = slot.kind === 'sva' ? st.mms[slot.mm].data : null;
  return done(st, data ? R.pasid(data.pasid) : R.invalid, 'V8');
}

/** mm_get_enqcmd_pasid: INVALID unless the mm's PASID is global (V8, G2). */
function enqcmdPasid(_cfg: Config, st: State, mm: number): Step {
  const data = st.mms[mm].data;
  if (data !== null && !data.global) return done(st, R.invalid, 'V8');
  return done(st, data ? R.pasid(data.pasid) : R.invalid, 'G2');
}

/** The v2 family, parameterised only where v1 differs (v1.ts). */
export function v2Family(name: string, doc: string, opt: V2Options): Variant {
  return {
    name,
    doc,
    pasidsPerMm: 'one',
    ops: OP_NAMES,
    bind: (cfg, st, dev, mm) => bindInternal(cfg, st, dev, mm, GLOBAL_ANY, opt),
    bindPasid: (cfg, st, dev, mm, pasid) =>
      pasid === GLOBAL_ANY ? fail(st, 'EINVAL', 'V1') : bindInternal(cfg, st, dev, mm, pasid, opt),
    getPasid,
    enqcmdPasid,
    freesOnDrop: (data) => data.global,                                  // V9
  };
}

export const v2: Variant = v2Family('v2', 'the v2 diff as written: no mixing, one local PASID at a time, reuse after unbind, sticky modes, rollback', {
  replaceIdleLocalPasid: true,
});
