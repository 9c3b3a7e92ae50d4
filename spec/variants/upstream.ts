/**
 * upstream: mainline SVA just before the patch (drivers/iommu/iommu-sva.c).
 * One global PASID per mm from the system-wide allocator, published on the mm before the
 * attach and kept until the mm is gone — even after a failed first bind (S6). No bind_pasid.
 */
import { OP_NAMES, R } from '../../vocab/index.ts';
import { lowestFreeGlobal, svaAttach, takeGlobal } from '../sva.ts';
import { groupOf, maxPasids, slotAt, withMm, type Config, type State } from '../state.ts';
import { also, done, fail, type Step, type Variant } from '../step.ts';

/** iommu_sva_bind_device → iommu_alloc_mm_data, then S4/S5. */
function bind(cfg: Config, st: State, dev: number, mm: number): Step {
  if (groupOf(cfg, dev) === null) return fail(st, 'ENODEV', 'S1');       // !group
  let next = st;
  const data = st.mms[mm].data;
  if (data !== null) {
    if (data.pasid >= maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'S2');
  } else {
    if (cfg.fault === 'mm_data') return fail(st, 'ENOMEM', 'N1');        // kzalloc(iommu_mm) fails
    if (cfg.fault === 'global_pasid') return fail(st, 'ENOSPC', 'N2');   // the IDA cannot allocate
    const pasid = lowestFreeGlobal(cfg, st, dev);
    if (pasid === null) return fail(st, 'ENOSPC', 'S3-nospc');           // IOMMU_PASID_INVALID
    next = withMm(takeGlobal(st, pasid), mm, { data: { pasid, global: true } }); // smp_store_release: published now
  }
  const attached = svaAttach(cfg, next, dev, mm, next.mms[mm].data!.pasid);
  if (data !== null) return attached.result.kind === 'errno' ? attached : also(attached, 'S2-reuse');
  if (attached.result.kind === 'errno') return also({ ...attached, state: next }, 'S6');  // the PASID stays on the mm
  return also(attached, 'S3');
}

/** iommu_sva_get_pasid = mm_get_enqcmd_pasid(domain->mm) (G1). */
function getPasid(cfg: Config, st: State, group: number, pasid: number): Step {
  const slot = slotAt(st, group, pasid)!;
  const data = slot.kind === 'sva' ? st.mms[slot.mm].data : null;
  return done(st, data ? R.pasid(data.pasid) : R.invalid, 'G1');
}

/** mm_get_enqcmd_pasid: the mm's PASID if it has one (G2). */
function enqcmdPasid(_cfg: Config, st: State, mm: number): Step {
  const data = st.mms[mm].data;
  return done(st, data ? R.pasid(data.pasid) : R.invalid, 'G2');
}

export const upstream: Variant = {
  name: 'upstream',
  doc: 'mainline before the patch: one global PASID per mm, published before attach, kept after failure; no bind_pasid',
  pasidsPerMm: 'one',
  ops: OP_NAMES.filter((op) => op !== 'bind_pasid'),
  bind,
  getPasid,
  enqcmdPasid,
  freesOnDrop: () => true,                                               // mm_pasid_drop frees unconditionally
};
