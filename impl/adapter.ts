/**
 * The built-in implementation behind the adapter contract (vocab SvaAdapter, version 1):
 * configure builds a fresh kernel-shaped object, apply maps an Op to its kernel entry point,
 * observe reads the kernel structures and the emulated hardware.
 */
import {
  type DmaProbe, type FailNthCapable, type Leaks, type MmObservation, type Observation, type Op, type Result, type Setup, type SvaAdapter,
  type VariantName, R, RESERVED_NAMES, VARIANTS, sameResult,
} from '../vocab/index.ts';
import { resolveSetup, setupProblem } from '../vocab/setup.ts';
import { ContractViolation, IommuSvaCore } from './core.ts';
import { ArmSmmuV3 } from './smmuv3/index.ts';
import { type IommuSva, type KResult, IOMMU_PASID_INVALID } from './types.ts';
import { type SvaImplClass, VARIANT_CLASSES } from './variants/index.ts';

/** Turns a variant's class into a patched one (a mixin): how mutants are built. */
export type ImplPatch = (base: SvaImplClass) => SvaImplClass;

export interface ImplOptions {
  /** Applied to the variant's class before it is instantiated. */
  readonly patch?: ImplPatch;
}

/** The kernel-shaped implementation of `variant` for `setup`. Throws on an unusable setup. */
export function createImpl(setup: Setup, variant: VariantName, options: ImplOptions = {}): IommuSvaCore {
  const problem = setupProblem(setup, RESERVED_NAMES);
  if (problem !== null) throw new ContractViolation(`bad setup: ${problem}`);
  const base = VARIANT_CLASSES[variant];
  if (base === undefined) throw new ContractViolation(`no implementation of variant '${variant}' (implemented: ${Object.keys(VARIANT_CLASSES).join(', ')})`);
  const Impl = options.patch ? options.patch(base) : base;
  return new Impl(resolveSetup(setup));
}

export interface BuiltinAdapterOptions extends ImplOptions {
  readonly name?: string;
  /** Variants this adapter claims to implement; default every one impl/ implements. */
  readonly variants?: readonly VariantName[];
}

const pasidResult = (p: number): Result => (p === IOMMU_PASID_INVALID ? R.invalid : R.pasid(p));

/**
 * An in-process adapter that can answer an observe with null when its observation would equal
 * `expected` (the spec's), as the lockstep runner compares them (conformance/abstraction.ts
 * sameAsSpec), and with its whole observation otherwise: conformance/lockstep.ts uses it to
 * skip building an observation that matches, the in-process counterpart of the digest
 * capability (PROTOCOL.md §12).
 */
export interface SameObserver {
  observeUnlessSame(probes: readonly DmaProbe[], expected: Observation): Observation | null;
}

export function createBuiltinAdapter(options: BuiltinAdapterOptions = {}): SvaAdapter & FailNthCapable & SameObserver {
  let impl: IommuSvaCore | null = null;
  /** Caller handle names (`as`) → handle objects; aliases may share one handle. */
  let handles = new Map<string, IommuSva>();
  /** Ids alloc_global handed to the caller and not freed since (the caller's side, for teardown). */
  let held = new Set<number>();

  /** What observeUnlessSame last found equal, for observesAs's DMA shortcut; null after a mismatch. */
  let lastMatch: DmaMatched | null = null;

  const the = (): IommuSvaCore => {
    if (impl === null) throw new ContractViolation('apply/observe before configure');
    return impl;
  };
  const handle = (name: string): IommuSva => {
    const h = handles.get(name);
    if (h === undefined) throw new ContractViolation(`unknown handle '${name}'`);
    return h;
  };
  const bound = (r: KResult<IommuSva>, as: string | undefined): Result => {
    if (!r.ok) return R.errno(r.errno);
    if (as !== undefined) handles.set(as, r.value);
    return R.pasid(r.value.pasid);
  };

  const apply = (op: Op): Result => {
      const k = the();
      switch (op.op) {
        case 'bind': return bound(k.bind(op.dev, op.mm), op.as);
        case 'bind_pasid': return bound(k.bindPasid(op.dev, op.mm, op.pasid), op.as);
        case 'unbind': k.unbind(handle(op.handle)); return R.ok;
        case 'get_pasid': return pasidResult(k.getPasid(handle(op.handle)));
        case 'enqcmd_pasid': return pasidResult(k.mmGetEnqcmdPasid(op.mm));
        case 'alloc_global': {
          const pasid = k.allocGlobalPasid(op.dev);
          if (pasid !== IOMMU_PASID_INVALID) held.add(pasid);
          return pasidResult(pasid);
        }
        case 'free_global': k.freeGlobalPasid(op.pasid); held.delete(op.pasid); return R.ok;
        case 'attach_pasid': {
          const ret = k.attachDevicePasid(op.dev, op.pasid, op.handle === true);
          return ret === null ? R.ok : R.errno(ret);
        }
        case 'detach_pasid': k.detachDevicePasid(op.dev, op.pasid); return R.ok;
        case 'mm_exit': k.mmExit(op.mm); return R.ok;
        case 'dma': return k.dma(op.dev, op.pasid);
        default: throw new ContractViolation(`${op.op} is an operation of a design before 2026, which impl/ does not implement`);
      }
  };

  return {
    contractVersion: 1,
    name: options.name ?? 'builtin',
    variants: options.variants ?? VARIANTS.filter((v) => VARIANT_CLASSES[v] !== undefined),
    capabilities: { fail_nth: 1, leaks: 1 },
    configure(setup: Setup, variant: VariantName): void {
      impl = createImpl(setup, variant, options);
      handles = new Map();
      held = new Set();
    },
    apply(op: Op): Result {
      const k = the();
      k.faults.nth = 0;
      return apply(op);
    },
    async applyTracked(op: Op, failNth?: number) {
      const k = the();
      Object.assign(k.faults, { nth: failNth ?? 0, calls: 0, injected: null });
      const result = apply(op);
      const info = { calls: k.faults.calls, injected: k.faults.injected };
      k.faults.nth = 0;
      return { result, info };
    },
    async leaks(): Promise<Leaks> {
      const k = the();
      k.faults.nth = 0;
      return teardownAndCount(k, held);
    },
    observe(probes: readonly DmaProbe[]): Observation {
      return observeImpl(the(), probes);
    },
    observeUnlessSame(probes: readonly DmaProbe[], expected: Observation): Observation | null {
      const k = the();
      const before = lastMatch !== null && lastMatch.k === k && lastMatch.probes === probes && dmaIsTheHardwares(k) ? lastMatch : null;
      if (!observesAs(k, probes, expected, before)) { lastMatch = null; return observeImpl(k, probes); }
      // The counts of the match before are no longer asked for: its list is written over.
      const writes = before?.writes as number[] | undefined ?? new Array<number>(k.devices.length);
      for (const d of k.devices) writes[d.index] = d.master?.ste.cdTable.writes ?? 0;
      lastMatch = { k, probes, dma: expected.dma, writes };
      return null;
    },
  };
}

/**
 * The `leaks` capability: tear down as a correct caller would (unbind every handle reference,
 * detach every attach, free what alloc_global handed out, exit every live mm), then count what
 * the implementation still holds.
 */
function teardownAndCount(k: IommuSvaCore, held: Set<number>): Leaks {
  for (const group of k.groups) {
    for (const [pasid, entry] of [...group.pasidArray]) {
      if (entry.kind === 'sva') while (entry.handle.users > 0) k.unbind(entry.handle);
      else k.detachDevicePasid(entry.dev.name, pasid);
    }
  }
  for (const id of held) k.freeGlobalPasid(id);
  held.clear();
  for (const mm of k.mms) if (mm.state === 'live') k.mmExit(mm.name);
  const list: string[] = [];
  const domains = k.mms.flatMap((mm) => [...(mm.iommuMm?.svaDomains ?? [])].map((d) => `${mm.name}: an SVA domain behind ${d.smmu.name} (users ${d.users})`));
  list.push(...domains);
  const cds = k.devices.flatMap((d) => (d.master?.ste.cdTable.validSsids() ?? []).filter((ssid) => ssid !== 0).map((ssid) => `${d.name}: CD ${ssid} still valid`));
  list.push(...cds);
  const pasids = k.globalPasidIda.heldIds();
  const asids = k.smmus[0]?.asids.heldIds().filter((a) => a !== 0) ?? [];
  const mms = k.mms.filter((mm) => mm.state !== 'gone').map((mm) => mm.name);
  if (pasids.length > 0) list.push(`global PASIDs still held: ${pasids.join(', ')}`);
  if (asids.length > 0) list.push(`ASIDs still held: ${asids.join(', ')}`);
  if (mms.length > 0) list.push(`mms not gone: ${mms.join(', ')}`);
  return { counts: { objects: domains.length, pasids: pasids.length, asids: asids.length, cd_entries: cds.length, mm_refs: mms.length }, list };
}

/** What the kernel structures and the emulated hardware show. O(slots + mms + PASID space/32). */
export function observeImpl(k: IommuSvaCore, probes: readonly DmaProbe[]): Observation {
  const bonds: { dev: string; pasid: number; mm: string; users: number }[] = [];
  const attaches: { dev: string; pasid: number }[] = [];
  for (const group of k.groups) {
    for (const [pasid, entry] of group.pasidArray) {
      if (entry.kind === 'sva') {
        const h = entry.handle;
        bonds.push({ dev: h.dev.name, pasid, mm: h.domain.mm.name, users: h.users });
      } else {
        attaches.push({ dev: entry.dev.name, pasid });
      }
    }
  }
  const mms: MmObservation[] = k.mms.map((mm) => {
    const d = mm.iommuMm;
    const has = d !== null && d.pasid !== IOMMU_PASID_INVALID; // per-device: no global PASID yet
    return {
      mm: mm.name,
      state: mm.state,
      pasid: has ? d.pasid : null,
      global: has ? d.pasidGlobal : null,
      domains: d === null ? [] : [...d.svaDomains.values()].map((s) => ({ iommu: s.smmu.name, users: s.users })),
    };
  });
  const dma = probes.map((p) => ({ dev: p.dev, pasid: p.pasid, result: k.dma(p.dev, p.pasid) }));
  return { bonds, attaches, mms, globalPasids: k.globalPasidIda.heldIds(), dma };
}

/**
 * A match observesAs found: the implementation, the probes, the expected DMA answers, and
 * each device's CD table writes (CdTable.writes, by device index) at the time.
 */
export interface DmaMatched {
  readonly k: IommuSvaCore;
  readonly probes: readonly DmaProbe[];
  readonly dma: Observation['dma'];
  readonly writes: readonly number[];
}

/**
 * Whether k's DMAs are answered by the base classes' walk alone (IommuSvaCore.dma asking
 * ArmSmmuV3.dma, which reads only STEs and CD tables): what observeUnlessSame's shortcut
 * relies on. A patch (a mutant) overriding either keeps asking every DMA.
 */
const dmaIsTheHardwares = (k: IommuSvaCore): boolean =>
  k.dma === IommuSvaCore.prototype.dma && k.smmus.every((s) => s.dma === ArmSmmuV3.prototype.dma);

/**
 * Whether observeImpl(k, probes) equals `expected` item by item, fault kinds aside (vocab
 * sameResult): DMA answers in probe order, mms and global PASIDs in order, bonds, attaches and
 * an mm's domains in any order (up to 31 items; longer lists answer false). Built without the
 * observation; false only means "not shown equal here" (the caller then observes in full).
 */
export function observesAs(k: IommuSvaCore, probes: readonly DmaProbe[], expected: Observation, before: DmaMatched | null = null): boolean {
  // The DMA answers first: most of the work, and where a broken implementation shows most
  // often. With `before` (an earlier match by k's own hardware walk, at the same probes), a
  // DMA whose expected answer is the very object matched then, through a CD table written
  // since by nobody (CdTable.writes), answers as it did then: it is not asked again.
  if (expected.dma.length !== probes.length) return false;
  let dev = '', unwritten = false;                                      // probes come device by device
  for (let i = 0; i < probes.length; i++) {
    const p = probes[i], e = expected.dma[i];
    if (e.dev !== p.dev || e.pasid !== p.pasid) return false;
    if (before !== null && before.dma[i] === e) {
      if (p.dev !== dev) { const d = k.device(dev = p.dev); unwritten = (d.master?.ste.cdTable.writes ?? 0) === before.writes[d.index]; }
      if (unwritten) continue;
    }
    if (!sameResult(k.dma(p.dev, p.pasid), e.result)) return false;
  }
  const { bonds, attaches } = expected;
  if (bonds.length > 31 || attaches.length > 31) return false;
  let bondsSeen = 0, bondsTaken = 0, attachesSeen = 0, attachesTaken = 0;       // bit i: expected item i matched
  for (const group of k.groups) {
    if (group.pasidArray.size === 0) continue;                            // most groups hold nothing: no iterator
    for (const [pasid, entry] of group.pasidArray) {
      if (entry.kind === 'sva') {
        const h = entry.handle, dev = h.dev.name, mm = h.domain.mm.name;
        let i = 0;
        while (i < bonds.length && ((bondsTaken >>> i) & 1 || bonds[i].dev !== dev || bonds[i].pasid !== pasid || bonds[i].mm !== mm || bonds[i].users !== h.users)) i++;
        if (i === bonds.length) return false;
        bondsTaken |= 1 << i;
        bondsSeen++;
      } else {
        const dev = entry.dev.name;
        let i = 0;
        while (i < attaches.length && ((attachesTaken >>> i) & 1 || attaches[i].dev !== dev || attaches[i].pasid !== pasid)) i++;
        if (i === attaches.length) return false;
        attachesTaken |= 1 << i;
        attachesSeen++;
      }
    }
  }
  if (bondsSeen !== bonds.length || attachesSeen !== attaches.length) return false;
  if (expected.mms.length !== k.mms.length) return false;
  for (let i = 0; i < k.mms.length; i++) {
    const mm = k.mms[i], e = expected.mms[i], d = mm.iommuMm;
    const has = d !== null && d.pasid !== IOMMU_PASID_INVALID;
    if (e.mm !== mm.name || e.state !== mm.state || e.pasid !== (has ? d.pasid : null) || e.global !== (has ? d.pasidGlobal : null)) return false;
    const domains = d === null ? 0 : d.svaDomains.size;
    if (e.domains.length !== domains || domains > 31) return false;
    if (domains === 0) continue;
    let taken = 0;
    for (const s of d!.svaDomains.values()) {
      let j = 0;
      while (j < e.domains.length && ((taken >>> j) & 1 || e.domains[j].iommu !== s.smmu.name || e.domains[j].users !== s.users)) j++;
      if (j === e.domains.length) return false;
      taken |= 1 << j;
    }
  }
  // heldIds() without its list: as many ids held, each expected one held, in ascending order.
  const ida = k.globalPasidIda, ids = expected.globalPasids;
  if (ida.count !== ids.length) return false;
  for (let i = 0; i < ids.length; i++) if ((i > 0 && !(ids[i] > ids[i - 1])) || !ida.has(ids[i])) return false;
  return true;
}
