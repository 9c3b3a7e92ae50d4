/**
 * `check`: exhaustive BFS over one variant's spec states of a configuration; every invariant
 * on every new state; availability findings on every failing bind; shortest counterexamples
 * printed as litmus files.
 */
import { AVAILABILITY, ObjectWorld, findingOf, stateInvariantsFor, step, variantArg, variantByName, variantOf, type FindingKind, type SpecOp, type State, type StateInvariant, type Step, type Variant } from '../spec/index.ts';
import { ERRNOS, type VariantName } from '../vocab/index.ts';
import type { ModelConfig } from './config.ts';
import { explore, traceTo, type ExploreLimits, type StopReason } from './explore.ts';
import { FlatWorld } from './flatWorld.ts';
import { RK_ERRNO } from './outcome.ts';
import { beyondBounds, buildSpace, decode, encode, type Space } from './space.ts';
import type { Coverage, Stats } from './stats.ts';
import { formatTrace, traceLitmus, type TraceStep } from './trace.ts';

export interface CheckOptions extends ExploreLimits {
  /** Override the configuration's symmetry setting. */
  readonly symmetry?: boolean;
  /** Collect every violation instead of stopping at the first unexpected one. */
  readonly continue?: boolean;
}

export interface Counterexample {
  readonly trace: readonly TraceStep[];
  /** `1. bind {dev: accel, mm: A} as h1 → 1  [S3]` lines. */
  readonly lines: readonly string[];
  /** The litmus file text (replay with `svacheck litmus FILE`). */
  readonly litmus: string;
}

export interface ViolationReport extends Counterexample {
  readonly invariant: string;
  readonly rule: string;
  /** The reason at the first (shallowest) state found. */
  readonly reason: string;
  /** A documented finding of this configuration (its `expect`). */
  readonly expected: boolean;
  /** Distinct states found breaking it (all of them only with --continue or when expected). */
  readonly states: number;
}

export interface AvailabilityReport extends Counterexample {
  readonly kind: FindingKind;
  readonly rule: string;
  readonly title: string;
  /** Transitions showing it. */
  readonly transitions: number;
}

export interface CheckResult {
  readonly config: string;
  readonly variant: string;
  readonly symmetry: boolean;
  /** done: exhausted the space within its bounds; violation: stopped at an unexpected violation; bound: --max-states / --max-seconds. */
  readonly status: 'done' | 'violation' | 'bound';
  readonly exhaustive: boolean;
  readonly stop: StopReason;
  readonly stats: Stats;
  readonly coverage: Coverage;
  readonly violations: readonly ViolationReport[];
  readonly availability: readonly AvailabilityReport[];
  /** Expected findings (config `expect`) that an exhaustive run did not reproduce. */
  readonly missingExpected: readonly string[];
  readonly symmetryOrder: number;
  /** The transition engine that ran: compiled (built-in variants), spec, or verify (both, compared). */
  readonly engine: string;
  /** States packed with a partial symmetry canonical form (see Packer.partial); 0 normally. */
  readonly symmetryPartial: number;
}

export const resolveVariant: (v: VariantName | Variant) => Variant = variantOf;

/**
 * The invariants of the configuration that apply to the variant (asked of the variant): its
 * state invariants. The observation invariants it names hold by construction on every state
 * (spec/invariants.ts says why), so they are not asked.
 */
export function invariantsFor(mc: ModelConfig, variant: Variant): StateInvariant[] {
  return stateInvariantsFor(mc.invariants, variant);
}

export function check(mc: ModelConfig, variantArg: VariantName | Variant, opts: CheckOptions = {}): CheckResult {
  const variant = resolveVariant(variantArg);
  const space = buildSpace(mc, [variant], { symmetry: opts.symmetry });
  const invariants = invariantsFor(mc, variant);
  const expected = new Set<string>(mc.expect[variant.name as VariantName] ?? (variant.litmusAs ? mc.expect[variant.litmusAs] : undefined) ?? []);   // a design file answers to litmusAs
  const reads = new FlatWorld(space);                                    // the states read in place, for the invariants and findings
  const binds = Uint8Array.from(space.templates, (op) => (op.op === 'bind' || op.op === 'bind_pasid' ? 1 : 0));
  const run = (limits: CheckOptions) => {
    const found = new Map<string, { idx: number; rule: string; reason: string; count: number }>();
    const avail = new Map<FindingKind, { parent: number; t: number; count: number }>();
    let unexpected = false;
    const ex = explore(space, [variant], {
      transition(parent, t, engine) {
        const o = engine.out[0];
        if (o.rk !== RK_ERRNO || binds[t] === 0) return false;              // findings are about failing binds
        const kind = findingOf(reads.view(engine.before, 0), space.templates[t], ERRNOS[o.rv]);
        if (kind === null) return false;
        const a = avail.get(kind);
        if (a) a.count++; else avail.set(kind, { parent, t, count: 1 });
        return false;
      },
      newState(idx, engine) {
        const r = reads.view(engine.after, 0);
        for (const inv of invariants) {
          const reason = inv.check(r);
          if (reason === null) continue;
          const f = found.get(inv.name);
          if (f) f.count++;
          else {
            found.set(inv.name, { idx, rule: inv.rule, reason, count: 1 });
            if (!expected.has(inv.name)) unexpected = true;
          }
        }
        return unexpected && !opts.continue;
      },
    }, limits);
    return { ex, found, avail };
  };
  // A run whose visited set went to a second thread and that stopped at a violation stopped
  // later than one thread would (explore's Explored.parallel): it is run again on one thread,
  // so the statistics printed with the violation are the same whatever the machine.
  let { ex, found, avail } = run(opts);
  if (ex.parallel && ex.stop === 'hook') ({ ex, found, avail } = run({ ...opts, threads: 1 }));

  const violations: ViolationReport[] = [...found].map(([invariant, f]) => {
    const { trace, states } = traceTo(space, [variant], ex.store, f.idx);
    // The stored state is a canonical representative: name mms as the concrete trace does.
    const last = states[states.length - 1][0];
    const inv = invariants.find((x) => x.name === invariant)!;
    const reason = inv.check(new ObjectWorld(space.cfg, last)) ?? f.reason;
    return {
      invariant, rule: f.rule, reason, expected: expected.has(invariant), states: f.count,
      ...counterexample(mc, space, variant, trace, {
        name: `${mc.name}-${variant.name}-${invariant}`,
        doc: `Shortest trace breaking ${invariant} (${f.rule}) in ${variant.name}: ${reason}.`,
        violates: [invariant],
      }),
    };
  });
  const availability: AvailabilityReport[] = [...avail].map(([kind, a]) => {
    const want = space.templates[a.t];
    const wantWords = successorWords(space, variant, ex.store.get(a.parent).slice(), a.t);
    const { trace } = traceTo(space, [variant], ex.store, a.parent, (op, before, steps, succ) =>
      op.op === want.op && findingOfStep(space, before[0], op, steps[0]) === kind &&
      (wantWords === null ? succ === null : succ !== null && succ.every((w, i) => w === wantWords[i])));
    const info = AVAILABILITY[kind];
    return {
      kind, rule: info.rule, title: info.title, transitions: a.count,
      ...counterexample(mc, space, variant, trace, {
        name: `${mc.name}-${variant.name}-${kind}`,
        doc: `Availability finding (${info.rule}) in ${variant.name}: ${info.explanation}`,
      }),
    };
  });
  const stoppedOnViolation = ex.stop === 'hook';
  const status = stoppedOnViolation ? 'violation' : ex.exhaustive ? 'done' : 'bound';
  const missingExpected = ex.exhaustive ? [...expected].filter((e) => !found.has(e)) : [];
  return {
    config: mc.name, variant: variant.name, symmetry: space.symmetry, status, exhaustive: ex.exhaustive, stop: ex.stop,
    stats: ex.stats, coverage: ex.coverage, violations, availability, missingExpected, symmetryOrder: space.symmetryOrder, engine: ex.engine,
    symmetryPartial: ex.symmetryPartial,
  };
}

/** The canonical encoding of the successor of stored state `words` by template t, or null if cut. */
function successorWords(space: Space, variant: Variant, words: Uint32Array, t: number): Uint32Array | null {
  const st = decodeOne(space, words);
  const s = stepOf(space, variant, st, t);
  if (s === null) return null;
  const out = new Uint32Array(space.words);
  encode(space, [s], out);
  return out;
}

const decodeOne = (space: Space, words: Uint32Array): State => decode(space, words, 0, 0);

/** findingOf for a spec step (trace reconstruction). */
const findingOfStep = (space: Space, before: State, op: SpecOp, s: Step): FindingKind | null =>
  findingOf(new ObjectWorld(space.cfg, before), op, s.result.kind === 'errno' ? s.result.errno : null);
const stepOf = (space: Space, v: Variant, st: State, t: number): State | null => {
  const after = step(v, space.cfg, st, space.templates[t]).state;
  return beyondBounds(space, after) ? null : after;
};

function counterexample(mc: ModelConfig, space: Space, variant: Variant, trace: readonly TraceStep[],
  meta: { name: string; doc: string; violates?: readonly string[] }): Counterexample {
  const vname = variant.name as VariantName;
  const lit = traceLitmus(mc.setup, space.cfg, trace, {
    name: meta.name, doc: meta.doc, source: `svacheck check (${mc.source}), shortest trace by breadth-first search`,
    variants: [vname], ...(meta.violates ? { violates: { [vname]: meta.violates } } : {}),
    comments: [`found by: svacheck check ${configArg(mc)} --variant ${variantArg(variant)}`, `replay:   svacheck litmus FILE`],
  });
  return { trace, lines: formatTrace(lit.ops, trace), litmus: lit.text };
}

export const configArg = (mc: ModelConfig): string =>
  mc.source.startsWith('model/configs/') ? mc.name : `--config ${mc.source}`;
