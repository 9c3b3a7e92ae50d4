/**
 * The model checker as it ran before the rules were written once: the compiled transition
 * function (compiled.ts, the built-in variants written a second time over flat states), the
 * flat invariants and the flat availability findings, all three copied here unchanged when
 * model/ stopped using them. Bench-only: `npm run bench oracle` measures the one-writing engine
 * against it in the same run. Its hot path is check()'s: every transition, an availability
 * verdict on failing binds; every new state, every invariant's verdict.
 */
import { VARIANT_BY_NAME } from '../../spec/index.ts';
import { invariantsFor } from '../../model/check.ts';
import type { ModelConfig } from '../../model/config.ts';
import { Base, type Engine } from '../../model/engine.ts';
import { explore } from '../../model/explore.ts';
import type { Outcome } from '../../model/outcome.ts';
import { buildSpace, type Space } from '../../model/space.ts';
import type { Stats } from '../../model/stats.ts';
import type { Variant } from '../../spec/index.ts';
import { availabilityOf } from './availability.ts';
import { Compiled } from './compiled.ts';
import { FlatInvariants } from './flatInvariants.ts';

class CompiledEngine extends Base implements Engine {
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
