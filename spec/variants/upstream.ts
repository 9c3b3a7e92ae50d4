/**
 * upstream: mainline SVA just before the patch (drivers/iommu/iommu-sva.c).
 * One global PASID per mm from the system-wide allocator, published on the mm before the
 * attach and kept until the mm is gone — even after a failed first bind (S6). No bind_pasid.
 */
import { OPS_2026, type Errno } from '../../vocab/index.ts';
import type { ApiRuleId } from '../rules.ts';
import { lowestFreeGlobal, svaAttach } from '../sva.ts';
import type { Variant } from '../step.ts';
import { NONE, groupOfDev, maxPasidsOf, type World } from '../world.ts';

/**
 * Where a design of upstream's shape takes an mm's PASID: the lowest free global id from
 * `from` up, `none` when there is none, `fresh` the rule that names a PASID just taken. The
 * 2021 reserved-DMA-PASID design differs only here (dmaPasid2021.ts).
 */
export interface OnePasidAllocation {
  readonly from: number;
  readonly none: { readonly errno: Errno; readonly rule: ApiRuleId };
  readonly fresh: ApiRuleId;
}

/** iommu_sva_bind_device → iommu_alloc_mm_data, then S4/S5. */
export const bindOnePasid = (a: OnePasidAllocation) => (w: World, dev: number, mm: number): void => {
  if (groupOfDev(w.cfg, dev) === null) return w.errno('ENODEV', 'S1');    // !group
  const had = w.pasid(mm);
  if (had !== NONE) {
    if (had >= maxPasidsOf(w.cfg, dev)) return w.errno('EOVERFLOW', 'S2');
  } else {
    if (w.cfg.fault === 'mm_data') return w.errno('ENOMEM', 'N1');      // kzalloc(iommu_mm) fails
    if (w.cfg.fault === 'global_pasid') return w.errno('ENOSPC', 'N2'); // the IDA cannot allocate
    const pasid = lowestFreeGlobal(w, dev, a.from);
    if (pasid === NONE) return w.errno(a.none.errno, a.none.rule);      // IOMMU_PASID_INVALID
    w.allocate(pasid);
    w.setData(mm, pasid, true);                                          // smp_store_release: published now
  }
  svaAttach(w, dev, mm, w.pasid(mm));
  if (had !== NONE) { if (!w.failed()) w.also('S2-reuse'); return; }
  w.also(w.failed() ? 'S6' : a.fresh);                                   // S6: the PASID stays on the mm
};

const bind = bindOnePasid({ from: 1, none: { errno: 'ENOSPC', rule: 'S3-nospc' }, fresh: 'S3' });

/** iommu_sva_get_pasid = mm_get_enqcmd_pasid(domain->mm) (G1). */
function getPasid(w: World, group: number, pasid: number): void {
  const pasidOfMm = w.slotKind(group, pasid) === 'sva' ? w.pasid(w.slotMm(group, pasid)) : NONE;
  if (pasidOfMm === NONE) return w.invalid('G1');
  w.gave(pasidOfMm, 'G1');
}

/** mm_get_enqcmd_pasid: the mm's PASID if it has one (G2). */
function enqcmdPasid(w: World, mm: number): void {
  const pasid = w.pasid(mm);
  if (pasid === NONE) return w.invalid('G2');
  w.gave(pasid, 'G2');
}

export const upstream: Variant = {
  name: 'upstream',
  doc: 'mainline before the patch: one global PASID per mm, published before attach, kept after failure; no bind_pasid',
  pasidsPerMm: 'one',
  ops: OPS_2026.filter((op) => op !== 'bind_pasid'),
  bind,
  getPasid,
  enqcmdPasid,
  freesOnDrop: () => true,                                               // mm_pasid_drop frees unconditionally
};
