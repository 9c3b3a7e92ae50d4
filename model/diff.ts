/**
 * `diff A B`: two variants driven by the same operation sequences, exhaustively over a
 * configuration (BFS over pairs of states, canonicalized together under symmetry): the
 * shortest sequence after which some result differs, or "equivalent within these bounds".
 */
import { formatResult as fmt, type OpName, type VariantName } from '../vocab/index.ts';
import { variantArg, type Variant } from '../spec/index.ts';
import { configArg, resolveVariant, type Counterexample } from './check.ts';
import type { ModelConfig } from './config.ts';
import { explore, traceTo, type ExploreLimits, type StopReason } from './explore.ts';
import { sameOutcomeResult } from './outcome.ts';
import { buildSpace } from './space.ts';
import type { Coverage, Stats } from './stats.ts';
import { formatTrace, traceLitmus } from './trace.ts';

export interface DiffOptions extends ExploreLimits {
  /** Operations to drive (default: every operation of the configuration both variants have). */
  readonly ops?: readonly OpName[];
  readonly symmetry?: boolean;
}

export interface DiffResult {
  readonly config: string;
  readonly a: string;
  readonly b: string;
  readonly ops: readonly OpName[];
  /** different: a shortest distinguishing sequence; equivalent: none within the bounds; bound: stopped early. */
  readonly status: 'different' | 'equivalent' | 'bound';
  readonly exhaustive: boolean;
  readonly stop: StopReason;
  readonly stats: Stats;
  readonly coverage: Coverage;
  /** States packed with a partial symmetry canonical form (see Packer.partial); 0 normally. */
  readonly symmetryPartial: number;
  readonly difference?: Counterexample & { readonly step: number; readonly a: string; readonly b: string };
}

export function diff(mc: ModelConfig, aArg: VariantName | Variant, bArg: VariantName | Variant, opts: DiffOptions = {}): DiffResult {
  const a = resolveVariant(aArg), b = resolveVariant(bArg);
  const space = buildSpace(mc, [a, b], { symmetry: opts.symmetry, ops: opts.ops });
  const ops = [...new Set(space.templates.map((t) => t.op))];
  let hit: { parent: number; t: number; ra: string; rb: string } | null = null;
  const ex = explore(space, [a, b], {
    transition(parent, t, engine) {
      const [oa, ob] = engine.out;
      if (sameOutcomeResult(oa, ob)) return false;
      hit = { parent, t, ra: JSON.stringify(oa.result(space.cfg.mms)), rb: JSON.stringify(ob.result(space.cfg.mms)) };
      return true;
    },
  }, opts);
  const base = { config: mc.name, a: a.name, b: b.name, ops, exhaustive: ex.exhaustive, stop: ex.stop, stats: ex.stats, coverage: ex.coverage, symmetryPartial: ex.symmetryPartial };
  if (hit === null) return { ...base, status: ex.exhaustive ? 'equivalent' : 'bound' };
  const h: { parent: number; t: number; ra: string; rb: string } = hit;
  const want = space.templates[h.t];
  const { trace } = traceTo(space, [a, b], ex.store, h.parent, (op, _before, steps) =>
    op.op === want.op && JSON.stringify(steps[0].result) === h.ra && JSON.stringify(steps[1].result) === h.rb);
  const names = [a.name, b.name] as VariantName[];
  const last = trace[trace.length - 1];
  const lit = traceLitmus(mc.setup, space.cfg, trace, {
    name: `${mc.name}-diff-${a.name}-${b.name}`,
    doc: `Shortest operation sequence after which ${a.name} and ${b.name} give different results (step ${trace.length}).`,
    source: `svacheck diff ${a.name} ${b.name} (${mc.source}), breadth-first over pairs of states`,
    variants: names,
    comments: [`found by: svacheck diff ${variantArg(a)} ${variantArg(b)} ${configArg(mc)}${opts.ops ? ` --ops ${opts.ops.join(',')}` : ''}`, 'replay:   svacheck litmus FILE'],
  });
  return {
    ...base, status: 'different',
    difference: {
      trace, lines: formatTrace(lit.ops, trace), litmus: lit.text, step: trace.length,
      a: fmt(last.results[a.name]!), b: fmt(last.results[b.name]!),
    },
  };
}
