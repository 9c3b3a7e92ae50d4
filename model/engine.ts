/**
 * Transition engines: what the explorer calls to expand a state. Both run spec/ itself — the
 * caller contract (contractRule) and each variant's actions (act) — and differ only in the
 * backend of the state interface (spec/world.ts) they run it on. Both work on the flat states
 * of space.ts — the tuple being expanded in `before`, the successor in `after` — and fill one
 * Outcome per variant.
 * - FlatEngine: the flat backend (flatWorld.ts), in place. What the model checker runs.
 * - ObjectEngine: the object backend (spec/objectWorld.ts), each state decoded into spec
 *   State objects and the successor encoded back: the reference the flat backend is held to.
 * - VerifyingEngine runs both and throws DivergenceError at the first transition where they
 *   differ (enabledness, result, rules, successor): `svacheck check --engine verify`, and the
 *   test that holds the two backends to each other on every reachable state.
 */
import { ObjectWorld, actionOf, contractRule, staticContractRule, variantContractOf, step, type SpecOp, type State, type Variant } from '../spec/index.ts';
import { FlatWorld } from './flatWorld.ts';
import { Outcome } from './outcome.ts';
import { Packer, beyondBoundsFlat, fromFlat, toFlat, type Space } from './space.ts';

export interface Engine {
  readonly name: string;
  /** The tuple being expanded (arity flat states side by side). */
  readonly before: Int32Array;
  /** The successor tuple of the last fire that changed something. */
  readonly after: Int32Array;
  /** Per variant: the outcome of the last fire. */
  readonly out: readonly Outcome[];
  /** Load the stored tuple at words[base ..) as the state to expand. */
  load(words: Uint32Array, base: number): void;
  /** Template t: false if some variant's caller may not issue it here; otherwise outcomes and successor. */
  fire(t: number): boolean;
  /** Whether the last fire changed some state of the tuple. */
  changed(): boolean;
  /** After a fire that changed something: complete `after` with the states that did not change. */
  settle(): void;
  /** Whether the successor (after settle) lies beyond the bounds. */
  cut(): boolean;
  /**
   * Pack the successor from its parent's words `prev` into out, repacking only what the
   * transition wrote; false when this engine cannot (then the caller packs it whole).
   */
  repack?(packer: Packer, prev: Uint32Array, out: Uint32Array): boolean;
}

export const ENGINES = ['auto', 'flat', 'object', 'verify'] as const;
export type EngineChoice = (typeof ENGINES)[number];
/** An engine built by its caller (the benchmarks' baselines). */
export type EngineFactory = (space: Space, variants: readonly Variant[]) => Engine;

export class DivergenceError extends Error {}

/** The engine for a choice (auto: flat). */
export function makeEngine(space: Space, variants: readonly Variant[], choice: EngineChoice | EngineFactory = 'auto'): Engine {
  if (typeof choice === 'function') return choice(space, variants);
  if (choice === 'object') return new ObjectEngine(space, variants);
  return choice === 'verify' ? new VerifyingEngine(space, variants) : new FlatEngine(space, variants);
}

/** Whether a caller may issue op in the state r reads, within the bounds (alloc_global holders). */
function offered(space: Space, v: Variant, r: FlatWorld | ObjectWorld, op: SpecOp): boolean {
  if (op.op === 'alloc_global' && r.heldCount() >= space.bounds.allocGlobalHolders) return false;
  return contractRule(v, r, op) === null;
}

export abstract class Base {
  readonly before: Int32Array;
  readonly after: Int32Array;
  readonly out: Outcome[];
  private readonly packer: Packer;
  constructor(readonly space: Space, readonly variants: readonly Variant[]) {
    this.before = new Int32Array(space.arity * space.layout.n);
    this.after = new Int32Array(space.arity * space.layout.n);
    this.out = variants.map(() => new Outcome());
    this.packer = new Packer(space);
  }
  load(words: Uint32Array, base: number): void { this.packer.unpack(words, base, this.before); }
  changed(): boolean {
    for (let k = 0; k < this.out.length; k++) if (this.out[k].changed) return true;
    return false;
  }
  settle(): void {
    const n = this.space.layout.n;
    for (let k = 0; k < this.out.length; k++) if (!this.out[k].changed) this.after.set(this.before.subarray(k * n, (k + 1) * n), k * n);
  }
  cut(): boolean {
    const n = this.space.layout.n;
    for (let k = 0; k < this.out.length; k++) if (beyondBoundsFlat(this.space.layout, this.after, k * n)) return true;
    return false;
  }
}

export class FlatEngine extends Base implements Engine {
  readonly name = 'flat';
  private readonly worlds: FlatWorld[];
  /** Per template: whether every variant's contract allows it in some state (C5 needs no state). */
  private readonly possible: Uint8Array;
  private readonly holders: number;
  private readonly alloc: Uint8Array;
  /** Per variant and template: its action, dispatched once. */
  private readonly actions: readonly (readonly ((w: FlatWorld) => void)[])[];
  /** Per template: the state-dependent part of the caller contract, dispatched once. */
  private readonly contracts: readonly (readonly ((w: FlatWorld) => string | null)[])[];
  /** The one variant's world, contracts and actions when there is one (check), else null. */
  private readonly single: FlatWorld | null;
  private readonly contract0: readonly ((w: FlatWorld) => string | null)[];
  private readonly action0: readonly ((w: FlatWorld) => void)[];
  constructor(space: Space, variants: readonly Variant[]) {
    super(space, variants);
    this.worlds = variants.map(() => new FlatWorld(space));
    this.possible = Uint8Array.from(space.templates, (op) => (variants.every((v) => staticContractRule(v, op) === null) ? 1 : 0));
    this.holders = space.bounds.allocGlobalHolders;
    this.alloc = Uint8Array.from(space.templates, (op) => (op.op === 'alloc_global' ? 1 : 0));
    this.actions = variants.map((v) => space.templates.map((op) => actionOf(v, op)));
    this.contracts = variants.map((v) => space.templates.map((op) => variantContractOf(v, op)));
    this.single = variants.length === 1 ? this.worlds[0] : null;
    this.contract0 = this.contracts[0];
    this.action0 = this.actions[0];
  }
  /** The state to expand, and its copy where each transition builds its successor in place. */
  override load(words: Uint32Array, base: number): void {
    super.load(words, base);
    this.after.set(this.before);
    const n = this.space.layout.n;
    for (let k = 0; k < this.worlds.length; k++) this.worlds[k].attach(this.before, this.after, k * n);
  }
  /** The successors of the variants whose transition changed nothing are their states already. */
  override settle(): void {}
  private readonly written: (Int32Array | null)[] = [];
  private readonly counts: number[] = [];
  repack(packer: Packer, prev: Uint32Array, out: Uint32Array): boolean {
    if (this.single !== null) {
      this.counts[0] = this.single.writes();
      this.written[0] = this.single.written();
      return packer.repack(prev, this.after, this.written, this.counts, out);
    }
    for (let k = 0; k < this.worlds.length; k++) {
      const w = this.worlds[k];
      this.counts[k] = this.out[k].changed ? w.writes() : 0;
      this.written[k] = w.written();
    }
    return packer.repack(prev, this.after, this.written, this.counts, out);
  }
  override changed(): boolean { return this.single !== null ? this.out[0].changed : super.changed(); }
  /** Whether a successor lies beyond the bounds: asked of the words its transition wrote. */
  override cut(): boolean {
    if (this.single !== null) return this.single.beyond();
    for (let k = 0; k < this.worlds.length; k++) if (this.out[k].changed && this.worlds[k].beyond()) return true;
    return false;
  }
  fire(t: number): boolean {
    if (this.possible[t] === 0) return false;
    if (this.single !== null) {                                          // one variant (check): no loops over the tuple
      const w = this.single, o = this.out[0];
      w.begin(o, t);
      if (this.contract0[t](w) !== null) return false;
      if (this.alloc[t] === 1 && w.heldCount() >= this.holders) return false;
      this.action0[t](w);
      o.changed = w.changed();
      return true;
    }
    const V = this.variants, W = this.worlds, alloc = this.alloc[t] === 1;
    for (let k = 0; k < V.length; k++) {
      const w = W[k];
      w.begin(this.out[k], t);
      if (this.contracts[k][t](w) !== null) return false;
      if (alloc && w.heldCount() >= this.holders) return false;          // the bound on holders
    }
    for (let k = 0; k < V.length; k++) {
      const w = W[k];
      this.actions[k][t](w);
      this.out[k].changed = w.changed();
    }
    return true;
  }
}

export class ObjectEngine extends Base implements Engine {
  readonly name = 'object';
  private states: State[] = [];
  /** The spec states of the loaded tuple (decoded once per load). */
  get specStates(): readonly State[] { return this.states; }
  override load(words: Uint32Array, base: number): void {
    super.load(words, base);
    this.states = this.variants.map((_, k) => fromFlat(this.space, this.before, k * this.space.layout.n));
  }
  fire(t: number): boolean {
    const op = this.space.templates[t], n = this.space.layout.n, cfg = this.space.cfg;
    for (let k = 0; k < this.variants.length; k++) if (!offered(this.space, this.variants[k], new ObjectWorld(cfg, this.states[k]), op)) return false;
    for (let k = 0; k < this.variants.length; k++) {
      const s = step(this.variants[k], cfg, this.states[k], op), o = this.out[k];
      o.fromStep(s.result, s.rule, s.effects, cfg.mms);
      if (s.state === this.states[k]) { o.changed = false; continue; }
      toFlat(this.space, s.state, this.after, k * n);
      o.changed = false;
      for (let i = k * n; i < (k + 1) * n; i++) if (this.after[i] !== this.before[i]) { o.changed = true; break; }
    }
    return true;
  }
}

/** Both backends in lockstep; the flat one's outcomes and successor are what it reports. */
export class VerifyingEngine implements Engine {
  readonly name = 'verify';
  private readonly ref: ObjectEngine;
  private readonly fast: FlatEngine;
  constructor(readonly space: Space, variants: readonly Variant[]) {
    this.ref = new ObjectEngine(space, variants);
    this.fast = new FlatEngine(space, variants);
  }
  get before(): Int32Array { return this.fast.before; }
  get after(): Int32Array { return this.fast.after; }
  get out(): readonly Outcome[] { return this.fast.out; }
  load(words: Uint32Array, base: number): void { this.ref.load(words, base); this.fast.load(words, base); }
  changed(): boolean { return this.fast.changed(); }
  settle(): void { this.ref.settle(); this.fast.settle(); }
  cut(): boolean { return this.fast.cut(); }
  fire(t: number): boolean {
    const a = this.ref.fire(t), b = this.fast.fire(t);
    const where = (): string => `${JSON.stringify(this.space.templates[t])} in ${JSON.stringify(this.ref.specStates.map(plain))}`;
    if (a !== b) throw new DivergenceError(`enabledness differs (object ${a}, flat ${b}) for ${where()}`);
    if (!a) return false;
    const mms = this.space.cfg.mms;
    this.ref.out.forEach((s, k) => {
      const f = this.fast.out[k];
      const sr = JSON.stringify(s.result(mms)), fr = JSON.stringify(f.result(mms));
      if (sr !== fr) throw new DivergenceError(`result differs (object ${sr}, flat ${fr}) for ${where()}`);
      if (s.rules().join(' ') !== f.rules().join(' ')) throw new DivergenceError(`rules differ (object ${s.rules().join(' ')}, flat ${f.rules().join(' ')}) for ${where()}`);
      if (s.changed !== f.changed) throw new DivergenceError(`state change differs (object ${s.changed}, flat ${f.changed}) for ${where()}`);
    });
    if (this.ref.changed()) {
      this.ref.settle();
      this.fast.settle();
      const x = this.ref.after, y = this.fast.after;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) throw new DivergenceError(`successor differs at flat index ${i} for ${where()}`);
    }
    return true;
  }
}

const plain = (st: State) => ({ ...st, slots: st.slots.map((g) => Object.fromEntries(g)) });
