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
import type { Kit, Variant } from '../../spec/index.ts';

export default ({ variants: { v2 }, NONE, sva, reads: r }: Kit): Variant => ({
  ...v2,
  name: 'per-device-over-v2',
  doc: "the reviewers' design as overrides of v2: one global PASID per mm plus [dev, pasid] bonds",
  pasidsPerMm: 'global-plus-local',
  litmusAs: 'per-device',

  /** iommu_sva_bind_device: the mm's one global PASID (K1), one bond per group (K3). */
  bind(w, dev, mm) {
    const group = r.groupOfDev(w.cfg, dev);
    if (group === null) return w.errno('ENODEV', 'S1');                  // !group
    const had = w.pasid(mm);
    const bound = r.boundPasidIn(w, group, mm);
    if (bound !== NONE && bound !== had) return w.errno('EBUSY', 'K3');
    let pasid = had;
    if (had === NONE) {
      pasid = sva.lowestFreeGlobal(w, dev);
      if (pasid === NONE) return w.errno('ENOSPC', 'S3-nospc');          // iommu_alloc_global_pasid: INVALID
    } else if (had >= r.maxPasidsOf(w.cfg, dev)) return w.errno('EOVERFLOW', 'S2');
    sva.svaAttach(w, dev, mm, pasid);                                    // writes nothing if it fails
    if (w.failed()) { if (had === NONE) w.also('K4'); return; }          // a failed first bind gives its PASID back
    if (had === NONE) { w.allocate(pasid); w.setData(mm, pasid, true); } // taken and published once attached
    w.also(had === NONE ? 'K1' : 'S2-reuse');
  },

  /** iommu_sva_bind_device_pasid: the driver's PASID; mixing allowed (K2), one bond per group (K3). */
  bindPasid(w, dev, mm, pasid) {
    if (pasid === 0) return w.errno('EINVAL', 'V1');                     // IOMMU_PASID_GLOBAL_ANY
    const group = r.groupOfDev(w.cfg, dev);
    if (group === null) return w.errno('ENODEV', 'S1');
    if (pasid >= r.maxPasidsOf(w.cfg, dev)) return w.errno('EOVERFLOW', 'V6');
    const bound = r.boundPasidIn(w, group, mm);
    if (bound !== NONE && bound !== pasid) return w.errno('EBUSY', 'K3');
    sva.svaAttach(w, dev, mm, pasid);
    if (!w.failed()) w.also('K2');
  },

  /** iommu_sva_get_pasid: the bond's own PASID (K5). */
  getPasid: (w, _group, pasid) => w.gave(pasid, 'K5'),
});
