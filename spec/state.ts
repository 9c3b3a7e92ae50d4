/**
 * The abstract state of the SVA PASID rules.
 *
 * What is abstracted away, and why:
 * - Page tables and CD contents: a DMA's answer depends only on which mm (or
 *   kernel domain) sits in the PASID slot and whether that mm has exited, so the state keeps
 *   the slot owner and the mm's status, not the hardware encoding (impl/smmuv3 keeps that).
 * - Handle pointers: a handle is the SVA bond in a group's PASID slot (the kernel keeps it in
 *   the group's pasid_array); names callers give to handles live in the driver, not here.
 * - Locks: every bind and unbind runs under iommu_sva_lock, so each operation is atomic.
 * - Memory allocation failures (ENOMEM): not part of the state space; `Config.fault` names one
 *   allocation to fail for fail-nth checks, and each allocation site says what that leaves.
 * - ASIDs are kept, one per SVA domain: they come from one system-wide xarray
 *   (arm_smmu_asid_xa), lowest free first, each SMMU within its own asid_bits, so whether a
 *   small-ASID SMMU can still allocate depends on which values the others' domains hold, not
 *   only on how many domains exist.
 * - Threads and the per-thread IA32_PASID MSR: enqcmd_pasid asks what the #GP fixup would
 *   load (mm_get_enqcmd_pasid), which is all a device can be told.
 */
import type { FailPoint } from '../vocab/index.ts';
import type { ResolvedSetup } from '../vocab/setup.ts';

/**
 * The setup, and (fail-nth only) the allocation that fails in the operation about to run:
 * each allocation site of the spec says what its failure returns and leaves (rules N1-N7).
 * The model checker never sets it.
 */
export type Config = ResolvedSetup & { readonly fault?: FailPoint };

/** A filled PASID slot of a group (iommu_group->pasid_array entry). */
export type Slot =
  /** An SVA bond: the handle (struct iommu_sva) with its users count; dev is handle->dev. */
  | { readonly kind: 'sva'; readonly mm: number; readonly dev: number; readonly users: number }
  /**
   * A non-SVA domain attached at a PASID: bare (a kernel DMA PASID, as idxd attaches), or with
   * an attach handle (handle: true, as iommufd attaches), which the SVA bind path finds (B4).
   */
  | { readonly kind: 'kernel'; readonly dev: number; readonly handle: boolean };

/** struct iommu_mm_data, as far as the rules see it. */
export interface MmData {
  readonly pasid: number;
  /** v2's pasid_global; upstream PASIDs are always global. */
  readonly global: boolean;
}

export interface Mm {
  /** live: running; exited: gone from userspace but pinned by its SVA domains; gone: freed. */
  readonly status: 'live' | 'exited' | 'gone';
  /** mm->iommu_mm, once published. per-device: the mm's global PASID. */
  readonly data: MmData | null;
  /** Users (attached handles) of the mm's SVA domain per IOMMU instance; 0: no domain. */
  readonly domains: readonly number[];
  /** The ASID of the mm's SVA domain per IOMMU instance; 0: no domain. */
  readonly asids: readonly number[];
}

export interface State {
  readonly mms: readonly Mm[];
  /** Per group: PASID → slot. */
  readonly slots: readonly ReadonlyMap<number, Slot>[];
  /** The one system-wide global PASID allocator: the ids it holds, ascending, each once. */
  readonly ida: readonly number[];
  /** Ghost state: ids alloc_global handed out and not yet freed (the holders), ascending. */
  readonly kernelHeld: readonly number[];
  /**
   * ioasid-2020's IOASID sets (one per VM), as ResolvedSetup.ioasid.sets: each set's quota and
   * the ids it holds, ascending (also in `ida` and, as non-mm holders, `kernelHeld`). Absent
   * when the setup declares no sets; only ioasid-2020's operations change it.
   */
  readonly ioasidSets?: readonly IoasidSet[];
}

export interface IoasidSet { readonly quota: number; readonly held: readonly number[] }

/**
 * The state before any operation. Every mm starts as one shared record: a State is never
 * changed (a write replaces the record it changes), so sharing it is safe, and a setup of
 * 100 K processes does not start with 300 K objects for the garbage collector to move.
 */
export function initialState(cfg: Config): State {
  const idle: Mm = { status: 'live', data: null, domains: cfg.iommus.map(() => 0), asids: cfg.iommus.map(() => 0) };
  return {
    mms: cfg.mms.map(() => idle),
    slots: cfg.groups.map(() => new Map()),
    ida: [],
    kernelHeld: [],
    ...(cfg.ioasid.sets.length > 0 ? { ioasidSets: cfg.ioasid.sets.map((s) => ({ quota: s.quota, held: [] })) } : {}),
  };
}

export const slotAt = (st: State, group: number, pasid: number): Slot | undefined =>
  st.slots[group].get(pasid);
