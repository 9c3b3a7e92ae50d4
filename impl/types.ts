/**
 * The kernel structures the implementation keeps, named after their C counterparts
 * (include/linux/iommu.h, drivers/iommu/iommu-priv.h). Mutable on purpose: this is the fast,
 * indexed implementation, not the spec.
 */
import type { Errno } from '../vocab/index.ts';
import type { ArmSmmuDomain, ArmSmmuMaster, ArmSmmuV3 } from './smmuv3/index.ts';

/** IOMMU_PASID_INVALID: the all-ones u32 sentinel. */
export const IOMMU_PASID_INVALID = 0xffffffff;
/** IOMMU_NO_PASID: RID traffic. Also v2's IOMMU_PASID_GLOBAL_ANY ("allocate a global one"). */
export const IOMMU_NO_PASID = 0;
export const IOMMU_PASID_GLOBAL_ANY = IOMMU_NO_PASID;
/** IOMMU_FIRST_GLOBAL_PASID. */
export const IOMMU_FIRST_GLOBAL_PASID = 1;

/** `int ret` of a kernel function: null on success, else the errno. */
export type Ret = Errno | null;
/** An ERR_PTR-or-pointer return. */
export type KResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: Errno };
export const ok = <T>(value: T): KResult<T> => ({ ok: true, value });
export const err = <T>(errno: Errno): KResult<T> => ({ ok: false, errno });

/** struct device + dev->iommu: its group, IOMMU instance and max_pasids. */
export interface Device {
  readonly index: number;
  readonly name: string;
  /** dev->iommu->max_pasids: 2^ssid_bits; 0 behind no IOMMU. */
  readonly maxPasids: number;
  readonly group: IommuGroup | null;
  readonly smmu: ArmSmmuV3 | null;
  readonly master: ArmSmmuMaster | null;
}

/**
 * An entry of group->pasid_array: an SVA attach handle, or a non-SVA domain attached bare or
 * (`handle`) with an attach handle of its own type, as iommufd attaches.
 */
export type PasidArrayEntry =
  | { readonly kind: 'sva'; readonly handle: IommuSva }
  | { readonly kind: 'kernel'; readonly dev: Device; readonly domain: ArmSmmuDomain; readonly handle: boolean };

/** struct iommu_group. */
export interface IommuGroup {
  readonly index: number;
  readonly name: string;
  readonly devices: readonly Device[];
  /**
   * The smallest max_pasids of the group's devices. iommu_attach_device_pasid rejects a pasid
   * ≥ max_pasids of ANY device in the group; group membership is fixed once configured, so
   * the minimum is computed once and the check is O(1) instead of a walk over the devices.
   */
  minMaxPasids: number;
  /** group->pasid_array: PASID → entry. A Map gives O(1) lookups at 20-bit PASIDs. */
  readonly pasidArray: Map<number, PasidArrayEntry>;
}

/** An SVA domain (struct iommu_domain of type IOMMU_DOMAIN_SVA), per (mm, IOMMU instance). */
export interface SvaDomain {
  readonly mm: MmStruct;
  readonly smmu: ArmSmmuV3;
  /** The driver's domain (ASID, installed CDs). */
  readonly hw: ArmSmmuDomain;
  /** domain->users: devices attached. */
  users: number;
}

/** struct iommu_sva: the bond handle (kzalloc'ed by bind, `domain` set by the attach). */
export class IommuSva {
  /** refcount: binds of this (dev, mm) not yet unbound. */
  users = 0;
  /** handle->handle.domain, set when an attach succeeds. */
  domain!: SvaDomain;
  constructor(
    /** handle->dev: the device the creating bind named. */
    readonly dev: Device,
    /** The PASID the bond is attached at (the slot in dev's group). */
    readonly pasid: number,
  ) {}
}

/** struct iommu_mm_data. */
export interface IommuMm {
  /** upstream/v1/v2: the mm's PASID. per-device: its global PASID or IOMMU_PASID_INVALID. */
  pasid: number;
  /** v2's pasid_global (upstream: always true; per-device: whether it has a global PASID). */
  pasidGlobal: boolean;
  /**
   * iommu_mm->sva_domains, oldest first (the kernel adds at the head, so it walks newest
   * first). One per IOMMU instance, except after an attach of the existing one failed for lack
   * of memory: the kernel then allocates a second (fail-nth, spec rule N6).
   */
  readonly svaDomains: Set<SvaDomain>;
  /** The mm's bond in each group (group index → handle): per-device's "[dev, pasid]" bonds. */
  readonly bonds: Map<number, IommuSva>;
}

/** struct mm_struct, as far as SVA sees it. */
export interface MmStruct {
  readonly index: number;
  readonly name: string;
  /** live: running; exited: mm_users hit zero, pinned by SVA domains; gone: freed (mmdrop). */
  state: 'live' | 'exited' | 'gone';
  /** mm->iommu_mm once published, else null. */
  iommuMm: IommuMm | null;
}

export function newIommuMm(pasid: number, pasidGlobal: boolean): IommuMm {
  return { pasid, pasidGlobal, svaDomains: new Set(), bonds: new Map() };
}
