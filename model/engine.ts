/**
 * Transition engines: what the explorer calls to expand a state. Both work on the flat states
 * of space.ts — the tuple being expanded in `before`, the successor in `after` — and fill one
 * Outcome per variant.
 * - SpecEngine runs spec/ itself (`step`, `contractBreach`): any Variant object, planted bugs
 *   included. It is the reference.
 * - CompiledEngine runs compiled.ts, the built-in variants rewritten over flat states.
 * - VerifyingEngine runs both and throws DivergenceError at the first transition where they
 *   differ (enabledness, result, rules, successor): `svacheck check --verify`, and the test
 *   that keeps the compiled engine honest.
 */
import { VARIANT_BY_NAME, step, type State, type Variant } from '../spec/index.ts';
import { Compiled } from './compiled.ts';
import { Outcome } from './outcome.ts';
import { Packer, beyondBoundsFlat, enabled, fromFlat, toFlat, type Space } from './space.ts';

export interface Engine {
  readonly name: 'spec' | 'compiled' | 'verify';
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
}

export type EngineChoice = 'auto' | 'spec' | 'compiled' | 'verify';

export class DivergenceError extends Error {}

/** Whether every variant has a compiled transition function (the built-in objects). */
export const compilable = (variants: readonly Variant[]): boolean =>
  variants.every((v) => (VARIANT_BY_NAME as Record<string, Variant>)[v.name] === v);

/** The engine for a choice; verify on variants without a compiled function runs the spec alone. */
export function makeEngine(space: Space, variants: readonly Variant[], choice: EngineChoice = 'auto'): Engine {
  if (choice === 'compiled' && !compilable(variants)) throw new Error(`no compiled transition function for ${variants.map((v) => v.name).join(', ')}: use the spec engine`);
  if (choice === 'spec' || !compilable(variants)) return new SpecEngine(space, variants);
  return choice === 'verify' ? new VerifyingEngine(space, variants) : new CompiledEngine(space, variants);
}

abstract class Base {
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

export class CompiledEngine extends Base implements Engine {
  readonly name = 'compiled';
  private readonly compiled: Compiled[];
  constructor(space: Space, variants: readonly Variant[]) {
    super(space, variants);
    this.compiled = variants.map((v) => new Compiled(space, v));
  }
  fire(t: number): boolean {
    const n = this.space.layout.n, c = this.compiled;
    for (let k = 0; k < c.length; k++) if (!c[k].enabled(this.before, k * n, t)) return false;
    for (let k = 0; k < c.length; k++) c[k].step(this.before, k * n, this.after, k * n, t, this.out[k]);
    return true;
  }
}

export class SpecEngine extends Base implements Engine {
  readonly name = 'spec';
  private states: State[] = [];
  /** The spec states of the loaded tuple (decoded once per load). */
  get specStates(): readonly State[] { return this.states; }
  override load(words: Uint32Array, base: number): void {
    super.load(words, base);
    this.states = this.variants.map((_, k) => fromFlat(this.space, this.before, k * this.space.layout.n));
  }
  fire(t: number): boolean {
    const op = this.space.templates[t], n = this.space.layout.n, cfg = this.space.cfg;
    for (let k = 0; k < this.variants.length; k++) if (!enabled(this.space, this.variants[k], this.states[k], op)) return false;
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

/** Both engines in lockstep; the compiled one's outcomes and successor are what it reports. */
export class VerifyingEngine implements Engine {
  readonly name = 'verify';
  private readonly spec: SpecEngine;
  private readonly fast: CompiledEngine;
  constructor(readonly space: Space, variants: readonly Variant[]) {
    this.spec = new SpecEngine(space, variants);
    this.fast = new CompiledEngine(space, variants);
  }
  get before(): Int32Array { return this.fast.before; }
  get after(): Int32Array { return this.fast.after; }
  get out(): readonly Outcome[] { return this.fast.out; }
  load(words: Uint32Array, base: number): void { this.spec.load(words, base); this.fast.load(words, base); }
  changed(): boolean { return this.fast.changed(); }
  settle(): void { this.spec.settle(); this.fast.settle(); }
  cut(): boolean { return this.fast.cut(); }
  fire(t: number): boolean {
    const a = this.spec.fire(t), b = this.fast.fire(t);
    const where = (): string => `${JSON.stringify(this.space.templates[t])} in ${JSON.stringify(this.spec.specStates.map(plain))}`;
    if (a !== b) throw new DivergenceError(`enabledness differs (spec ${a}, compiled ${b}) for ${where()}`);
    if (!a) return false;
    const mms = this.space.cfg.mms;
    this.spec.out.forEach((s, k) => {
      const f = this.fast.out[k];
      const sr = JSON.stringify(s.result(mms)), fr = JSON.stringify(f.result(mms));
      if (sr !== fr) throw new DivergenceError(`result differs (spec ${sr}, compiled ${fr}) for ${where()}`);
      if (s.rules().join(' ') !== f.rules().join(' ')) throw new DivergenceError(`rules differ (spec ${s.rules().join(' ')}, compiled ${f.rules().join(' ')}) for ${where()}`);
      if (s.changed !== f.changed) throw new DivergenceError(`state change differs (spec ${s.changed}, compiled ${f.changed}) for ${where()}`);
    });
    if (this.spec.changed()) {
      this.spec.settle();
      this.fast.settle();
      const x = this.spec.after, y = this.fast.after;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) throw new DivergenceError(`successor differs at flat index ${i} for ${where()}`);
    }
    return true;
  }
}

const plain = (st: State) => ({ ...st, slots: st.slots.map((g) => Object.fromEntries(g)) });
