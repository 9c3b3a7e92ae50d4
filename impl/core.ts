/**
 * The IOMMU core's SVA machinery, shaped like drivers/iommu/iommu.c (global PASID allocator,
 * iommu_attach_device_pasid) and drivers/iommu/iommu-sva.c (bind, unbind, mm_pasid_drop),
 * driving the emulated SMMUv3 in ./smmuv3 as its IOMMU driver.
 *
 * What differs between variants is in ./variants/*.ts, each a small subclass overriding the
 * protected hooks below. The same hooks are the override points for mutants (./mutants.ts).
 * Every bind and unbind runs under iommu_sva_lock in the kernel: here each call is atomic.
 */
import { type FailPoint, type Result, R } from '../vocab/index.ts';
import type { ResolvedSetup } from '../vocab/setup.ts';
import { Ida } from './ida.ts';
import { ArmSmmuMaster, ArmSmmuV3, newAsidXa, type ArmSmmuDomain } from './smmuv3/index.ts';
import {
  type Device, type IommuGroup, type IommuMm, type KResult, type MmStruct, type PasidArrayEntry,
  type Ret, type SvaDomain, IOMMU_FIRST_GLOBAL_PASID, IOMMU_NO_PASID, IOMMU_PASID_GLOBAL_ANY,
  IOMMU_PASID_INVALID, IommuSva, err, ok,
} from './types.ts';

/** A call no correct kernel caller makes (a caller-contract violation: docs/semantics.md, "Two kinds of no"). */
export class ContractViolation extends Error {
  constructor(message: string) { super(message); this.name = 'ContractViolation'; }
}

/** Width of the one system-wide PASID space (PCIe PASIDs are 20 bits). */
export const PASID_SPACE_BITS = 20;

/** The state one bind carries through iommu_sva_bind_device_internal. */
export interface BindCtx {
  readonly dev: Device;
  readonly group: IommuGroup;
  readonly mm: MmStruct;
  /** The PASID bind_pasid asked for, or IOMMU_PASID_GLOBAL_ANY for bind. */
  readonly requested: number;
  /** Set by allocMmData: the mm data the bind works on (maybe not yet published). */
  iommuMm: IommuMm | null;
  /** Set by allocMmData: the PASID slot the bond takes. */
  pasid: number;
  /** Set by allocMmData when this bind took a new global PASID (per-device's unwind needs it). */
  newGlobal: boolean;
}

/**
 * Not abstract only so that mutant mixins (`class extends base`) typecheck against it; the two
 * hooks every variant must provide throw if a variant forgets them.
 */
export class IommuSvaCore {
  readonly smmus: readonly ArmSmmuV3[];
  readonly devices: readonly Device[];
  readonly groups: readonly IommuGroup[];
  readonly mms: readonly MmStruct[];
  /** iommu_global_pasid_ida: PASID 0 (IOMMU_NO_PASID) is reserved, never handed out. */
  readonly globalPasidIda = new Ida(2 ** PASID_SPACE_BITS, [IOMMU_NO_PASID]);
  /** arm_smmu_asid_xa: one ASID space for every SMMU instance (arm-smmu-v3-sva.c). */
  protected readonly asidXa = newAsidXa();
  /**
   * fail-nth (PROTOCOL.md §11): the adapter sets `nth` before an operation; each fallible call
   * (an allocation the kernel makes) counts, and the nth one fails as out of memory.
   */
  readonly faults: { nth: number; calls: number; injected: { site: string; point: FailPoint } | null } = { nth: 0, calls: 0, injected: null };
  private readonly deviceByName = new Map<string, Device>();
  private readonly mmByName = new Map<string, MmStruct>();

  constructor(setup: ResolvedSetup) {
    this.smmus = setup.iommus.map((i, index) => this.createSmmu(index, i.name, i.asidBits, i.sva));
    const groups: IommuGroup[] = setup.groups.map((g, index) => ({
      index, name: g.name, devices: [], minMaxPasids: Infinity, pasidArray: new Map<number, PasidArrayEntry>(),
    }));
    this.devices = setup.devices.map((d, index) => {
      const smmu = d.iommu === null ? null : this.smmus[d.iommu];
      const group = d.iommu === null ? null : groups[d.group];
      const master = smmu === null ? null : new ArmSmmuMaster(index, d.name, smmu, d.ssidBits);
      const dev: Device = Object.freeze({ index, name: d.name, maxPasids: smmu ? 2 ** d.ssidBits : 0, group, smmu, master });   // frozen: see CdTable.writes
      if (group) {
        (group.devices as Device[]).push(dev);
        group.minMaxPasids = Math.min(group.minMaxPasids, dev.maxPasids);
      }
      this.deviceByName.set(d.name, dev);
      return dev;
    });
    this.groups = groups;
    this.mms = setup.mms.map((name, index) => ({ index, name, state: 'live', iommuMm: null }));
    for (const mm of this.mms) this.mmByName.set(mm.name, mm);
  }

  // ---- lookups -------------------------------------------------------------------------------

  device(name: string): Device {
    const d = this.deviceByName.get(name);
    if (!d) throw new ContractViolation(`unknown device '${name}'`);
    return d;
  }

  mm(name: string): MmStruct {
    const m = this.mmByName.get(name);
    if (!m) throw new ContractViolation(`unknown mm '${name}'`);
    return m;
  }

  private liveMm(name: string, op: string): MmStruct {
    const mm = this.mm(name);
    if (mm.state !== 'live') throw new ContractViolation(`${op}: mm ${name} has exited (no op may name it)`);
    return mm;
  }

  private liveHandle(handle: IommuSva, op: string): IommuSva {
    if (handle.users <= 0) throw new ContractViolation(`${op}: handle used after its last unbind (U4)`);
    return handle;
  }

  // ---- public API, one method per kernel entry point -----------------------------------------

  /** iommu_sva_bind_device(dev, mm). */
  bind(dev: string, mm: string): KResult<IommuSva> {
    return this.bindInternal(this.device(dev), this.liveMm(mm, 'bind'), IOMMU_PASID_GLOBAL_ANY);
  }

  /** iommu_sva_bind_device_pasid(dev, mm, pasid) — v1, v2, per-device. */
  bindPasid(dev: string, mm: string, pasid: number): KResult<IommuSva> {
    return this.bindDevicePasid(this.device(dev), this.liveMm(mm, 'bind_pasid'), pasid);
  }

  /** iommu_sva_unbind_device(handle). */
  unbind(handle: IommuSva): void {
    this.unbindDevice(this.liveHandle(handle, 'unbind'));
  }

  /** iommu_sva_get_pasid(handle). */
  getPasid(handle: IommuSva): number {
    return this.svaGetPasid(this.liveHandle(handle, 'get_pasid'));
  }

  /** mm_get_enqcmd_pasid(mm): what the ENQCMD #GP fixup would load. */
  mmGetEnqcmdPasid(mm: string): number {
    return this.enqcmdPasid(this.liveMm(mm, 'enqcmd_pasid'));
  }

  /** iommu_alloc_global_pasid(dev). */
  allocGlobalPasid(dev: string): number {
    return this.iommuAllocGlobalPasid(this.device(dev));
  }

  /** iommu_free_global_pasid(pasid). Contract (A3): the caller holds it. */
  freeGlobalPasid(pasid: number): void {
    if (!this.globalPasidIda.free(pasid)) throw new ContractViolation(`free_global ${pasid}: not allocated (A3)`);
  }

  /** iommu_attach_device_pasid with a non-SVA domain, bare (kernel DMA) or with an attach handle (iommufd). */
  attachDevicePasid(dev: string, pasid: number, handle = false): Ret {
    const d = this.device(dev);
    if (d.smmu === null) return 'ENODEV'; // no group
    const domain = d.smmu.kernelDomain;
    return this.iommuAttachDevicePasid(domain, d, pasid, { kind: 'kernel', dev: d, domain, handle });
  }

  /** iommu_detach_device_pasid for such an attach. Contract: one sits at (group(dev), pasid). */
  detachDevicePasid(dev: string, pasid: number): void {
    const d = this.device(dev);
    const entry = d.group?.pasidArray.get(pasid);
    if (entry?.kind !== 'kernel') throw new ContractViolation(`detach_pasid ${dev} ${pasid}: no non-SVA attach there`);
    this.iommuDetachDevicePasid(entry.domain, d, pasid);
  }

  /** Process exit (exit_mmap → mmu notifier release; mmdrop once nothing pins the mm). */
  mmExit(mm: string): void {
    const m = this.liveMm(mm, 'mm_exit');
    m.state = 'exited';
    for (const domain of m.iommuMm?.svaDomains.values() ?? []) this.driverMmRelease(domain);
    this.mmdrop(m);
  }

  /** A DMA by `dev` at `pasid`, answered by the emulated hardware alone. */
  dma(dev: string, pasid: number): Result {
    const d = this.device(dev);
    if (d.master === null) return pasid === IOMMU_NO_PASID ? R.kernel : R.fault(); // no IOMMU: no PASIDs
    return d.master.smmu.dma(d.master, pasid);
  }

  // ---- iommu-sva.c: bind ---------------------------------------------------------------------

  /** Variants without iommu_sva_bind_device_pasid keep this default. */
  protected bindDevicePasid(_dev: Device, _mm: MmStruct, _pasid: number): KResult<IommuSva> {
    throw new ContractViolation(`bind_pasid: variant has no iommu_sva_bind_device_pasid`);
  }

  /**
   * iommu_sva_bind_device_internal. The labelled blocks are the kernel's error labels: a
   * `break out_x` runs the undo code after block out_x and everything below it, in reverse
   * order of acquisition, exactly like `goto out_x`.
   */
  protected bindInternal(dev: Device, mm: MmStruct, requested: number): KResult<IommuSva> {
    const group = dev.group;
    if (group === null) return err('ENODEV'); // S1
    const ctx: BindCtx = { dev, group, mm, requested, iommuMm: null, pasid: IOMMU_PASID_INVALID, newGlobal: false };
    let ret: Ret = this.allocMmData(ctx); // iommu_alloc_mm_data: S2/S3, V2-V6, K3
    if (ret !== null) return err(ret); // goto out_unlock
    const iommuMm = ctx.iommuMm as IommuMm;
    out_free_iommu_mm: {
      const existing = group.pasidArray.get(ctx.pasid); // iommu_attach_handle_get(group, pasid, SVA)
      if (existing?.kind === 'sva') {
        if (existing.handle.domain.mm !== mm) { ret = 'EBUSY'; break out_free_iommu_mm; } // S4
        existing.handle.users++; // S4: a bond already exists, take a reference
        return ok(existing.handle);
      }
      if (existing?.kind === 'kernel' && existing.handle) { ret = 'EBUSY'; break out_free_iommu_mm; } // handle of another domain type

      if (this.fallible('handle', 'impl/core.ts:bindInternal')) { ret = 'ENOMEM'; break out_free_iommu_mm; }
      const handle = new IommuSva(dev, ctx.pasid); // kzalloc
      out_free_handle: {
        for (const domain of this.reuseCandidates(iommuMm, dev)) { // S5: search for an existing domain
          if (this.svaAttach(domain, dev, handle) === null) { domain.users++; return this.bindOut(ctx, handle); }
        }
        const domain = this.svaDomainAlloc(dev, mm); // S5: a new domain (SMMUv3: an ASID)
        if (!domain.ok) { ret = domain.errno; break out_free_handle; }
        out_free_domain: {
          ret = this.svaAttach(domain.value, dev, handle);
          if (ret !== null) break out_free_domain;
          domain.value.users = 1;
          iommuMm.svaDomains.add(domain.value); // list_add(&domain->next, ...)
          this.publishMmData(ctx);
          return this.bindOut(ctx, handle);
        }
        this.svaDomainFree(domain.value); // out_free_domain: iommu_domain_free
      }
      // out_free_handle: kfree(handle) — nothing points at it any more
    }
    this.unwindMmData(ctx); // out_free_iommu_mm
    return err(ret as NonNullable<Ret>); // out_unlock
  }

  /** The `out:` label: refcount_set(&handle->users, 1), record the mm's bond in the group. */
  private bindOut(ctx: BindCtx, handle: IommuSva): KResult<IommuSva> {
    handle.users = 1;
    (ctx.iommuMm as IommuMm).bonds.set(ctx.group.index, handle);
    return ok(handle);
  }

  /** iommu_attach_device_pasid(domain, dev, pasid, &handle->handle) for an SVA domain. */
  protected svaAttach(domain: SvaDomain, dev: Device, handle: IommuSva): Ret {
    const point = domain.users === 0 ? 'attach' : domain.smmu === dev.smmu ? 'reuse_attach' : 'foreign_attach';
    const ret = this.iommuAttachDevicePasid(domain.hw, dev, handle.pasid, { kind: 'sva', handle }, point);
    if (ret === null) handle.domain = domain;
    return ret;
  }

  /** A fallible call at `point`: false, unless fail-nth makes this the call that fails. */
  protected fallible(point: FailPoint, site: string): boolean {
    const f = this.faults;
    if (++f.calls !== f.nth) return false;
    f.injected = { site, point };
    return true;
  }

  // ---- hooks the variants (and mutants) override --------------------------------------------

  /**
   * iommu_alloc_mm_data: find or make the mm data and decide the bond's PASID; sets
   * ctx.iommuMm and ctx.pasid, or returns the errno (nothing to undo on failure).
   */
  protected allocMmData(_ctx: BindCtx): Ret {
    throw new Error(`${this.constructor.name}: a variant must override allocMmData`);
  }

  /** iommu_sva_get_pasid(handle). */
  protected svaGetPasid(_handle: IommuSva): number {
    throw new Error(`${this.constructor.name}: a variant must override svaGetPasid`);
  }

  /**
   * Which of the mm's SVA domains the S5 loop tries. The kernel walks every domain of the mm;
   * a domain of another IOMMU instance always fails with EINVAL (the driver's instance check),
   * after the group checks and before any state changes, and the loop swallows that error. So
   * trying only the domains on dev's instance gives the same result as the full walk.
   */
  protected reuseCandidates(iommuMm: IommuMm, dev: Device): Iterable<SvaDomain> {
    return [...iommuMm.svaDomains].filter((d) => d.smmu === dev.smmu).reverse();   // newest first, as the list
  }

  /** Make the mm data visible (smp_store_release(&mm->iommu_mm, ...)) after the first attach. */
  protected publishMmData(ctx: BindCtx): void {
    if (ctx.mm.iommuMm === null) ctx.mm.iommuMm = ctx.iommuMm;
  }

  /** out_free_iommu_mm. Upstream: nothing (the PASID stays published, S6). */
  protected unwindMmData(_ctx: BindCtx): void {}

  /** mm_get_enqcmd_pasid: the mm's PASID if it is global (upstream: always), else INVALID. */
  protected enqcmdPasid(mm: MmStruct): number {
    const iommuMm = mm.iommuMm;
    if (iommuMm === null || !iommuMm.pasidGlobal) return IOMMU_PASID_INVALID;
    return iommuMm.pasid;
  }

  /** mm_pasid_drop: free the mm's PASID to the global allocator if it is global (V9). */
  protected mmPasidDrop(mm: MmStruct): void {
    const iommuMm = mm.iommuMm;
    if (iommuMm === null) return;
    if (iommuMm.pasidGlobal) this.globalPasidIda.free(iommuMm.pasid);
    mm.iommuMm = null; // kfree(iommu_mm)
  }

  /** dev->iommu->max_pasids. */
  protected maxPasids(dev: Device): number {
    return dev.maxPasids;
  }

  // ---- unbind and lifetime ---------------------------------------------------------------------

  /** refcount_dec_and_test(&handle->users). */
  protected handlePut(handle: IommuSva): boolean {
    return --handle.users === 0;
  }

  /** iommu_sva_unbind_device, once the caller contract is checked. */
  protected unbindDevice(handle: IommuSva): void {
    if (!this.handlePut(handle)) return;
    const domain = handle.domain;
    const iommuMm = domain.mm.iommuMm as IommuMm;
    // The kernel detaches at iommu_mm->pasid; while the mm has a bond its PASID cannot change
    // (V3), so that is the handle's PASID — which per-device needs for its local bonds.
    this.iommuDetachDevicePasid(domain.hw, handle.dev, handle.pasid);
    iommuMm.bonds.delete((handle.dev.group as IommuGroup).index);
    if (--domain.users === 0) {
      iommuMm.svaDomains.delete(domain); // list_del(&domain->next)
      this.svaDomainFree(domain);
    }
  }

  /** iommu_sva_domain_alloc: the driver's domain; the domain pins the mm (mmgrab). */
  protected svaDomainAlloc(dev: Device, mm: MmStruct): KResult<SvaDomain> {
    const smmu = dev.smmu as ArmSmmuV3;
    // The driver checks SVA support before it allocates anything (then the domain, the ASID).
    if (smmu.svaSupported && this.fallible('domain', 'impl/core.ts:svaDomainAlloc')) return err('ENOMEM');
    const hw = smmu.domainAllocSva(mm.name);
    if (typeof hw === 'string') return err(hw);
    return ok({ mm, smmu, hw, users: 0 });
  }

  /** iommu_domain_free: the ASID goes back; the domain's mmgrab is dropped (mmdrop). */
  protected svaDomainFree(domain: SvaDomain): void {
    domain.smmu.domainFree(domain.hw);
    this.mmdrop(domain.mm);
  }

  /** The mm is freed once it has exited and no SVA domain pins it (U3). */
  protected mmdrop(mm: MmStruct): void {
    if (mm.state !== 'exited' || (mm.iommuMm?.svaDomains.size ?? 0) > 0) return;
    mm.state = 'gone';
    this.mmPasidDrop(mm);
  }

  // ---- iommu.c: global PASIDs and PASID attach -----------------------------------------------

  /** iommu_alloc_global_pasid (A1): lowest free id in [1, max_pasids-1], or INVALID. */
  protected iommuAllocGlobalPasid(dev: Device): number {
    // dev->iommu->max_pasids is read without a NULL check: the kernel oopses here (C6).
    if (dev.smmu === null) throw new ContractViolation(`alloc_global ${dev.name}: the device sits behind no IOMMU (dev->iommu is NULL)`);
    if (this.maxPasids(dev) === 0) return IOMMU_PASID_INVALID;
    if (this.fallible('global_pasid', 'impl/core.ts:iommuAllocGlobalPasid')) return IOMMU_PASID_INVALID;
    const id = this.globalPasidIda.allocRange(IOMMU_FIRST_GLOBAL_PASID, this.maxPasids(dev) - 1);
    return id ?? IOMMU_PASID_INVALID;
  }

  /** The checks of iommu_attach_device_pasid before the slot is taken (B1), in kernel order. */
  protected attachChecks(group: IommuGroup, pasid: number): Ret {
    if (pasid === IOMMU_NO_PASID) return 'EINVAL';
    if (pasid >= group.minMaxPasids) return 'EINVAL'; // pasid ≥ max_pasids of a group device
    return null;
  }

  /** iommu_attach_device_pasid (B1, B2). */
  protected iommuAttachDevicePasid(domain: ArmSmmuDomain, dev: Device, pasid: number, entry: PasidArrayEntry, point: FailPoint = 'attach'): Ret {
    const group = dev.group;
    if (group === null) return 'ENODEV';
    const ret = this.attachChecks(group, pasid);
    if (ret !== null) return ret;
    if (group.pasidArray.has(pasid)) return 'EBUSY'; // xa_insert: the slot is taken
    if (this.fallible(point, 'impl/core.ts:iommuAttachDevicePasid')) return 'ENOMEM';
    const hw = this.setGroupPasid(domain, group, pasid);
    if (hw !== null) return hw;
    group.pasidArray.set(pasid, entry);
    return null;
  }

  /** __iommu_set_group_pasid: program every device of the group, undoing on failure. */
  private setGroupPasid(domain: ArmSmmuDomain, group: IommuGroup, pasid: number): Ret {
    const done: Device[] = [];
    for (const dev of group.devices) {
      const ret = this.driverSetDevPasid(domain, dev, pasid);
      if (ret !== null) {
        for (const d of done.reverse()) this.driverRemoveDevPasid(domain, d, pasid);
        return ret;
      }
      done.push(dev);
    }
    return null;
  }

  /** iommu_detach_device_pasid (B3): never fails; the slot empties, the hardware blocks it. */
  protected iommuDetachDevicePasid(domain: ArmSmmuDomain, dev: Device, pasid: number): void {
    const group = dev.group as IommuGroup;
    for (const d of group.devices) this.driverRemoveDevPasid(domain, d, pasid);
    group.pasidArray.delete(pasid);
  }

  // ---- the IOMMU driver (ops->set_dev_pasid, remove_dev_pasid, mmu notifier release) ----------

  protected createSmmu(index: number, name: string, asidBits: number, sva: boolean): ArmSmmuV3 {
    return new ArmSmmuV3(index, name, asidBits, sva, this.asidXa);
  }

  protected driverSetDevPasid(domain: ArmSmmuDomain, dev: Device, pasid: number): Ret {
    return (dev.smmu as ArmSmmuV3).setDevPasid(domain, dev.master as ArmSmmuMaster, pasid);
  }

  protected driverRemoveDevPasid(domain: ArmSmmuDomain, dev: Device, pasid: number): void {
    (dev.smmu as ArmSmmuV3).removeDevPasid(domain, dev.master as ArmSmmuMaster, pasid);
  }

  /** arm_smmu_mm_release via the SVA domain's mmu notifier. */
  protected driverMmRelease(domain: SvaDomain): void {
    domain.smmu.mmRelease(domain.hw);
  }
}
