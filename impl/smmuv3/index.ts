/**
 * An emulated Arm SMMUv3 (drivers/iommu/arm/arm-smmu-v3/), as far as SVA needs it:
 * - ONE system-wide ASID xarray (arm_smmu_asid_xa) for SVA domains, each instance allocating
 *   within its own limit 1 .. 2^asid_bits - 1 (0 reserved), as arm_smmu_sva_domain_alloc does;
 * - per device (master) a stream table entry whose S1CDMAX = ssid_bits points at a linear
 *   context-descriptor table of 2^S1CDMAX entries; CD 0 serves RID (no-PASID) traffic;
 * - set_dev_pasid writes CD[ssid], remove_dev_pasid zeroes it, the mm release notifier
 *   rewrites the mm's CDs as valid but "fault everything";
 * - a DMA is answered ONLY by walking STE → CD, never by asking the IOMMU core.
 *
 * The CD table is a linear table of 2^S1CDMAX entries in hardware. Here it is a lazily-filled
 * Map from SSID to CD: an absent key reads as a zeroed (invalid) CD, exactly what a freshly
 * zeroed linear table returns, so the walk behaves like the linear table without allocating
 * 2^20 entries per 20-bit device.
 */
import { R, type Errno, type Result } from '../../vocab/index.ts';
import { Ida } from '../ida.ts';

/** A valid context descriptor. Invalid (V=0) CDs are simply absent from the table. */
export type ContextDescriptor =
  /** A kernel paging domain (the DMA API's default domain at CD 0, or one attached at a PASID). */
  | { readonly kind: 'kernel' }
  /** An SVA domain: the mm's page table (named by the mm) tagged with the domain's ASID.
   *  `faultAll`: the mm was released (EPD0|EPD1): valid, but every access faults. */
  | { readonly kind: 'sva'; readonly mm: string; readonly asid: number; readonly faultAll: boolean };

export class CdTable {
  private readonly cds = new Map<number, ContextDescriptor>();
  /**
   * Writes to this table so far. ArmSmmuV3.dma reads nothing but the master's STE (frozen:
   * its S1CDMAX and table never change) and this table's entries, which only `write` changes
   * (the CDs written are frozen): while the count stands still, every DMA a base-class
   * ArmSmmuV3 answers through this table stays what it was. The built-in adapter uses that to
   * skip asking a DMA again (impl/adapter.ts observesAs).
   */
  private count = 0;
  get writes(): number { return this.count; }
  constructor(readonly s1cdmax: number) {}
  /** Entries in the (linear) table: 2^S1CDMAX. */
  get entries(): number { return 2 ** this.s1cdmax; }
  read(ssid: number): ContextDescriptor | undefined { return this.cds.get(ssid); }
  /** Write CD[ssid]; null zeroes it. The caller checked ssid < entries (see ArmSmmuV3.cdPtr). */
  write(ssid: number, cd: ContextDescriptor | null): void {
    this.count++;
    if (cd === null) this.cds.delete(ssid); else this.cds.set(ssid, Object.freeze(cd));
  }
  /** Valid CDs, for inspection by tests. */
  validSsids(): number[] { return [...this.cds.keys()].sort((a, b) => a - b); }
}

/**
 * The fault answers, one frozen object each (results are values nobody edits): every observe
 * asks a DMA at each probe, most of which fault, and a new object per answer was a good part
 * of what the conformance loop left to the garbage collector.
 */
const FAULT = {
  badSubstream: Object.freeze(R.fault('bad_substream')),
  badCd: Object.freeze(R.fault('bad_cd')),
  translation: Object.freeze(R.fault('translation')),
} as const;

/** Stream table entry: S1 translation through a CD table (S1CDMAX = the device's ssid_bits). */
export interface StreamTableEntry { readonly s1cdmax: number; readonly cdTable: CdTable }

/** struct arm_smmu_master: a device behind this SMMU. */
export class ArmSmmuMaster {
  readonly ste: StreamTableEntry;
  constructor(readonly index: number, readonly name: string, readonly smmu: ArmSmmuV3, ssidBits: number) {
    this.ste = Object.freeze({ s1cdmax: ssidBits, cdTable: new CdTable(ssidBits) });
    // At probe the device's default (DMA API) domain serves RID traffic through CD 0.
    this.ste.cdTable.write(0, { kind: 'kernel' });
    Object.freeze(this);                                                 // its STE and SMMU are fixed: see CdTable.writes
  }
}

/** struct arm_smmu_domain, reduced: its instance, ASID, mm (SVA) and where it is installed. */
export class ArmSmmuDomain {
  /** (master, ssid) pairs whose CD points at this domain; key = master.index * 2^21 + ssid. */
  readonly installed = new Map<number, { master: ArmSmmuMaster; ssid: number }>();
  /** Set by the mm release notifier: the mm is gone from userspace. */
  released = false;
  constructor(
    readonly smmu: ArmSmmuV3,
    readonly kind: 'sva' | 'kernel',
    readonly asid: number,
    readonly mm: string | null,
  ) {}
}

const installKey = (m: ArmSmmuMaster, ssid: number): number => m.index * 2 ** 21 + ssid;

/** 16-bit ASIDs: the widest any SMMUv3 instance has. */
const ASID_SPACE = 2 ** 16;

/** arm_smmu_asid_xa: the one system-wide ASID xarray every SMMUv3 instance allocates from. */
export const newAsidXa = (): Ida => new Ida(ASID_SPACE, [0]);

/** struct arm_smmu_device: one SMMUv3 instance. */
export class ArmSmmuV3 {
  /** Driver WARN_ONs hit (a correct IOMMU core never triggers one). */
  readonly warnings: string[] = [];
  /**
   * The kernel paging domain attached at PASIDs by attach_pasid (idxd's kernel DMA PASID).
   * Its ASID is outside the SVA pool: svacheck's semantics count only SVA domains against
   * asid_bits, so it carries ASID 0 here.
   */
  readonly kernelDomain: ArmSmmuDomain;

  /** @param asids the system-wide ASID xarray, shared by every instance (newAsidXa). */
  constructor(readonly index: number, readonly name: string, readonly asidBits: number, readonly svaSupported: boolean,
    readonly asids: Ida) {
    this.kernelDomain = new ArmSmmuDomain(this, 'kernel', 0, null);
  }

  /**
   * arm_smmu_sva_domain_alloc: no SVA support → EOPNOTSUPP; no ASID of the system-wide xarray
   * free within XA_LIMIT(1, (1 << asid_bits) - 1) → EBUSY (xa_alloc).
   */
  domainAllocSva(mm: string): ArmSmmuDomain | Errno {
    if (!this.svaSupported) return 'EOPNOTSUPP';
    const asid = this.asids.allocRange(1, 2 ** this.asidBits - 1);
    if (asid === null) return 'EBUSY';
    return new ArmSmmuDomain(this, 'sva', asid, mm);
  }

  /** arm_smmu_domain_free_paging: the ASID goes back to the system-wide xarray. */
  domainFree(domain: ArmSmmuDomain): void {
    if (domain.kind === 'sva') this.asids.free(domain.asid);
  }

  /** set_dev_pasid: install `domain` at CD[ssid] of `master`. */
  setDevPasid(domain: ArmSmmuDomain, master: ArmSmmuMaster, ssid: number): Errno | null {
    const bad = this.checkDomain(domain, master);
    if (bad !== null) return bad;
    const table = this.cdPtr(master, ssid);
    if (table === null) return 'ENOMEM'; // arm_smmu_alloc_cd_ptr returned NULL
    table.write(ssid, this.makeCd(domain));
    domain.installed.set(installKey(master, ssid), { master, ssid });
    return null;
  }

  /** remove_dev_pasid: zero CD[ssid] (V=0); the SSID now takes a bad-CD fault. */
  removeDevPasid(domain: ArmSmmuDomain, master: ArmSmmuMaster, ssid: number): void {
    this.cdPtr(master, ssid)?.write(ssid, null);
    domain.installed.delete(installKey(master, ssid));
  }

  /** arm_smmu_mm_release: every CD of the mm's domain becomes valid-but-fault-everything. */
  mmRelease(domain: ArmSmmuDomain): void {
    domain.released = true;
    for (const { master, ssid } of domain.installed.values()) {
      master.ste.cdTable.write(ssid, this.makeCd(domain));
    }
  }

  /** A DMA by `master` tagged with `ssid`: walk STE → CD and say what it reaches. */
  dma(master: ArmSmmuMaster, ssid: number): Result {
    const { s1cdmax, cdTable } = master.ste;
    if (ssid >= (1 << s1cdmax)) return FAULT.badSubstream; // C_BAD_SUBSTREAMID (S1CDMAX <= 20)
    const cd = cdTable.read(ssid);
    if (cd === undefined) return FAULT.badCd; // C_BAD_CD: V=0
    if (cd.kind === 'kernel') return R.kernel;
    if (cd.faultAll) return FAULT.translation; // EPD0|EPD1: F_TRANSLATION
    return R.mm(cd.mm);
  }

  /** A domain of another SMMU instance cannot be installed (its ASID means nothing here). */
  protected checkDomain(domain: ArmSmmuDomain, master: ArmSmmuMaster): Errno | null {
    return domain.smmu !== this || master.smmu !== this ? 'EINVAL' : null;
  }

  protected makeCd(domain: ArmSmmuDomain): ContextDescriptor {
    if (domain.kind === 'kernel' || domain.mm === null) return { kind: 'kernel' };
    return { kind: 'sva', mm: domain.mm, asid: domain.asid, faultAll: domain.released };
  }

  /** arm_smmu_get_cd_ptr: WARN_ON(ssid >= 1 << s1cdmax) and no pointer. */
  protected cdPtr(master: ArmSmmuMaster, ssid: number): CdTable | null {
    if (ssid < 0 || ssid >= 2 ** master.ste.s1cdmax) {
      this.warnings.push(`${master.name}: CD write at ssid ${ssid} beyond S1CDMAX ${master.ste.s1cdmax}`);
      return null;
    }
    return master.ste.cdTable;
  }
}
