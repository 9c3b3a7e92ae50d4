/**
 * The rule catalogue, as data. Every guard and effect of the spec names one of these ids; the
 * litmus coverage report counts which fired; `svacheck rules` and docs/rules.md print them.
 * Ids: A* the global PASID allocator, B* attaching a domain at a PASID, S* upstream
 * iommu_sva_bind_device, U* unbind and lifetime, G* reporting the PASID (ENQCMD), V* the v2
 * patch, K* the per-device design proposed in review as svacheck fixes it, M* Arm SMMUv3
 * behaviours, N* injected allocation failures, C* caller-contract rules (sequences no correct
 * caller issues); the designs before 2026: R* the 2018 SVA API (io_mm, mm_exit), Q* the
 * 2020 IOASID sets and quotas, D* the reserved DMA PASID (2021).
 */
import { DESIGNS_2026, type Errno, type VariantName } from '../vocab/index.ts';

interface RuleEntry {
  readonly id: string;
  readonly statement: string;
  /** The errno the rule makes an operation return, if it is an error rule. */
  readonly errno?: Errno;
  readonly variants: readonly VariantName[];
  /** Where it comes from: kernel file and function, or a mail's subject and date. */
  readonly source: string;
  /** Caller-contract rules are not API results: inputs breaking them are rejected. */
  readonly contract?: true;
  /** Rules of injected allocation failures: only fail-nth runs reach them, never a scenario. */
  readonly failNth?: true;
  /** The code does this although the patch's commit message says otherwise (a review finding). */
  readonly mismatch?: { readonly headline: string; readonly explanation: string };
}

/** Rules a litmus scenario can fire: API rules outside fail-nth fault injection. */
export const isScenarioRule = (r: Rule): boolean => !r.contract && !r.failNth;

/** Every variant: the shared core (spec/ops.ts, spec/sva.ts). */
const ALL: readonly VariantName[] = ['upstream', 'v1', 'v2', 'per-device', 'ioasid-2020', 'dma-pasid-2021'];
/** The 2026 designs, whose binds and alloc_global draw from [1, max_pasids(dev)-1]. */
const Y2026: readonly VariantName[] = DESIGNS_2026;
/** ... and the 2020 design, whose bind and alloc_global draw from the same range, within the system set's quota. */
const WITH_2020: readonly VariantName[] = [...DESIGNS_2026, 'ioasid-2020'];
/** Rules of the bind path's domain and hardware side that the 2018 design shares too. */
const WITH_2018: readonly VariantName[] = [...ALL, 'sva-2018'];
/** Upstream's reporting and failed-bind behaviour, which the 2021 design kept. */
const UPSTREAM: readonly VariantName[] = ['upstream', 'ioasid-2020', 'dma-pasid-2021'];
const PATCH: readonly VariantName[] = ['v1', 'v2'];
const LOCAL: readonly VariantName[] = ['v1', 'v2', 'per-device'];
const SVA = 'drivers/iommu/iommu-sva.c';
const CORE = 'drivers/iommu/iommu.c';
const SMMU = 'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c';
/** The patch mail (the whole v2 diff) and the review that proposed the per-device design. */
const V2 = '"[PATCH v2] iommu: Allow device driver to use its own PASID space for SVA" (2026-05-20)';
/** The 2018 SVA API thread, amdgpu's requirements. */
const SVA2018 = '"[PATCH v2 01/40] iommu: Introduce Shared Virtual Addressing API" (Jean-Philippe Brucker and Christian Koenig, 2018-09-07)';
/** The 2020 IOASID sets. */
const IOASID2020 = '"[PATCH 00/10] IOASID extensions for guest SVA" (Jacob Pan, 2020-03-25)';
/** The 2021 reserved kernel DMA PASID. */
const DMA2021 = '"[PATCH 1/4] ioasid: Reserve a global PASID for in-kernel DMA" (Jacob Pan, 2021-12-07)';
const REVIEW = 'Kevin Tian, "RE: [PATCH v2] iommu: Allow device driver to use its own PASID space for SVA" (2026-05-25)';

const CATALOGUE = [
  { id: 'A1', variants: WITH_2020, source: `${CORE} iommu_alloc_global_pasid`,
    statement: 'alloc_global returns the lowest free id in [1, max_pasids(dev)-1] of one system-wide allocator.' },
  { id: 'A1-none', variants: ALL, source: `${CORE} iommu_alloc_global_pasid`,
    statement: 'alloc_global returns INVALID when no id in the device range is free or the device has no PASIDs (ssid_bits 0).' },
  { id: 'A3', variants: ALL, source: `${CORE} iommu_free_global_pasid`,
    statement: 'free_global returns the id to the global allocator.' },
  { id: 'B1-nodev', errno: 'ENODEV', variants: ALL, source: `${CORE} iommu_attach_device_pasid`,
    statement: 'Attaching at a PASID on a device without a group fails with ENODEV.' },
  { id: 'B1-pasid0', errno: 'EINVAL', variants: ALL, source: `${CORE} iommu_attach_device_pasid`,
    statement: 'Attaching at PASID 0 (IOMMU_NO_PASID) fails with EINVAL.' },
  { id: 'B1-range', errno: 'EINVAL', variants: ALL, source: `${CORE} iommu_attach_device_pasid`,
    statement: 'Attaching at a PASID >= max_pasids of any device of the group fails with EINVAL.' },
  { id: 'B1-busy', errno: 'EBUSY', variants: ALL, source: `${CORE} iommu_attach_device_pasid (xa_insert)`,
    statement: "Attaching at a PASID whose group slot is taken fails with EBUSY." },
  { id: 'B1', variants: ALL, source: `${CORE} iommu_attach_device_pasid`,
    statement: 'A successful attach fills the group slot and programs every device of the group.' },
  { id: 'B2', variants: WITH_2018, source: `${CORE} group->pasid_array`,
    statement: 'PASID slots belong to the group: a bond made through one device is seen by every device of its group.' },
  { id: 'B3', variants: ALL, source: `${CORE} iommu_detach_device_pasid`,
    statement: 'Detach never fails: the slot is emptied and the PASID blocked.' },
  { id: 'S1', errno: 'ENODEV', variants: ALL, source: `${SVA} iommu_sva_bind_device`,
    statement: 'Binding a device without a group fails with ENODEV.' },
  { id: 'S2', errno: 'EOVERFLOW', variants: ALL, source: `${SVA} iommu_alloc_mm_data`,
    statement: "Binding an mm whose PASID is >= max_pasids(dev) fails with EOVERFLOW." },
  { id: 'S2-reuse', variants: ALL, source: `${SVA} iommu_alloc_mm_data`,
    statement: 'An mm that has a PASID uses it on every device it binds.' },
  { id: 'S3', variants: WITH_2020, source: `${SVA} iommu_alloc_mm_data`,
    statement: 'An mm without a PASID gets the lowest free global id in the device range.' },
  { id: 'S3-nospc', errno: 'ENOSPC', variants: WITH_2020, source: `${SVA} iommu_alloc_mm_data`,
    statement: 'A bind that needs a global PASID fails with ENOSPC when none is free in the device range.' },
  { id: 'S4-busy', errno: 'EBUSY', variants: ALL, source: `${SVA} iommu_sva_bind_device (iommu_attach_handle_get)`,
    statement: "A bind whose group slot holds another mm's SVA handle fails with EBUSY." },
  { id: 'B4-handle', errno: 'EBUSY', variants: ALL, source: `${CORE} iommu_attach_handle_get (handle->domain->type != IOMMU_DOMAIN_SVA); ${SVA} iommu_sva_bind_device`,
    statement: 'A bind whose group slot holds a non-SVA domain attached with an attach handle fails with EBUSY, before any domain allocation; a bare attach (no handle) is "no bond yet" and the bind goes on to attach.' },
  { id: 'S4-ref', variants: ALL, source: `${SVA} iommu_sva_bind_device (refcount_inc)`,
    statement: "Binding again where the slot holds this mm's handle returns that handle with one more user." },
  { id: 'S5-reuse', variants: WITH_2018, source: `${SVA} iommu_sva_bind_device (sva_domains loop)`,
    statement: "A new bond reuses the mm's SVA domain of the device's IOMMU instance." },
  { id: 'S5-new', variants: WITH_2018, source: `${SVA} iommu_sva_bind_device, iommu_sva_domain_alloc`,
    statement: 'A new bond with no reusable domain allocates an SVA domain (per mm and IOMMU instance).' },
  { id: 'S6', variants: UPSTREAM, source: `${SVA} iommu_alloc_mm_data (smp_store_release before attach)`,
    statement: 'Upstream publishes the new PASID before attach and keeps it after a failed first bind.' },
  { id: 'U1', variants: ALL, source: `${SVA} iommu_sva_unbind_device`,
    statement: 'Unbind drops one handle user; at zero it detaches the PASID and drops the domain, freeing it at zero users.' },
  { id: 'U2', variants: ALL, source: `${SVA} iommu_sva_unbind_device`,
    statement: "Unbind never frees the mm's PASID: the mm binding again gets the same one." },
  { id: 'U3', variants: WITH_2018, source: `kernel/fork.c __mmdrop → ${SVA} mm_pasid_drop`,
    statement: 'The PASID is freed only when the mm is gone: at exit without SVA domains, or at the last unbind after exit.' },
  { id: 'U3-exit', variants: ALL, source: `${SMMU} arm_smmu_mm_release (via the SVA mmu_notifier)`,
    statement: 'Process exit makes every CD of the mm fault; bonds and slots stay until unbound.' },
  { id: 'G1', variants: UPSTREAM, source: `${SVA} iommu_sva_get_pasid`,
    statement: "Upstream iommu_sva_get_pasid returns the mm's PASID (mm_get_enqcmd_pasid)." },
  { id: 'G2', variants: ALL, source: 'arch/x86/kernel/traps.c try_fixup_enqcmd_gp; include/linux/iommu.h mm_get_enqcmd_pasid',
    statement: "mm_get_enqcmd_pasid returns the mm's global PASID, INVALID if it has none; that PASID must mean the mm on every device it is bound to." },
  { id: 'V1', errno: 'EINVAL', variants: LOCAL, source: `${V2}, ${SVA} iommu_sva_bind_device_pasid`,
    statement: 'bind_pasid with PASID 0 fails with EINVAL, before any other check.' },
  { id: 'V1-bind', variants: LOCAL, source: `${V2}, ${SVA} iommu_sva_bind_device_internal`,
    statement: "bind_pasid binds at the driver's PASID without consulting the global allocator." },
  { id: 'V2', errno: 'EBUSY', variants: PATCH, source: `${V2}, ${SVA} iommu_alloc_mm_data`,
    statement: 'A global mm asking for a local bind, or a local mm asking for a global one, fails with EBUSY (no mixing).' },
  { id: 'V3', errno: 'ENOSPC', variants: PATCH, source: `${V2}, ${SVA} iommu_alloc_mm_data`,
    statement: 'A local mm with live bonds asking for a different PASID fails with ENOSPC.' },
  { id: 'V3-same', variants: PATCH, source: `${V2}, ${SVA} iommu_alloc_mm_data`,
    statement: 'A local mm may bind its current PASID on another device, although the commit message says otherwise.',
    mismatch: {
      headline: 'the patch accepts the same local PASID on a second device, which its commit message forbids',
      explanation: 'The commit message says calling iommu_sva_bind_device_pasid() for the same process with different devices "will not be allowed for now"; the code (iommu_alloc_mm_data) only refuses a different PASID (ENOSPC), so a second device with the same PASID binds.',
    } },
  { id: 'V4', variants: ['v2'], source: `${V2}, ${SVA} iommu_alloc_mm_data (list_empty(sva_domains))`,
    statement: 'A local mm with no SVA domain takes the asked PASID in place of its old one (the v2 fix).' },
  { id: 'V5', errno: 'EBUSY', variants: PATCH, source: `${V2}, commit message "Another limitation"`,
    statement: 'Modes are sticky until the mm is gone: an mm with no bonds left still cannot bind in the other mode (EBUSY).' },
  { id: 'V6', errno: 'EOVERFLOW', variants: LOCAL, source: `${V2}, ${SVA} iommu_alloc_mm_data`,
    statement: 'A local PASID >= max_pasids(dev) fails with EOVERFLOW before any attach.' },
  { id: 'V7', variants: PATCH, source: `${V2}, ${SVA} out_free_iommu_mm`,
    statement: 'A failed first bind frees its new global PASID and the mm data: the mm is back to no PASID.' },
  { id: 'V8', variants: LOCAL, source: `${V2}, include/linux/iommu.h mm_get_enqcmd_pasid`,
    statement: 'mm_get_enqcmd_pasid is INVALID for a local mm; iommu_sva_get_pasid returns the PASID of the bond.' },
  { id: 'V9', variants: LOCAL, source: `${V2}, ${SVA} mm_pasid_drop`,
    statement: 'mm_pasid_drop frees the PASID to the global allocator only if it is global.' },
  { id: 'V10', variants: LOCAL, source: `${V2}, ${SVA} iommu_alloc_mm_data (local PASIDs are not reserved in the global allocator)`,
    statement: "Local PASIDs are unknown to the global allocator: a global bind can collide with another mm's local bond." },
  { id: 'K1', variants: ['per-device'], source: `${REVIEW} (one global PASID for ENQCMD)`,
    statement: 'An mm has at most one global PASID, taken by its first bind and kept until the mm is gone; ENQCMD uses it.' },
  { id: 'K2', variants: ['per-device'], source: `${REVIEW} (an array of device-local PASIDs)`,
    statement: 'Mixing is allowed: an mm may hold global and local bonds, and different local PASIDs on different devices.' },
  { id: 'K3', errno: 'EBUSY', variants: ['per-device'], source: `${REVIEW}; svacheck's per-device variant fixes the errno (docs/semantics.md)`,
    statement: 'A bind for an mm already bound in the same group at another PASID fails with EBUSY.' },
  { id: 'K4', variants: ['per-device'], source: `${REVIEW}; svacheck's per-device variant rolls back as ${SVA} out_free_iommu_mm does (docs/semantics.md)`,
    statement: 'A failed bind frees the global PASID it allocated.' },
  { id: 'K5', variants: ['per-device'], source: `${REVIEW} ("match [dev, pasid]"); ${SVA} iommu_sva_get_pasid`,
    statement: 'iommu_sva_get_pasid returns the PASID of the bond, global or local.' },
  { id: 'M1', variants: WITH_2018, source: `${SMMU} (C_BAD_SUBSTREAMID)`,
    statement: 'A DMA with SSID >= 2^S1CDMAX faults (bad substream).' },
  { id: 'M2', variants: WITH_2018, source: `${SMMU} (C_BAD_CD)`,
    statement: 'A DMA at a PASID whose CD is invalid faults (bad CD).' },
  { id: 'M3', variants: WITH_2018, source: `${SMMU} arm_smmu_mm_release`,
    statement: "A DMA through an exited mm's CD faults (translation)." },
  { id: 'M4', variants: WITH_2018, source: `${SMMU} (CD of a valid, live mm)`,
    statement: "A DMA through a valid CD of a live mm reaches that mm." },
  { id: 'M5', variants: WITH_2018, source: `${SMMU} (CD 0 / kernel domains)`,
    statement: 'A DMA at PASID 0, or at a PASID with a non-SVA domain, reaches a kernel domain.' },
  { id: 'M6', errno: 'EBUSY', variants: WITH_2018, source: `drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c arm_smmu_sva_domain_alloc (xa_alloc on arm_smmu_asid_xa, XA_LIMIT(1, (1 << smmu->asid_bits) - 1))`,
    statement: 'A new SVA domain takes the lowest ASID in [1, 2^asid_bits - 1] of its SMMU that no SVA domain behind any SMMU holds (one system-wide xarray); none fails with EBUSY.' },
  { id: 'M7', errno: 'EOPNOTSUPP', variants: ALL, source: `${SVA} iommu_sva_domain_alloc (no domain_alloc_sva)`,
    statement: 'An IOMMU without SVA domain support fails a new SVA domain with EOPNOTSUPP.' },
  { id: 'N1', failNth: true, errno: 'ENOMEM', variants: WITH_2020, source: `${SVA} iommu_alloc_mm_data (kzalloc of struct iommu_mm_data)`,
    statement: 'An mm without mm data whose mm data cannot be allocated fails the bind with ENOMEM; nothing changes.' },
  { id: 'N2', failNth: true, errno: 'ENOSPC', variants: WITH_2020, source: `${CORE} iommu_alloc_global_pasid (ida_alloc_range fails)`,
    statement: 'A global PASID allocation that fails for lack of memory looks like an exhausted allocator: INVALID, so a bind fails with ENOSPC.' },
  { id: 'N3', failNth: true, errno: 'ENOMEM', variants: ALL, source: `${SVA} iommu_sva_bind_device (kzalloc of the handle; out_free_iommu_mm / out_unlock)`,
    statement: 'A handle that cannot be allocated fails the bind with ENOMEM, unwound as a failed attach is (upstream keeps a new PASID, S6; v2 rolls it back, V7).' },
  { id: 'N4', failNth: true, errno: 'ENOMEM', variants: ALL, source: `drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c arm_smmu_sva_domain_alloc (domain, ASID xa_alloc, mmu_notifier_register)`,
    statement: 'A new SVA domain that cannot be allocated fails the bind with ENOMEM, unwound as a failed attach is.' },
  { id: 'N5', failNth: true, errno: 'ENOMEM', variants: ALL, source: `${CORE} iommu_attach_device_pasid (xa_insert into pasid_array); ${SMMU} (CD table)`,
    statement: 'An attach that cannot allocate its pasid_array entry or CD table fails with ENOMEM and leaves nothing attached.' },
  { id: 'N6', failNth: true, variants: ALL, source: `${SVA} iommu_sva_bind_device ("Search for an existing domain": failures are swallowed)`,
    statement: "When attaching the mm's existing SVA domain fails for lack of memory, the failure is swallowed and a second SVA domain (another ASID) is allocated for the same mm and IOMMU." },
  { id: 'N7', failNth: true, variants: ALL, source: `${SVA} iommu_sva_bind_device ("Search for an existing domain": failures are swallowed)`,
    statement: "A failed try of the mm's SVA domain behind another IOMMU is swallowed, whatever made it fail: the bind goes on." },
  { id: 'Q1', variants: ['ioasid-2020'], source: `${IOASID2020} ("This default/system set is used for baremetal SVA"); drivers/iommu/ioasid.c (2020) ioasid_alloc_system_set, ioasid_alloc`,
    statement: "SVA binds and other kernel users (alloc_global) draw from the system set: the lowest free id of the one id space, counted against the system set's quota." },
  { id: 'Q1-quota', errno: 'ENOSPC', variants: ['ioasid-2020'], source: `${IOASID2020}; drivers/iommu/ioasid.c (2020) ioasid_alloc (quota reached: INVALID_IOASID); drivers/iommu/intel-svm.c (2020) intel_svm_bind_mm`,
    statement: "With the system set at its quota, a bind that needs a PASID fails with ENOSPC and alloc_global gives INVALID, though ids are free." },
  { id: 'Q2', variants: ['ioasid-2020'], source: `${IOASID2020} ("Allocation of IOASIDs cannot exceed the quota"); drivers/iommu/ioasid.c (2020) ioasid_alloc`,
    statement: "ioasid_alloc in a VM's set takes the lowest free id of the same id space in the device's range: the quota bounds how many ids a set holds, not which ones." },
  { id: 'Q2-quota', variants: ['ioasid-2020'], source: `drivers/iommu/ioasid.c (2020) ioasid_alloc`,
    statement: "ioasid_alloc in a set at its quota gives INVALID." },
  { id: 'Q3', variants: ['ioasid-2020'], source: `${IOASID2020} ("Free the entire set"); drivers/iommu/ioasid.c (2020) ioasid_free_set`,
    statement: 'ioasid_free_set frees every IOASID of the set; the set stays usable.' },
  { id: 'Q4', errno: 'EINVAL', variants: ['ioasid-2020'], source: `${IOASID2020} ("new quota cannot be less than the number of IOASIDs already allocated"); drivers/iommu/ioasid.c (2020) ioasid_adjust_set`,
    statement: 'ioasid_adjust_set below the number of IOASIDs the set holds fails with EINVAL and leaves the quota as it was.' },
  { id: 'Q4-nospc', errno: 'ENOSPC', variants: ['ioasid-2020'], source: `drivers/iommu/ioasid.c (2020) ioasid_adjust_set (quota >= ioasid_capacity_avail)`,
    statement: 'ioasid_adjust_set fails with ENOSPC when the new quota is at least the capacity still available: the code compares the quota itself, not the increase, so even shrinking a set is refused once the capacity is handed out.' },
  { id: 'Q4-ok', variants: ['ioasid-2020'], source: `drivers/iommu/ioasid.c (2020) ioasid_adjust_set`,
    statement: "ioasid_adjust_set otherwise sets the set's quota, giving the difference back to (or taking it from) the capacity available." },
  { id: 'D1', variants: ['dma-pasid-2021'], source: `${DMA2021}; drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c __arm_smmu_sva_bind (iommu_sva_alloc_pasid(mm, IOASID_ALLOC_BASE, max))`,
    statement: "An SVA bind of an mm without a PASID allocates the lowest free global id in [IOASID_ALLOC_BASE (2), max_pasids(dev)-1]: the reserved in-kernel DMA PASID 1 is never a process's." },
  { id: 'D2', errno: 'ENOMEM', variants: ['dma-pasid-2021'], source: `${DMA2021}; drivers/iommu/iommu-sva-lib.c iommu_sva_alloc_pasid (ioasid_alloc gives INVALID_IOASID: -ENOMEM)`,
    statement: 'No free id in that range fails the bind with ENOMEM: a device with one SSID (only PASID 1 usable) can never be bound, its only PASID being the kernel\'s.' },
  { id: 'D3', variants: ['dma-pasid-2021'], source: `${DMA2021} ("This global IOASID is excluded from the IOASID allocator"); drivers/iommu/ioasid.c ioasid_alloc`,
    statement: 'alloc_global (another kernel user of the IOASID allocator) returns the lowest free id in [IOASID_ALLOC_BASE (2), max_pasids(dev)-1]: the reserved id is not in the allocator at all.' },
  { id: 'R1', variants: ['sva-2018'], source: `${SVA2018}; drivers/iommu/iommu-sva.c (2018) iommu_sva_device_init, io_mm_alloc (idr_alloc(min_pasid, max_pasid + 1))`,
    statement: "A process's first bind allocates its io_mm's PASID: the lowest free id in the device's [min_pasid, max_pasid], the range its driver stated at iommu_sva_device_init; a failed attach puts the new io_mm and its PASID back." },
  { id: 'R1-nospc', errno: 'ENOSPC', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) io_mm_alloc (idr_alloc: -ENOSPC)`,
    statement: "A bind that needs a new PASID fails with ENOSPC when none is free in the device's [min_pasid, max_pasid]." },
  { id: 'R2', errno: 'ERANGE', variants: ['sva-2018'], source: `${SVA2018}; drivers/iommu/iommu-sva.c (2018) io_mm_attach`,
    statement: "The PASID is the process's (its io_mm's) on every device; binding it to a device whose [min_pasid, max_pasid] excludes it fails with ERANGE." },
  { id: 'R3', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) __iommu_sva_bind_device ("Unless it's already bound to this device")`,
    statement: "Binding the same device and process again returns the bond's PASID, without another reference: one unbind releases it." },
  { id: 'R4', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) io_mm_detach_locked, io_mm_release (idr_remove)`,
    statement: 'The io_mm and its PASID are freed with its last bond: unbinding every device frees the PASID (upstream keeps it until the mm is gone, U2).' },
  { id: 'R5', variants: ['sva-2018'], source: `${SVA2018} ("The process dies, iommu-sva is notified and calls the mm_exit() function"); drivers/iommu/iommu-sva.c (2018) iommu_notifier_release, iommu_signal_mm_exit`,
    statement: "Process exit calls each bond's mm_exit callback; the bonds and the PASID stay while the callbacks run (the device may still use the PASID)." },
  { id: 'R6', variants: ['sva-2018'], source: `${SVA2018} ("When the device driver returns from mm_exit(), it effectively tells the core that it has finished using the PASID"); drivers/iommu/iommu-sva.c (2018) iommu_notifier_release`,
    statement: 'When a bond\'s mm_exit callback returns, the core detaches the bond; the PASID is freed, and may go to another process, only after the last callback returned.' },
  { id: 'R7', variants: ['sva-2018'], source: `${SVA2018} ("Two PASIDs pointing to the same process pgd? ... maybe with a flag passed to bind()"); Intel SVM_FLAG_PRIVATE_PASID`,
    statement: 'bind_private, the private-PASID flag amdgpu asked for: the bond gets a PASID of its own (the lowest free in the range), several per process, each freed with its bond.' },
  { id: 'R8', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) __iommu_sva_bind_device (*pasid)`,
    statement: "get_pasid is the PASID the bind returned: the bond's own (shared or private)." },
  { id: 'R9', errno: 'EINVAL', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) __iommu_sva_bind_device (iommu_get_domain_for_dev)`,
    statement: 'A bind on a device without an IOMMU domain fails with EINVAL.' },
  { id: 'R9-nosva', errno: 'ENODEV', variants: ['sva-2018'], source: `drivers/iommu/iommu-sva.c (2018) io_mm_alloc (!domain->ops->mm_alloc)`,
    statement: 'A bind behind an IOMMU whose driver has no mm_alloc (no SVA support) fails with ENODEV.' },
  { id: 'C1', contract: true, variants: ALL, source: `${SVA} iommu_sva_unbind_device`,
    statement: 'A handle is used only between its bind and its last unbind.' },
  { id: 'C2', contract: true, variants: ALL, source: `${SVA} iommu_sva_bind_device (the caller holds a reference to mm_users)`,
    statement: 'An mm is bound or queried only while it is live (before mm_exit).' },
  { id: 'C3', contract: true, variants: ALL, source: `${CORE} iommu_free_global_pasid`,
    statement: 'free_global frees only an id alloc_global returned and that was not freed since.' },
  { id: 'C4', contract: true, variants: ALL, source: `${CORE} iommu_detach_device_pasid`,
    statement: 'detach_pasid detaches only a non-SVA domain attached at that PASID of that group.' },
  { id: 'C6', contract: true, variants: ALL, source: `${CORE} iommu_alloc_global_pasid (dev->iommu->max_pasids, no NULL check)`,
    statement: 'alloc_global names a device behind an IOMMU: on a device without one the kernel dereferences a NULL dev->iommu.' },
  { id: 'C7', contract: true, variants: ['sva-2018'], source: 'drivers/iommu/iommu-sva.c (2018) iommu_notifier_release, __iommu_sva_unbind_device',
    statement: "After its process exited, a bond is released by its driver's mm_exit callback returning (mm_exit_done), not by unbind; mm_exit_done names only an exited process's bond." },
  { id: 'C8', contract: true, variants: ['ioasid-2020'], source: 'drivers/iommu/ioasid.c (2020) ioasid_free_set',
    statement: "free_global frees an alloc_global caller's id, never one of a VM's IOASID set: those go with their set (ioasid_free_set)." },
  { id: 'C5', contract: true, variants: ALL, source: 'svacheck operation vocabulary (docs/litmus.md, "Operations")',
    statement: 'Operations name known devices and mms, PASIDs are 32-bit unsigned integers, and the variant has the operation.' },
] as const satisfies readonly RuleEntry[];

/** A rule id of the catalogue: a guard naming an id the catalogue lacks does not compile. */
export type RuleId = (typeof CATALOGUE)[number]['id'];
/** A caller-contract rule id (C*). */
export type ContractRuleId = Extract<(typeof CATALOGUE)[number], { readonly contract: true }>['id'];

/** An API rule id: what a step of the spec names as the rule that decided its result. */
export type ApiRuleId = Exclude<RuleId, ContractRuleId>;

export interface Rule extends RuleEntry { readonly id: RuleId }

export const RULES: readonly Rule[] = CATALOGUE;

export const RULE_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** Whether a string is a rule id of the catalogue (for ids read from files and other tools). */
export const isRuleId = (s: string): s is RuleId => RULE_BY_ID.has(s);

/** The rules that apply to a variant (API rules, not contract rules). */
export const rulesOf = (variant: string): Rule[] =>
  RULES.filter((r) => !r.contract && (r.variants as readonly string[]).includes(variant));
