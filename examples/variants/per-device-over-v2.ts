/**
 * The reviewers' design, written as a user would: overrides of svacheck's v2, loaded with
 * `--variant examples/variants/per-device-over-v2.ts` (docs/variants.md walks through it).
 *
 * Review of "[PATCH v2] iommu: Allow device driver to use its own PASID space for SVA"
 * (2026-05-25): "for each mm: one global pasid for ENQCMD or ST64BV0; an array of device local
 * pasids tracked in [struct device *, pasid] tuple". So, against v2:
 * - `bind` uses the mm's one global PASID, taken at its first bind and kept until the mm is
 *   gone; a failed first bind gives it back; mixing with local bonds is allowed;
 * - `bind_pasid` binds at the driver's PASID, with no one-local-PASID limit and no sticky mode;
 * - an mm has at most one bond per group (EBUSY at another PASID);
 * - iommu_sva_get_pasid is the bond's own PASID.
 * What v2 already does right for this design stays v2's: mm_get_enqcmd_pasid (the mm data
 * only ever holds the global PASID here) and mm_pasid_drop (it frees that global PASID).
 *
 * The default export is a function of svacheck's kit, so this file needs no path into
 * svacheck at run time (the type import below is erased); it works from any directory.
 */
import type { Kit, State, Variant } from '../../spec/index.ts';

export default ({ variants: { v2 }, R, sva, state: s, step: { also, done, fail } }: Kit): Variant => {
  /** The PASID at which mm is bound in group, or null. */
  const boundIn = (st: State, group: number, mm: number): number | null => {
    for (const [pasid, slot] of st.slots[group]) if (slot.kind === 'sva' && slot.mm === mm) return pasid;
    return null;
  };
  return {
    ...v2,
    name: 'per-device-over-v2',
    doc: "the reviewers' design as overrides of v2: one global PASID per mm plus [dev, pasid] bonds",
    pasidsPerMm: 'global-plus-local',
    litmusAs: 'per-device',

    /** iommu_sva_bind_device: the mm's one global PASID (K1), one bond per group (K3). */
    bind(cfg, st, dev, mm) {
      const group = s.groupOf(cfg, dev);
      if (group === null) return fail(st, 'ENODEV', 'S1');                // !group
      const data = st.mms[mm].data;
      const bound = boundIn(st, group, mm);
      if (bound !== null && bound !== data?.pasid) return fail(st, 'EBUSY', 'K3');
      let next = st;
      if (data === null) {
        const pasid = sva.lowestFreeGlobal(cfg, st, dev);
        if (pasid === null) return fail(st, 'ENOSPC', 'S3-nospc');       // iommu_alloc_global_pasid: INVALID
        next = s.withMm(sva.takeGlobal(st, pasid), mm, { data: { pasid, global: true } });
      } else if (data.pasid >= s.maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'S2');
      const attached = sva.svaAttach(cfg, next, dev, mm, next.mms[mm].data!.pasid);
      if (attached.result.kind !== 'errno') return also(attached, data === null ? 'K1' : 'S2-reuse');
      return data === null ? also({ ...attached, state: st }, 'K4') : attached;   // a failed first bind gives its PASID back
    },

    /** iommu_sva_bind_device_pasid: the driver's PASID; mixing allowed (K2), one bond per group (K3). */
    bindPasid(cfg, st, dev, mm, pasid) {
      if (pasid === 0) return fail(st, 'EINVAL', 'V1');                   // IOMMU_PASID_GLOBAL_ANY
      const group = s.groupOf(cfg, dev);
      if (group === null) return fail(st, 'ENODEV', 'S1');
      if (pasid >= s.maxPasids(cfg, dev)) return fail(st, 'EOVERFLOW', 'V6');
      const bound = boundIn(st, group, mm);
      if (bound !== null && bound !== pasid) return fail(st, 'EBUSY', 'K3');
      const attached = sva.svaAttach(cfg, st, dev, mm, pasid);
      return attached.result.kind === 'errno' ? attached : also(attached, 'K2');
    },

    /** iommu_sva_get_pasid: the bond's own PASID (K5). */
    getPasid: (_cfg, st, _group, pasid) => done(st, R.pasid(pasid), 'K5'),
  };
};
