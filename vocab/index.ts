/**
 * The vocabulary every engine shares: operations, results, errno names, device setups, and
 * the adapter contract. spec/ and impl/ both import this module and nothing of each other.
 * It holds types and tiny pure helpers only — no behaviour of the SVA rules.
 */

/** Errors are values named as in the kernel. */
export const ERRNOS = ['EBUSY', 'ENOSPC', 'EOVERFLOW', 'EINVAL', 'ENODEV', 'ENOMEM', 'EOPNOTSUPP', 'ERANGE'] as const;
export type Errno = (typeof ERRNOS)[number];
export const isErrno = (s: string): s is Errno => (ERRNOS as readonly string[]).includes(s);

/** The 2026 designs: mainline before the patch, the patch's two postings, the reviewers' design. */
export const DESIGNS_2026 = ['upstream', 'v1', 'v2', 'per-device'] as const;
/** Designs from the record before 2026, each stated from its mail (spec/variants/, on the spec alone). */
export const EARLIER_DESIGNS = ['sva-2018', 'ioasid-2020', 'dma-pasid-2021'] as const;
export const VARIANTS = [...DESIGNS_2026, ...EARLIER_DESIGNS] as const;
export type VariantName = (typeof VARIANTS)[number];
export type Design2026 = (typeof DESIGNS_2026)[number];

/** Largest ssid_bits a device may have (PCIe PASIDs are 20 bits). */
export const MAX_SSID_BITS = 20;
/** IOMMU_NO_PASID: PASID 0 is the device's RID traffic. */
export const NO_PASID = 0;

/**
 * Where an allocation inside an operation can fail (fail-nth fault injection, as the kernel's
 * fail_nth): the mm data, the global PASID, the handle, a new SVA domain (driver allocation,
 * ASID, mmu notifier), an attach (the group's pasid_array entry, the driver's CD table), the
 * attach of the mm's existing domain behind the device's IOMMU (the core's "search for an
 * existing domain" loop), or the attach of one of its domains behind another IOMMU.
 */
export const FAIL_POINTS = ['mm_data', 'global_pasid', 'handle', 'domain', 'attach', 'reuse_attach', 'foreign_attach'] as const;
export type FailPoint = (typeof FAIL_POINTS)[number];

/** What an operation did under fail-nth (PROTOCOL.md §11): its fallible calls, and the one made to fail. */
export interface FailNthInfo {
  readonly calls: number;
  readonly injected: { readonly site: string; readonly point: string } | null;
}

/** What an implementation still holds after its own teardown (PROTOCOL.md §11, `leaks`). */
export interface Leaks {
  readonly counts: Readonly<Record<string, number>>;
  readonly list: readonly string[];
}

/**
 * The optional fail-nth capability of an adapter (an `exec:` program that announces fail_nth
 * and leaks, or the built-in implementation): run an operation with its n-th fallible call
 * failing, and tear down and say what is left.
 */
export interface FailNthCapable {
  readonly capabilities: Readonly<Record<string, number>>;
  applyTracked(op: Op, failNth?: number): Promise<{ result: Result; info: FailNthInfo }>;
  leaks(): Promise<Leaks>;
}

/** Why a DMA faulted, as the emulated SMMUv3 would report it (the spec gives the same kinds). */
export type FaultKind = 'bad_substream' | 'bad_cd' | 'translation';

/** The result of one operation. `kernel`: a DMA reached a non-SVA (kernel) domain. */
export type Result =
  | { readonly kind: 'pasid'; readonly pasid: number }
  | { readonly kind: 'ok' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'fault'; readonly fault?: FaultKind }
  | { readonly kind: 'kernel' }
  | { readonly kind: 'mm'; readonly mm: string }
  | { readonly kind: 'errno'; readonly errno: Errno };

export const R = {
  pasid: (pasid: number): Result => ({ kind: 'pasid', pasid }),
  ok: { kind: 'ok' } as Result,
  invalid: { kind: 'invalid' } as Result,
  fault: (fault?: FaultKind): Result => (fault ? { kind: 'fault', fault } : { kind: 'fault' }),
  kernel: { kind: 'kernel' } as Result,
  mm: (mm: string): Result => ({ kind: 'mm', mm }),
  errno: (errno: Errno): Result => ({ kind: 'errno', errno }),
};

/** The litmus spelling of a result: `3`, `ok`, `INVALID`, `fault`, `kernel`, `A`, `EBUSY`. */
export function formatResult(r: Result): string {
  switch (r.kind) {
    case 'pasid': return String(r.pasid);
    case 'ok': return 'ok';
    case 'invalid': return 'INVALID';
    case 'fault': return 'fault';
    case 'kernel': return 'kernel';
    case 'mm': return r.mm;
    case 'errno': return r.errno;
  }
}

/** Equality of results as the checks see them: the fault kind is a report detail, not compared. */
export function sameResult(a: Result, b: Result): boolean {
  if (a.kind !== b.kind) return false;
  // The spellings compared field by field: no string built for the common, equal case.
  switch (a.kind) {
    case 'pasid': { const p = (b as typeof a).pasid; return a.pasid === p || String(a.pasid) === String(p); }
    case 'mm': { const m = (b as typeof a).mm; return a.mm === m || String(a.mm) === String(m); }
    case 'errno': { const e = (b as typeof a).errno; return a.errno === e || String(a.errno) === String(e); }
    default: return formatResult(a) === formatResult(b);
  }
}

/** Words that cannot name an mm, a device or a handle (they are result spellings). */
export const RESERVED_NAMES: readonly string[] = ['ok', 'INVALID', 'fault', 'kernel', 'any', ...ERRNOS];

/**
 * Operations, by name. Handles are named by the caller: a successful bind with `as: h` makes
 * `h` name the returned handle (binding the same (dev, mm) again returns the same handle, so
 * two names may alias one handle). `unbind` and `get_pasid` take such a name.
 */
export type Op =
  | { readonly op: 'bind'; readonly dev: string; readonly mm: string; readonly as?: string }
  | { readonly op: 'bind_pasid'; readonly dev: string; readonly mm: string; readonly pasid: number; readonly as?: string }
  | { readonly op: 'unbind'; readonly handle: string }
  | { readonly op: 'get_pasid'; readonly handle: string }
  | { readonly op: 'enqcmd_pasid'; readonly mm: string }
  | { readonly op: 'alloc_global'; readonly dev: string }
  | { readonly op: 'free_global'; readonly pasid: number }
  /** handle: attached with an attach handle of a non-SVA type (as iommufd attaches), not bare (idxd). */
  | { readonly op: 'attach_pasid'; readonly dev: string; readonly pasid: number; readonly handle?: true }
  | { readonly op: 'detach_pasid'; readonly dev: string; readonly pasid: number }
  | { readonly op: 'mm_exit'; readonly mm: string }
  | { readonly op: 'dma'; readonly dev: string; readonly pasid: number }
  // The designs before 2026 (sva-2018, ioasid-2020) add these:
  /** sva-2018: bind with the private-PASID flag amdgpu asked for: a PASID of the bond's own. */
  | { readonly op: 'bind_private'; readonly dev: string; readonly mm: string; readonly as?: string }
  /** sva-2018: the driver's mm_exit callback for this bond returns: it no longer uses the PASID. */
  | { readonly op: 'mm_exit_done'; readonly handle: string }
  /** ioasid-2020: ioasid_alloc from a set, within the device's PASID range. */
  | { readonly op: 'ioasid_alloc'; readonly set: string; readonly dev: string }
  /** ioasid-2020: ioasid_free_set: every IOASID of the set is freed. */
  | { readonly op: 'ioasid_free_set'; readonly set: string }
  /** ioasid-2020: ioasid_adjust_set: the set's quota becomes `quota`. */
  | { readonly op: 'ioasid_adjust_set'; readonly set: string; readonly quota: number };

export type OpName = Op['op'];
/** The operations of the 2026 designs (the adapter contract's, impl/'s). */
export const OPS_2026 = [
  'bind', 'bind_pasid', 'unbind', 'get_pasid', 'enqcmd_pasid', 'alloc_global', 'free_global',
  'attach_pasid', 'detach_pasid', 'mm_exit', 'dma',
] as const satisfies readonly OpName[];
export const OP_NAMES: readonly OpName[] = [
  ...OPS_2026, 'bind_private', 'mm_exit_done', 'ioasid_alloc', 'ioasid_free_set', 'ioasid_adjust_set',
];

/** One line, litmus-like: `bind {dev: accel, mm: A} as h1`. */
export function formatOp(o: Op): string {
  switch (o.op) {
    case 'bind': return `bind {dev: ${o.dev}, mm: ${o.mm}}${o.as ? ` as ${o.as}` : ''}`;
    case 'bind_pasid': return `bind_pasid {dev: ${o.dev}, mm: ${o.mm}, pasid: ${o.pasid}}${o.as ? ` as ${o.as}` : ''}`;
    case 'bind_private': return `bind_private {dev: ${o.dev}, mm: ${o.mm}}${o.as ? ` as ${o.as}` : ''}`;
    case 'unbind': case 'get_pasid': case 'mm_exit_done': return `${o.op} ${o.handle}`;
    case 'ioasid_alloc': return `ioasid_alloc {set: ${o.set}, dev: ${o.dev}}`;
    case 'ioasid_free_set': return `ioasid_free_set ${o.set}`;
    case 'ioasid_adjust_set': return `ioasid_adjust_set {set: ${o.set}, quota: ${o.quota}}`;
    case 'enqcmd_pasid': case 'mm_exit': return `${o.op} ${o.mm}`;
    case 'alloc_global': return `alloc_global ${o.dev}`;
    case 'free_global': return `free_global ${o.pasid}`;
    case 'attach_pasid': return `attach_pasid {dev: ${o.dev}, pasid: ${o.pasid}${o.handle ? ', handle: true' : ''}}`;
    case 'detach_pasid': case 'dma': return `${o.op} {dev: ${o.dev}, pasid: ${o.pasid}}`;
  }
}

/** A device: usable PASIDs are 1 .. 2^ssidBits - 1. `iommu: null` means no IOMMU, hence no group. */
export interface DeviceSetup {
  readonly name: string;
  readonly ssidBits: number;
  /** Devices naming the same group share PASID slots; default: a group of its own. */
  readonly group?: string;
  /** IOMMU instance; default `smmu0`; `null`: the device sits behind no IOMMU. */
  readonly iommu?: string | null;
  /**
   * sva-2018: the PASID range the driver states at iommu_sva_device_init, [minPasid,
   * maxPasid]; default [1, 2^ssidBits - 1]. The other designs take the range from ssidBits.
   */
  readonly minPasid?: number;
  readonly maxPasid?: number;
}

/** ioasid-2020: the system capacity, the system set's quota, and the sets (one per VM) with theirs. */
export interface IoasidSetup {
  /** ioasid_install_capacity; default 2^20. */
  readonly capacity?: number;
  /** ioasid_alloc_system_set's quota; default what the sets leave of the capacity. */
  readonly systemQuota?: number;
  /** ioasid_alloc_set: each set's name and quota. */
  readonly sets?: readonly { readonly name: string; readonly quota: number }[];
}

/** An IOMMU instance (an Arm SMMUv3): its ASID width, and whether it supports SVA domains. */
export interface IommuSetup {
  readonly name: string;
  /** ASIDs 1 .. 2^asidBits - 1 are usable (ASID 0 is reserved); default 16. */
  readonly asidBits?: number;
  /** false: the driver has no SVA domain support (domain allocation fails with EOPNOTSUPP). */
  readonly sva?: boolean;
}

export interface Setup {
  readonly devices: readonly DeviceSetup[];
  /** Instances named by devices but not listed here get the defaults. */
  readonly iommus?: readonly IommuSetup[];
  /** Process address spaces the operations may name. */
  readonly mms: readonly string[];
  /** ioasid-2020's IOASID sets (the other designs have none). */
  readonly ioasid?: IoasidSetup;
}

export const DEFAULT_IOMMU = 'smmu0';
export const DEFAULT_ASID_BITS = 16;

/** The seed's setup: a non-PCIe device with 3 SSIDs, one with 1 SSID, a 20-bit PCI device, one SMMU. */
export const SEED_SETUP: Setup = {
  devices: [
    { name: 'accel', ssidBits: 2 },
    { name: 'dsp', ssidBits: 1 },
    { name: 'nic', ssidBits: 20 },
  ],
  iommus: [{ name: DEFAULT_IOMMU, asidBits: 16 }],
  mms: ['A', 'B', 'C'],
};

/** Where a DMA is probed in an observation. */
export interface DmaProbe { readonly dev: string; readonly pasid: number }

/**
 * What an implementation shows of its state; the conformance layer abstracts it and compares
 * it with the spec's. Lists may come in any order.
 */
export interface Observation {
  /** SVA bonds: the handle's device (the one the creating bind named), PASID, mm, handle users. */
  readonly bonds: readonly { dev: string; pasid: number; mm: string; users: number }[];
  /** Non-SVA domains attached at a PASID (attach_pasid), by the device named at attach. */
  readonly attaches: readonly { dev: string; pasid: number }[];
  readonly mms: readonly MmObservation[];
  /** Every id the global allocator holds, whoever holds it. */
  readonly globalPasids: readonly number[];
  /** The DMA answer at each probe asked for. */
  readonly dma: readonly { dev: string; pasid: number; result: Result }[];
}

export interface MmObservation {
  readonly mm: string;
  /** live: running; exited: gone from userspace, pinned by bonds; gone: freed. */
  readonly state: 'live' | 'exited' | 'gone';
  /** The PASID kept on the mm (iommu_mm->pasid; per-device: its global PASID), or null. */
  readonly pasid: number | null;
  /** Whether that PASID came from the global allocator (iommu_mm->pasid_global). */
  readonly global: boolean | null;
  /** SVA domains of this mm: IOMMU instance and users, one per group PASID slot attached (PROTOCOL.md §7). */
  readonly domains: readonly { iommu: string; users: number }[];
}

/**
 * The adapter contract (version 1): what any implementation under test provides. Results are
 * values; a throw is reported as a crash of the implementation, never as a wrong errno.
 * Members are added, never renamed.
 */
export interface SvaAdapter {
  readonly contractVersion: 1;
  readonly name: string;
  readonly variants: readonly VariantName[];
  /** Start over with this setup and variant: no mm has a PASID, nothing is attached. */
  configure(setup: Setup, variant: VariantName): void | Promise<void>;
  apply(op: Op): Result | Promise<Result>;
  observe(probes: readonly DmaProbe[]): Observation | Promise<Observation>;
  close?(): void | Promise<void>;
}
