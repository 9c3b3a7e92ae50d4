/**
 * The model checker as it ran before the rules were written once: the compiled transition
 * function (compiled.ts, the built-in variants written a second time over flat states), the
 * flat invariants and the flat availability findings, all three copied here unchanged when
 * model/ stopped using them. Bench-only: `npm run bench oracle` measures the one-writing engine
 * against it in the same run. Its hot path is check()'s: every transition, an availability
 * verdict on failing binds; every new state, every invariant's verdict.
 */
import { VARIANT_BY_NAME, findingOf } from '../../spec/index.ts';
import { invariantsFor } from '../../model/check.ts';
import type { ModelConfig } from '../../model/config.ts';
import { Base, FlatEngine, type Engine } from '../../model/engine.ts';
import { FlatWorld } from '../../model/flatWorld.ts';
import { RK_ERRNO } from '../../model/outcome.ts';
import { ERRNOS } from '../../vocab/index.ts';
import { explore } from '../../model/explore.ts';
import type { Outcome } from '../../model/outcome.ts';
import { buildSpace, type Space } from '../../model/space.ts';
import type { Stats } from '../../model/stats.ts';
import type { Variant } from '../../spec/index.ts';
import { availabilityOf } from './availability.ts';
import { Compiled } from './compiled.ts';
import { FlatInvariants } from './flatInvariants.ts';

export class CompiledEngine extends Base implements Engine {
  readonly name = 'compiled (before)';
  private readonly compiled: Compiled[];
  constructor(space: Space, variants: readonly Variant[]) {
    super(space, variants);
    this.compiled = variants.map((v) => new Compiled(space, v));
  }
  fire(t: number): boolean {
    const n = this.space.layout.n, c = this.compiled, out = this.out as Outcome[];
    for (let k = 0; k < c.length; k++) if (!c[k].enabled(this.before, k * n, t)) return false;
    for (let k = 0; k < c.length; k++) c[k].step(this.before, k * n, this.after, k * n, t, out[k]);
    return true;
  }
}

/** check() of a built-in variant, before: the states, transitions and rate it reached. */
export function checkBefore(mc: ModelConfig, name: 'upstream' | 'v1' | 'v2' | 'per-device', symmetry: boolean, maxStates?: number): { stats: Stats; exhaustive: boolean } {
  const variant = VARIANT_BY_NAME[name];
  const space = buildSpace(mc, [variant], { symmetry });
  const flat = new FlatInvariants(space, invariantsFor(mc, variant));
  let findings = 0, broken = 0;
  const ex = explore(space, [variant], {
    transition(_parent, t, engine) { if (availabilityOf(space, engine.before, 0, t, engine.out[0]) !== null) findings++; return false; },
    newState(_idx, engine) { if (!flat.allHold(engine.after, 0)) broken++; return false; },
  }, { engine: (s, v) => new CompiledEngine(s, v), maxStates });
  return { stats: ex.stats, exhaustive: ex.exhaustive && findings >= 0 && broken >= 0 };
}

/**
 * The transition loop alone — load a stored state, fire every template, the availability
 * verdict of each failing bind, cut — of the one-writing engine (spec/ on the flat backend,
 * with spec/findings.ts) and of this compiled baseline, on the same first `states` states of
 * a run, taking turns every 2,000 states, CPU time summed per side over `rounds` rounds after
 * a warm-up one. The machine is shared: taking turns this finely exposes both sides to the
 * same load, so their ratio holds where whole runs timed apart do not. Packing and the
 * visited set are left out (the two engines share them).
 */
export function transitionLoops(mc: ModelConfig, name: 'v2', symmetry: boolean, states = 100_000, rounds = 3): { flatMs: number; beforeMs: number; transitions: number } {
  const variant = VARIANT_BY_NAME[name];
  const space = buildSpace(mc, [variant], { symmetry });
  const ex = explore(space, [variant], {}, { maxStates: states });
  const reads = new FlatWorld(space);
  const binds = Uint8Array.from(space.templates, (op) => (op.op === 'bind' || op.op === 'bind_pasid' ? 1 : 0));
  const sides: { engine: Engine; finding: (e: Engine, t: number) => unknown; ms: number }[] = [
    { engine: new FlatEngine(space, [variant]), finding: (e, t) => findingOf(reads.view(e.before, 0), space.templates[t], ERRNOS[e.out[0].rv]), ms: 0 },
    { engine: new CompiledEngine(space, [variant]), finding: (e, t) => availabilityOf(space, e.before, 0, t, e.out[0]), ms: 0 },
  ];
  const words = new Uint32Array(space.words), T = space.templates.length, BLOCK = 2000;
  let transitions = 0, found = 0;
  const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
  for (let round = 0; round <= rounds; round++) {
    for (let from = 0; from < ex.store.size; from += BLOCK) {
      for (const side of (from / BLOCK + round) % 2 === 0 ? sides : [...sides].reverse()) {
        const e = side.engine, c0 = cpuMs();
        for (let i = from; i < Math.min(from + BLOCK, ex.store.size); i++) {
          ex.store.copy(i, words);
          e.load(words, 0);
          for (let t = 0; t < T; t++) {
            if (!e.fire(t)) continue;
            if (round > 0 && side === sides[0]) transitions++;
            if (e.out[0].rk === RK_ERRNO && binds[t] === 1 && side.finding(e, t) !== null) found++;
            if (e.changed()) { e.settle(); e.cut(); }
          }
        }
        if (round > 0) side.ms += cpuMs() - c0;
      }
    }
  }
  if (found < 0) throw new Error('unreachable');
  return { flatMs: sides[0].ms, beforeMs: sides[1].ms, transitions };
}
