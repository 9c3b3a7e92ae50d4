/**
 * The spec driven by name, as a caller drives the kernel: devices, mms and handles named by
 * strings. It keeps the caller's side of the contract — which handle each name denotes, and
 * whether that handle was released — and rejects calls that break it.
 */
import { formatOp, RESERVED_NAMES, type DmaProbe, type FailPoint, type Observation, type Op, type Result, type Setup } from '../vocab/index.ts';
import { resolveSetup, setupProblem } from '../vocab/setup.ts';
import { contractBreach, type ContractBreach } from './contract.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { dmaOps, observeSpec, type EarlierObservation } from './observe.ts';
import { ObjectWorld } from './objectWorld.ts';
import { act } from './ops.ts';
import { initialState, slotAt, type Config, type State } from './state.ts';
import { groupOfDev } from './world.ts';
import type { SpecOp, Variant } from './step.ts';

export class ContractError extends Error {
  constructor(readonly breach: ContractBreach, readonly op: Op) {
    super(`${formatOp(op)}: ${breach.reason} (caller contract ${breach.rule})`);
  }
}

export interface Applied {
  readonly result: Result;
  readonly rule: string;
  readonly effects: readonly string[];
}

interface NamedHandle { readonly group: number; readonly pasid: number; readonly serial: number }

export class SpecDriver {
  readonly cfg: Config;
  state: State;
  private readonly names = new Map<string, NamedHandle>();
  /**
   * Per group, PASID → serial of the live handle in that slot; a new handle gets a new serial.
   * A map per group keeps the keys small integers (one number for group and PASID did not
   * fit one and was boxed on every lookup).
   */
  private readonly live: Map<number, number>[];
  private serials = 0;
  /** Devices and mms by name (a setup may name 100 K processes: no search per call). */
  private readonly devIndex = new Map<string, number>();
  private readonly mmIndex = new Map<string, number>();
  /** The one world every step and contract check runs on, restarted each time (steps run one at a time). */
  private readonly world: ObjectWorld;

  constructor(setup: Setup, readonly variant: Variant) {
    const problem = setupProblem(setup, RESERVED_NAMES);
    if (problem) throw new Error(problem);
    this.cfg = resolveSetup(setup);
    this.state = initialState(this.cfg);
    this.world = new ObjectWorld(this.cfg, this.state);
    this.live = this.cfg.groups.map(() => new Map());
    this.cfg.devices.forEach((d, i) => this.devIndex.set(d.name, i));     // names are distinct (setupProblem)
    this.cfg.mms.forEach((m, i) => this.mmIndex.set(m, i));
  }

  /** Why op breaks the caller contract now, or null. */
  breach(op: Op): ContractBreach | null {
    const lowered = this.lower(op);
    return lowered === null ? this.refusal : contractBreach(this.variant, this.world.start(this.cfg, this.state), lowered);
  }

  /**
   * Apply op; throws ContractError if it breaks the caller contract. With `fault`, that one
   * allocation of the operation fails (fail-nth): the step says what the failure leaves.
   */
  apply(op: Op, fault?: FailPoint): Applied {
    const lowered = this.lower(op);
    if (lowered === null) throw new ContractError(this.refusal!, op);
    const w = this.world.start(this.cfg, this.state);
    const bad = contractBreach(this.variant, w, lowered);
    if (bad) throw new ContractError(bad, op);
    if (fault !== undefined) w.cfg = { ...this.cfg, fault };             // the contract only read: the world is as started
    act(this.variant, w, lowered);                                       // what step() does, on the driver's world
    this.track(op, lowered, w);
    this.state = w.st;
    return { result: w.result, rule: w.rule, effects: w.effects ?? NO_EFFECTS };
  }

  /**
   * The spec's observation of the current state (observeSpec), on the driver's world (steps
   * are not running while it observes), the probes' DMAs lowered once per probe list asked.
   */
  observe(probes?: readonly DmaProbe[], previous?: EarlierObservation): Observation {
    if (probes === undefined) return observeSpec(this.variant, this.cfg, this.state);
    if (this.probeOps?.probes !== probes) this.probeOps = { probes, ops: dmaOps(this.cfg, probes) };
    return observeSpec(this.variant, this.cfg, this.state, probes, previous, { world: this.world, ops: this.probeOps.ops });
  }
  /** The last probe list observe() was asked, and its DMAs lowered. */
  private probeOps: { readonly probes: readonly DmaProbe[]; readonly ops: readonly SpecOp[] } | null = null;

  invariants(): Violation[] {
    return checkInvariants({ cfg: this.cfg, variant: this.variant, obs: this.observe(), kernelHeld: this.state.kernelHeld });
  }

  /** Whether the name denotes a handle that is still bound. */
  isLive(name: string): boolean {
    const h = this.names.get(name);
    return h !== undefined && this.bound(h);
  }
  private bound(h: NamedHandle): boolean { return this.live[h.group].get(h.pasid) === h.serial; }

  /**
   * Follow the handles a step made or released: after an unbind, whether its slot still holds
   * the bond; after a bind, the SVA bonds of the mm in the device's group that the step wrote
   * (w.wrote: a slot the step did not write holds what it held before), ascending by PASID.
   */
  private track(op: Op, lowered: SpecOp, w: ObjectWorld): void {
    const after = w.st;
    if (lowered.op === 'unbind' || lowered.op === 'mm_exit_done') {
      if (slotAt(after, lowered.group, lowered.pasid)?.kind !== 'sva') this.live[lowered.group].delete(lowered.pasid);
      return;
    }
    if ((op.op !== 'bind' && op.op !== 'bind_pasid' && op.op !== 'bind_private') || (lowered.op !== 'bind' && lowered.op !== 'bind_pasid' && lowered.op !== 'bind_private')) return;
    const group = groupOfDev(this.cfg, lowered.dev);
    if (group === null || after.slots[group] === this.state.slots[group]) return;   // no slot of the group written
    const wrote = w.wrote, n = w.wroteLength;
    if (n === 2 && wrote[0] === group) return this.follow(op, lowered.mm, group, wrote[1], after);   // the usual bind: one slot
    const written: number[] = [];
    for (let i = 0; i < n; i += 2) if (wrote[i] === group && !written.includes(wrote[i + 1])) written.push(wrote[i + 1]);
    written.sort((a, b) => a - b);
    for (const pasid of written) this.follow(op, lowered.mm, group, pasid, after);
  }

  /** A slot a bind of mm wrote in group: if it now holds a bond of mm, the handle there (made or taken again). */
  private follow(op: Op & { as?: string }, mm: number, group: number, pasid: number, after: State): void {
    const slot = slotAt(after, group, pasid);
    if (slot === undefined || slot.kind !== 'sva' || slot.mm !== mm) return;
    const before = slotAt(this.state, group, pasid);
    if (before === slot) return;                                         // written back as it was
    const live = this.live[group];
    let serial = live.get(pasid);
    if (before === undefined || serial === undefined) live.set(pasid, serial = ++this.serials);
    if (op.as !== undefined) this.names.set(op.as, { group, pasid, serial });
  }

  /** Why the op lowered last breaks the contract, when `lower` returned null. */
  private refusal: ContractBreach | null = null;
  private refuse(breach: ContractBreach): null { this.refusal = breach; return null; }

  /**
   * op at the spec's level, or null when a name in it breaks the contract (this.refusal says
   * how): a null, not the breach itself, so that the caller tells the two apart without
   * asking which kind of object it got.
   */
  private lower(op: Op): SpecOp | null {
    const cfg = this.cfg;
    switch (op.op) {
      case 'bind': case 'bind_pasid': case 'bind_private': {
        const d = this.deviceIndex(op.dev), m = this.mmIndex.get(op.mm) ?? -1;
        if (d < 0) return this.refuse(unknownDev(op.dev));
        if (m < 0) return this.refuse(unknownMm(op.mm));
        const named = op.as === undefined ? undefined : this.names.get(op.as);
        if (named !== undefined && this.bound(named) && (op.op === 'bind_private' || !this.aliases(named, d, m)))
          return this.refuse({ rule: 'C1', reason: `handle name '${op.as}' still names a bound handle` });
        return op.op === 'bind_pasid' ? { op: 'bind_pasid', dev: d, mm: m, pasid: op.pasid } : { op: op.op, dev: d, mm: m };
      }
      case 'unbind': case 'get_pasid': case 'mm_exit_done': {
        const h = this.names.get(op.handle);
        if (h === undefined) return this.refuse({ rule: 'C1', reason: `unknown handle '${op.handle}'` });
        if (!this.bound(h)) return this.refuse({ rule: 'C1', reason: `handle '${op.handle}' was released by its last unbind` });
        return { op: op.op, group: h.group, pasid: h.pasid };
      }
      case 'enqcmd_pasid': case 'mm_exit': {
        const m = this.mmIndex.get(op.mm) ?? -1;
        return m < 0 ? this.refuse(unknownMm(op.mm)) : { op: op.op, mm: m };
      }
      case 'alloc_global': {
        const d = this.deviceIndex(op.dev);
        return d < 0 ? this.refuse(unknownDev(op.dev)) : { op: 'alloc_global', dev: d };
      }
      case 'free_global': return { op: 'free_global', pasid: op.pasid };
      case 'attach_pasid': {
        const d = this.deviceIndex(op.dev);
        return d < 0 ? this.refuse(unknownDev(op.dev)) : { op: 'attach_pasid', dev: d, pasid: op.pasid, handle: op.handle === true };
      }
      case 'detach_pasid': case 'dma': {
        const d = this.deviceIndex(op.dev);
        return d < 0 ? this.refuse(unknownDev(op.dev)) : { op: op.op, dev: d, pasid: op.pasid };
      }
      case 'ioasid_alloc': case 'ioasid_free_set': case 'ioasid_adjust_set': {
        const s = cfg.ioasid.sets.findIndex((x) => x.name === op.set);
        if (s < 0) return this.refuse(breach(`unknown IOASID set '${op.set}'`));
        if (op.op === 'ioasid_free_set') return { op: op.op, set: s };
        if (op.op === 'ioasid_adjust_set') return { op: op.op, set: s, quota: op.quota };
        const d = this.deviceIndex(op.dev);
        return d < 0 ? this.refuse(unknownDev(op.dev)) : { op: op.op, set: s, dev: d };
      }
    }
  }

  private deviceIndex(name: string): number { return this.devIndex.get(name) ?? -1; }

  /** Whether a bind of (dev, mm) would name the same handle that h, a name's, already names. */
  private aliases(h: NamedHandle, dev: number, mm: number): boolean {
    const slot = slotAt(this.state, h.group, h.pasid);
    return slot?.kind === 'sva' && slot.mm === mm && groupOfDev(this.cfg, dev) === h.group;
  }
}

const breach = (reason: string): ContractBreach => ({ rule: 'C5', reason });
const unknownDev = (name: string) => breach(`unknown device '${name}'`);
const unknownMm = (name: string) => breach(`unknown mm '${name}'`);
/** No further rules: one list for every step that has none (Applied is read-only). */
const NO_EFFECTS: readonly string[] = Object.freeze([]);
