/**
 * What the simulator drives: the kernel entry points a workload calls, on the built-in
 * implementation (impl/, fast) or on the spec (spec/ SpecDriver, any variant), or on both in
 * lockstep for the first operations of a run (every result compared).
 *
 * A process that has left frees its mm once nothing pins it; the next process reuses that
 * mm's slot ("revive"), as the kernel reuses a freed mm_struct. Revival is the one place the
 * simulator reaches past the operations: it checks the old mm is gone (no PASID, no domain,
 * no bond) and puts a fresh, live mm in its place.
 */
import { createImpl, IOMMU_PASID_INVALID, VARIANT_CLASSES, type IommuSva, type IommuSvaCore } from '../impl/index.ts';
import { initialState, SpecDriver, variantByName, type Variant } from '../spec/index.ts';
import { formatOp, formatResult, R, sameResult, type Errno, type Op, type Result, type Setup } from '../vocab/index.ts';

export type Engine = 'impl' | 'spec';

/** A bind's outcome: the PASID and a handle to unbind later, or the errno. */
export type BindOutcome = { readonly ok: true; readonly pasid: number; readonly handle: unknown } | { readonly ok: false; readonly errno: Errno };

export interface Target {
  readonly engine: Engine;
  readonly hasBindPasid: boolean;
  /** Whether the design has other kernel users of global PASIDs (alloc_global); sva-2018 has none. */
  readonly hasAllocGlobal: boolean;
  /** Kernel calls made so far. */
  ops: number;
  bind(dev: number, mm: number): BindOutcome;
  bindPasid(dev: number, mm: number, pasid: number): BindOutcome;
  unbind(handle: unknown): void;
  mmExit(mm: number): void;
  /** Whether the mm is freed (exited, nothing pins it). */
  mmGone(mm: number): boolean;
  /** A new process in the slot of a freed mm. */
  revive(mm: number): void;
  allocGlobal(dev: number): number | null;
  freeGlobal(pasid: number): void;
  attach(dev: number, pasid: number): Errno | null;
  detach(dev: number, pasid: number): void;
}

/** The engine `auto` picks: impl where the variant has an implementation, else the spec. */
export function autoEngine(variant: string): Engine {
  return Object.hasOwn(VARIANT_CLASSES, variant) ? 'impl' : 'spec';
}

export function knownVariant(variant: string): boolean {
  return variantByName(variant) !== undefined;
}

export function createTarget(engine: Engine, setup: Setup, variant: string): Target {
  return engine === 'impl' ? new ImplTarget(setup, variant) : new SpecTarget(setup, variant);
}

class ImplTarget implements Target {
  readonly engine = 'impl' as const;
  readonly hasBindPasid: boolean;
  readonly hasAllocGlobal: boolean;
  ops = 0;
  private readonly k: IommuSvaCore;
  private readonly devs: string[];
  private readonly mms: string[];

  constructor(setup: Setup, variant: string) {
    this.k = createImpl(setup, variant as keyof typeof VARIANT_CLASSES);
    this.devs = setup.devices.map((d) => d.name);
    this.mms = [...setup.mms];
    this.hasBindPasid = variantByName(variant)?.ops.includes('bind_pasid') ?? false;
    this.hasAllocGlobal = true;
  }

  bind(dev: number, mm: number): BindOutcome {
    this.ops++;
    const r = this.k.bind(this.devs[dev], this.mms[mm]);
    return r.ok ? { ok: true, pasid: r.value.pasid, handle: r.value } : r;
  }
  bindPasid(dev: number, mm: number, pasid: number): BindOutcome {
    this.ops++;
    const r = this.k.bindPasid(this.devs[dev], this.mms[mm], pasid);
    return r.ok ? { ok: true, pasid: r.value.pasid, handle: r.value } : r;
  }
  unbind(handle: unknown): void { this.ops++; this.k.unbind(handle as IommuSva); }
  mmExit(mm: number): void { this.ops++; this.k.mmExit(this.mms[mm]); }
  mmGone(mm: number): boolean { return this.k.mms[mm].state === 'gone'; }
  revive(mm: number): void {
    const m = this.k.mms[mm];
    if (m.state !== 'gone' || m.iommuMm !== null) throw new Error(`revive: mm ${m.name} is not freed`);
    m.state = 'live';
  }
  allocGlobal(dev: number): number | null {
    this.ops++;
    const p = this.k.allocGlobalPasid(this.devs[dev]);
    return p === IOMMU_PASID_INVALID ? null : p;
  }
  freeGlobal(pasid: number): void { this.ops++; this.k.freeGlobalPasid(pasid); }
  attach(dev: number, pasid: number): Errno | null { this.ops++; return this.k.attachDevicePasid(this.devs[dev], pasid); }
  detach(dev: number, pasid: number): void { this.ops++; this.k.detachDevicePasid(this.devs[dev], pasid); }
}

/** The spec, driven by name through SpecDriver (which also checks the caller contract). */
class SpecTarget implements Target {
  readonly engine = 'spec' as const;
  readonly hasBindPasid: boolean;
  readonly hasAllocGlobal: boolean;
  ops = 0;
  readonly driver: SpecDriver;
  private readonly devs: string[];
  private readonly mms: string[];
  private handles = 0;

  constructor(setup: Setup, variant: string) {
    const v: Variant | undefined = variantByName(variant);
    if (v === undefined) throw new Error(`unknown variant '${variant}'`);
    this.driver = new SpecDriver(setup, v);
    this.devs = setup.devices.map((d) => d.name);
    this.mms = [...setup.mms];
    this.hasBindPasid = v.ops.includes('bind_pasid');
    this.hasAllocGlobal = v.ops.includes('alloc_global');
  }

  apply(op: Op): Result {
    this.ops++;
    return this.driver.apply(op).result;
  }
  private bound(r: Result, as: string): BindOutcome {
    if (r.kind === 'pasid') return { ok: true, pasid: r.pasid, handle: as };
    if (r.kind === 'errno') return { ok: false, errno: r.errno };
    throw new Error(`bind returned ${formatResult(r)}`);
  }
  bind(dev: number, mm: number): BindOutcome {
    const as = `h${++this.handles}`;
    return this.bound(this.apply({ op: 'bind', dev: this.devs[dev], mm: this.mms[mm], as }), as);
  }
  bindPasid(dev: number, mm: number, pasid: number): BindOutcome {
    const as = `h${++this.handles}`;
    return this.bound(this.apply({ op: 'bind_pasid', dev: this.devs[dev], mm: this.mms[mm], pasid, as }), as);
  }
  /** After exit, a design whose drivers answer the core's mm_exit callback (sva-2018, C7) releases the bond that way. */
  unbind(handle: unknown): void {
    const op = this.driver.breach({ op: 'unbind', handle: handle as string })?.rule === 'C7' ? 'mm_exit_done' : 'unbind';
    this.apply({ op, handle: handle as string });
  }
  mmExit(mm: number): void { this.apply({ op: 'mm_exit', mm: this.mms[mm] }); }
  mmGone(mm: number): boolean { return this.driver.state.mms[mm].status === 'gone'; }
  revive(mm: number): void {
    const st = this.driver.state;
    const old = st.mms[mm];
    if (old.status !== 'gone' || old.data !== null || old.domains.some((u) => u > 0)) throw new Error(`revive: mm ${this.mms[mm]} is not freed`);
    const mms = st.mms.slice();
    mms[mm] = initialState(this.driver.cfg).mms[mm];
    this.driver.state = { ...st, mms };
  }
  allocGlobal(dev: number): number | null {
    const r = this.apply({ op: 'alloc_global', dev: this.devs[dev] });
    return r.kind === 'pasid' ? r.pasid : null;
  }
  freeGlobal(pasid: number): void { this.apply({ op: 'free_global', pasid }); }
  attach(dev: number, pasid: number): Errno | null {
    const r = this.apply({ op: 'attach_pasid', dev: this.devs[dev], pasid });
    return r.kind === 'errno' ? r.errno : null;
  }
  detach(dev: number, pasid: number): void { this.apply({ op: 'detach_pasid', dev: this.devs[dev], pasid }); }
}

/** A difference between the implementation and the spec at one step of a run. */
export class LockstepDifference extends Error {
  constructor(readonly op: string, readonly impl: string, readonly spec: string, readonly index: number) {
    super(`operation ${index} (${op}): impl gives ${impl}, the spec ${spec}`);
  }
}

/**
 * The implementation checked against the spec, step by step, for its first `budget`
 * operations; after that the implementation runs alone at full speed.
 */
export class LockstepTarget implements Target {
  readonly engine = 'impl' as const;
  readonly hasBindPasid: boolean;
  readonly hasAllocGlobal: boolean;
  ops = 0;
  /** Operations compared with the spec so far. */
  checked = 0;
  private spec: SpecTarget | null;
  private readonly devs: string[];
  private readonly mms: string[];

  constructor(setup: Setup, variant: string, private readonly budget: number, private readonly impl: Target = new ImplTarget(setup, variant)) {
    this.spec = budget > 0 ? new SpecTarget(setup, variant) : null;
    this.hasBindPasid = impl.hasBindPasid;
    this.hasAllocGlobal = impl.hasAllocGlobal;
    this.devs = setup.devices.map((d) => d.name);
    this.mms = [...setup.mms];
  }

  private both<T>(op: Op, onImpl: () => T, asResult: (t: T) => Result, onSpec: (s: SpecTarget) => Result): T {
    this.ops++;
    const mine = onImpl();
    if (this.spec === null) return mine;
    const theirs = onSpec(this.spec);
    const r = asResult(mine);
    if (!sameResult(r, theirs)) throw new LockstepDifference(formatOp(op), formatResult(r), formatResult(theirs), this.checked);
    if (++this.checked >= this.budget) this.spec = null;
    return mine;
  }
  private bindResult = (b: BindOutcome): Result => (b.ok ? R.pasid(b.pasid) : R.errno(b.errno));

  bind(dev: number, mm: number): BindOutcome {
    const op: Op = { op: 'bind', dev: this.devs[dev], mm: this.mms[mm] };
    return this.pairBind(op, () => this.impl.bind(dev, mm), (s) => s.bind(dev, mm));
  }
  bindPasid(dev: number, mm: number, pasid: number): BindOutcome {
    const op: Op = { op: 'bind_pasid', dev: this.devs[dev], mm: this.mms[mm], pasid };
    return this.pairBind(op, () => this.impl.bindPasid(dev, mm, pasid), (s) => s.bindPasid(dev, mm, pasid));
  }
  /** Handles are pairs (impl's, spec's) while the spec runs beside. */
  private pairBind(op: Op, onImpl: () => BindOutcome, onSpec: (s: SpecTarget) => BindOutcome): BindOutcome {
    let specHandle: unknown = null;
    const out = this.both(op, onImpl, this.bindResult, (s) => {
      const b = onSpec(s);
      if (b.ok) specHandle = b.handle;
      return this.bindResult(b);
    });
    return out.ok ? { ...out, handle: { impl: out.handle, spec: specHandle } } : out;
  }
  unbind(handle: unknown): void {
    const h = handle as { impl: unknown; spec: unknown };
    this.both({ op: 'unbind', handle: String(h.spec ?? '?') }, () => this.impl.unbind(h.impl), () => R.ok, (s) => {
      if (h.spec === null) throw new Error('unbind: a handle bound after the spec stopped cannot reach the spec');
      s.unbind(h.spec);
      return R.ok;
    });
    // A handle bound while the spec ran, unbound after it stopped, needs only impl's half.
  }
  mmExit(mm: number): void { this.both({ op: 'mm_exit', mm: this.mms[mm] }, () => this.impl.mmExit(mm), () => R.ok, (s) => (s.mmExit(mm), R.ok)); }
  mmGone(mm: number): boolean {
    const gone = this.impl.mmGone(mm);
    if (this.spec !== null && this.spec.mmGone(mm) !== gone) throw new LockstepDifference(`mm ${this.mms[mm]} freed?`, String(gone), String(!gone), this.checked);
    return gone;
  }
  revive(mm: number): void { this.impl.revive(mm); this.spec?.revive(mm); }
  allocGlobal(dev: number): number | null {
    return this.both({ op: 'alloc_global', dev: this.devs[dev] }, () => this.impl.allocGlobal(dev), (p) => (p === null ? R.invalid : R.pasid(p)), (s) => {
      const p = s.allocGlobal(dev);
      return p === null ? R.invalid : R.pasid(p);
    });
  }
  freeGlobal(pasid: number): void { this.both({ op: 'free_global', pasid }, () => this.impl.freeGlobal(pasid), () => R.ok, (s) => (s.freeGlobal(pasid), R.ok)); }
  attach(dev: number, pasid: number): Errno | null {
    const asR = (e: Errno | null): Result => (e === null ? R.ok : R.errno(e));
    return this.both({ op: 'attach_pasid', dev: this.devs[dev], pasid }, () => this.impl.attach(dev, pasid), asR, (s) => asR(s.attach(dev, pasid)));
  }
  detach(dev: number, pasid: number): void { this.both({ op: 'detach_pasid', dev: this.devs[dev], pasid }, () => this.impl.detach(dev, pasid), () => R.ok, (s) => (s.detach(dev, pasid), R.ok)); }
}
