/**
 * The state interface every rule is written against: what an action reads, what it writes,
 * and the outcome it reports. The rules (sva.ts, ops.ts, variants/, contract.ts,
 * invariants.ts, findings.ts) are written once, against this; two backends hold the state:
 * - `ObjectWorld` (objectWorld.ts): the immutable State objects of state.ts, rewritten
 *   copy-on-write. Traces, replay, conformance, the driver.
 * - `FlatWorld` (model/flatWorld.ts): the model checker's flat Int32Array states, read and
 *   written in place, copied once on the first write of a transition.
 * A backend holds no rule: it answers reads, applies writes and records the outcome.
 *
 * The frame is explicit, as a TLA+ action's UNCHANGED: an action changes exactly the fields
 * it writes. A failing action writes nothing after it has decided to fail; where a design
 * keeps a partial effect on failure (upstream's S6, v2's V4), the rule writes it before the
 * step that fails, as the kernel does.
 */
import type { Errno, FaultKind } from '../vocab/index.ts';
import type { ApiRuleId } from './rules.ts';
import type { Config } from './state.ts';

/** live: running; exited: gone from userspace but pinned by its SVA domains; gone: freed. */
export type MmStatus = 'live' | 'exited' | 'gone';

/**
 * What a group's PASID slot (iommu_group->pasid_array entry) holds: nothing, an SVA bond (the
 * handle, struct iommu_sva), or a non-SVA domain attached bare (a kernel DMA PASID, as idxd
 * attaches) or with an attach handle (as iommufd attaches), which the SVA bind path finds (B4).
 */
export type SlotKind = 'empty' | 'sva' | 'kernel' | 'handle';

/** No PASID: an mm without mm data, or the allocator with nothing free. */
export const NONE = -1;

/** What a rule reads of the state. Devices, mms, groups and IOMMUs are indices of the Config. */
export interface Reads {
  readonly cfg: Config;
  status(mm: number): MmStatus;
  /** mm->iommu_mm->pasid, NONE while the mm has no mm data. per-device: the mm's global PASID. */
  pasid(mm: number): number;
  /** iommu_mm->pasid_global (v2); upstream PASIDs are always global. */
  isGlobal(mm: number): boolean;
  /** Users (attached handles) of the mm's SVA domain behind an IOMMU; 0: no domain there. */
  domainUsers(mm: number, iommu: number): number;
  /** The ASID of that domain; 0: no domain. */
  asid(mm: number, iommu: number): number;
  /**
   * Whether an SVA domain behind any IOMMU holds the ASID (xa_load on arm_smmu_asid_xa, one
   * xarray for every SMMU: drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): whether some
   * asid(mm, iommu) is this one. Asked of ASIDs from 1 (0 stands for no domain).
   */
  asidUsed(asid: number): boolean;
  slotKind(group: number, pasid: number): SlotKind;
  /** Of a filled slot: the device named when it was filled (handle->dev). */
  slotDev(group: number, pasid: number): number;
  /** Of an SVA bond: its mm and its handle's users. */
  slotMm(group: number, pasid: number): number;
  slotUsers(group: number, pasid: number): number;
  /** The PASIDs at which the group may hold something (every filled one among them), ascending. */
  slotPasids(group: number): readonly number[];
  /**
   * The PASIDs at which mm has an SVA bond in the group (its handles there), ascending: every
   * p of slotPasids(group) with slotKind 'sva' and slotMm mm (the group's pasid_array entries
   * whose domain->mm is mm).
   */
  svaPasids(group: number, mm: number): readonly number[];
  /** Whether the one system-wide global PASID allocator holds the id. */
  allocated(pasid: number): boolean;
  /**
   * The lowest id >= from that the global allocator does not hold: the free id the IDA's
   * search finds (ida_alloc_range in lib/idr.c looks for the first free id from `from`).
   * Whatever the backend, the least c >= from with allocated(c) false.
   */
  firstUnallocated(from: number): number;
  /**
   * The ids the global allocator or an alloc_global caller may hold (every allocated or held
   * one among them), ascending, each once: what a rule iterates to visit them.
   */
  idaPasids(): readonly number[];
  /** Ghost state: whether an alloc_global caller holds the id (handed out, not yet freed). */
  held(pasid: number): boolean;
  /** How many ids alloc_global callers hold. */
  heldCount(): number;
  /** ioasid-2020: a set's quota (sets by index of cfg.ioasid.sets), and whether the set holds the id. */
  setQuota(set: number): number;
  setHolds(set: number, pasid: number): boolean;
}

/** What an action may change, each write naming its field (the frame). */
export interface Writes {
  setStatus(mm: number, status: MmStatus): void;
  /** Publish mm data with this PASID (smp_store_release of mm->iommu_mm), or replace it. */
  setData(mm: number, pasid: number, global: boolean): void;
  dropData(mm: number): void;
  /** The mm's SVA domain behind iommu: its users and ASID (0, 0: freed). */
  setDomain(mm: number, iommu: number, users: number, asid: number): void;
  putBond(group: number, pasid: number, mm: number, dev: number, users: number): void;
  putAttach(group: number, pasid: number, dev: number, handle: boolean): void;
  setSlotUsers(group: number, pasid: number, users: number): void;
  clearSlot(group: number, pasid: number): void;
  /** The global allocator takes / frees the id. */
  allocate(pasid: number): void;
  release(pasid: number): void;
  /** An alloc_global caller becomes / stops being the id's holder. */
  hold(pasid: number): void;
  unhold(pasid: number): void;
  /** ioasid-2020: a set's quota becomes `quota`; the set takes / gives back the id. */
  putSetQuota(set: number, quota: number): void;
  setTake(set: number, pasid: number): void;
  setGive(set: number, pasid: number): void;
}

/**
 * The outcome of the action: one result and the rule that decided it, then further rules
 * whose effect it carried out (S6 kept the PASID, V7 rolled back, B2 a group sibling's handle).
 * Setting a result replaces the one set before (a bind reports what its attach reported).
 */
export interface Outcomes {
  ok(rule: ApiRuleId): void;
  errno(errno: Errno, rule: ApiRuleId): void;
  /** A PASID value returned. */
  gave(pasid: number, rule: ApiRuleId): void;
  /** IOMMU_PASID_INVALID returned. */
  invalid(rule: ApiRuleId): void;
  /** A DMA: the kernel's domain answered (RID traffic, a non-SVA domain). */
  kernel(rule: ApiRuleId): void;
  /** A DMA reached the mm's address space. */
  reached(mm: number, rule: ApiRuleId): void;
  fault(kind: FaultKind, rule: ApiRuleId): void;
  also(rule: ApiRuleId): void;
  /** Whether the result set last is an errno. */
  failed(): boolean;
}

/** What an action runs against. */
export interface World extends Reads, Writes, Outcomes {}

// --- Reads composed (no backend needed) -------------------------------------------------------

/** dev->iommu->max_pasids: 2^ssid_bits, or 0 behind no IOMMU. */
export function maxPasidsOf(cfg: Config, dev: number): number {
  const d = cfg.devices[dev];
  if (d.iommu === null) return 0;
  return d.ssidBits < 31 ? 1 << d.ssidBits : 2 ** d.ssidBits;
}

/** The device's group, or null behind no IOMMU (no iommu_group). */
export const groupOfDev = (cfg: Config, dev: number): number | null =>
  cfg.devices[dev].iommu === null ? null : cfg.devices[dev].group;

/** Whether the mm has an SVA domain behind any IOMMU (list_empty(&iommu_mm->sva_domains) is false). */
export function hasSvaDomain(w: Reads, mm: number): boolean {
  for (let i = 0; i < w.cfg.iommus.length; i++) if (w.domainUsers(mm, i) > 0) return true;
  return false;
}

/** The PASID at which mm is bound in group (the lowest, if several), or NONE. */
export function boundPasidIn(w: Reads, group: number, mm: number): number {
  const bound = w.svaPasids(group, mm);
  return bound.length > 0 ? bound[0] : NONE;
}

/** svaPasids by its definition, read slot by slot: what a backend without an index by mm answers. */
export function scanSvaPasids(r: Pick<Reads, 'slotPasids' | 'slotKind' | 'slotMm'>, group: number, mm: number): number[] {
  const bound: number[] = [];
  for (const p of r.slotPasids(group)) if (r.slotKind(group, p) === 'sva' && r.slotMm(group, p) === mm) bound.push(p);
  return bound;
}

/** firstUnallocated by its definition, id after id: what a backend without a sorted list answers. */
export function scanFirstUnallocated(r: Pick<Reads, 'allocated'>, from: number): number {
  let c = from;
  while (r.allocated(c)) c++;
  return c;
}
