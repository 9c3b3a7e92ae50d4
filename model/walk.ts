/**
 * `walk`: seeded random walks for configurations too large to exhaust. Each walk starts from
 * the initial state and picks uniformly among the operations a correct caller may issue
 * (contract and bounds); every invariant is checked after every step that changes the state.
 * Walk i of seed s uses its own generator (seed mixed with i), so one walk replays alone.
 * A violating walk is shrunk (steps removed while the same invariant still breaks).
 */
import { ObjectWorld, initialState, step, variantArg, type SpecOp, type State, type StateInvariant, type Variant } from '../spec/index.ts';
import type { VariantName } from '../vocab/index.ts';
import { configArg, invariantsFor, resolveVariant, type ViolationReport } from './check.ts';
import type { ModelConfig } from './config.ts';
import { beyondBounds, buildSpace, enabled, encode, type Space } from './space.ts';
import { cover, emptyCoverage, emptyStats, type Coverage, type Progress, type Stats } from './stats.ts';
import { StateStore } from './store.ts';
import { formatTrace, traceLitmus, type TraceStep } from './trace.ts';
import { rng } from '../vocab/random.ts';

export interface WalkOptions {
  readonly seed: number;
  readonly walks: number;
  readonly length: number;
  /** Replay only this walk (0-based). */
  readonly only?: number;
  readonly continue?: boolean;
  readonly maxSeconds?: number;
  /** Stop at the next check (a signal arrived); the result's status is then 'interrupted'. */
  readonly interrupted?: () => boolean;
  readonly onProgress?: (p: Progress) => void;
  readonly progressEvery?: number;
  /** Count distinct states (canonical) in a visited set; default true. */
  readonly distinct?: boolean;
}

export interface WalkViolation extends ViolationReport {
  readonly walk: number;
  /** Steps of the walk up to the violation, before shrinking. */
  readonly originalLength: number;
  readonly replay: string;
}

export interface WalkResult {
  readonly config: string;
  readonly variant: string;
  readonly seed: number;
  readonly walks: number;
  readonly completedWalks: number;
  readonly status: 'done' | 'violation' | 'bound' | 'interrupted';
  readonly stats: Stats;
  readonly coverage: Coverage;
  readonly violations: readonly WalkViolation[];
  readonly replay: string;
}

const walkSeed = (seed: number, i: number): number => (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;

function firstBroken(space: Space, invs: readonly StateInvariant[], st: State): { inv: StateInvariant; reason: string } | null {
  const r = new ObjectWorld(space.cfg, st);
  for (const inv of invs) {
    const reason = inv.check(r);
    if (reason !== null) return { inv, reason };
  }
  return null;
}

export function walk(mc: ModelConfig, which: VariantName | Variant, opts: WalkOptions): WalkResult {
  const variant = resolveVariant(which);
  const space = buildSpace(mc, [variant]);
  const invs = invariantsFor(mc, variant);
  const expected = new Set<string>(mc.expect[variant.name as VariantName] ?? (variant.litmusAs ? mc.expect[variant.litmusAs] : undefined) ?? []);   // a design file answers to litmusAs
  const stats = emptyStats();
  const coverage = emptyCoverage();
  const store = opts.distinct === false ? null : new StateStore(space.words);
  const buf = new Uint32Array(space.words);
  const started = performance.now();
  let nextReport = started + (opts.progressEvery ?? 3000);
  const violations: WalkViolation[] = [];
  const seen = new Set<string>();
  let status: WalkResult['status'] = 'done';
  let completed = 0;
  const first = opts.only ?? 0, end = opts.only !== undefined ? opts.only + 1 : opts.walks;
  const replayBase = `svacheck walk ${configArg(mc)} --variant ${variantArg(variant)} --seed ${opts.seed} --length ${opts.length}`;
  walks: for (let w = first; w < end; w++) {
    const rand = rng(walkSeed(opts.seed, w));
    let st = initialState(space.cfg);
    const ops: SpecOp[] = [];
    if (store) { encode(space, [st], buf); store.add(buf, -1); }
    for (let k = 0; k < opts.length; k++) {
      const choices = space.templates.filter((t) => enabled(space, variant, st, t));
      if (choices.length === 0) break;
      const op = choices[Math.floor(rand() * choices.length)];
      const s = step(variant, space.cfg, st, op);
      stats.transitions++;
      cover(coverage, op.op, s.result, s.rule, s.effects);
      if (s.state === st) continue;
      stats.successors++;
      if (beyondBounds(space, s.state)) { stats.cut++; continue; }
      st = s.state;
      ops.push(op);
      stats.depth = Math.max(stats.depth, ops.length);
      if (store) { encode(space, [st], buf); store.add(buf, -1); }
      const broken = firstBroken(space, invs, st);
      if (broken && !seen.has(broken.inv.name)) {
        seen.add(broken.inv.name);
        const shrunk = shrink(space, variant, ops, broken.inv);
        const trace = replayOps(space, variant, shrunk);
        const replay = `${replayBase} --walk ${w}`;
        const vname = variant.name as VariantName;
        const lit = traceLitmus(mc.setup, space.cfg, trace, {
          name: `${mc.name}-${variant.name}-walk-${broken.inv.name}`,
          doc: `Random walk ${w} of seed ${opts.seed} broke ${broken.inv.name} (${broken.inv.rule}): ${broken.reason}. Shrunk from ${ops.length} to ${shrunk.length} steps.`,
          source: `svacheck walk (${mc.source})`, variants: [vname], violates: { [vname]: [broken.inv.name] },
          comments: [`seed ${opts.seed}, walk ${w}`, `replay the walk: ${replay}`, 'replay the trace: svacheck litmus FILE'],
        });
        violations.push({
          invariant: broken.inv.name, rule: broken.inv.rule, reason: broken.reason, expected: expected.has(broken.inv.name), states: 1,
          trace, lines: formatTrace(lit.ops, trace), litmus: lit.text, walk: w, originalLength: ops.length, replay,
        });
        if (!expected.has(broken.inv.name) && !opts.continue) { status = 'violation'; completed++; break walks; }
      }
      if ((stats.transitions & 255) === 0) {
        const now = performance.now();
        if (opts.maxSeconds !== undefined && now - started > opts.maxSeconds * 1000) { status = 'bound'; break walks; }
        if (opts.interrupted?.()) { status = 'interrupted'; break walks; }
        if (opts.onProgress && now >= nextReport) {
          nextReport = now + (opts.progressEvery ?? 3000);
          opts.onProgress({ depth: w, transitions: stats.transitions, distinct: store?.size ?? 0, queued: end - w, seconds: (now - started) / 1000 });
        }
      }
    }
    completed++;
  }
  const seconds = (performance.now() - started) / 1000;
  stats.seconds = seconds;
  stats.distinct = store?.size ?? 0;
  stats.transitionsPerSecond = seconds > 0 ? stats.transitions / seconds : 0;
  stats.distinctPerSecond = seconds > 0 ? stats.distinct / seconds : 0;
  stats.bytesPerState = store && store.size > 0 ? store.bytesAllocated() / store.size : 0;
  stats.wordsPerState = space.words;
  return {
    config: mc.name, variant: variant.name, seed: opts.seed, walks: opts.walks, completedWalks: completed, status,
    stats, coverage, violations, replay: `${replayBase} --walks ${opts.walks}`,
  };
}

/** Run spec ops from the initial state; null if one breaks the contract or the bounds. */
function run(space: Space, v: Variant, ops: readonly SpecOp[], inv: StateInvariant | null): { ok: boolean; broken: boolean } {
  let st = initialState(space.cfg);
  for (const op of ops) {
    if (!enabled(space, v, st, op)) return { ok: false, broken: false };
    st = step(v, space.cfg, st, op).state;
    if (beyondBounds(space, st)) return { ok: false, broken: false };
    if (inv && inv.check(new ObjectWorld(space.cfg, st)) !== null) return { ok: true, broken: true };
  }
  return { ok: true, broken: false };
}

/**
 * Shrinking: drop chunks of steps (halves, quarters, ... single steps), then pairs of steps
 * (a bind with its unbind), while the trace still respects the contract and the bounds and
 * breaks inv; finally cut after the first state that breaks it.
 */
export function shrink(space: Space, v: Variant, ops: readonly SpecOp[], inv: StateInvariant): SpecOp[] {
  let cur = [...ops];
  const breaks = (cand: SpecOp[]) => run(space, v, cand, inv).broken;
  for (let size = Math.max(1, cur.length >> 1); size >= 1; size = size === 1 ? 0 : size >> 1) {
    for (let progress = true; progress;) {
      progress = false;
      for (let i = cur.length - size; i >= 0; i--) {
        const cand = [...cur.slice(0, i), ...cur.slice(i + size)];
        if (breaks(cand)) { cur = cand; progress = true; i = Math.min(i, cur.length - size + 1); }
      }
    }
  }
  if (cur.length <= 40) {
    for (let progress = true; progress;) {
      progress = false;
      pairs: for (let i = cur.length - 1; i > 0; i--) for (let j = i - 1; j >= 0; j--) {
        const cand = cur.filter((_, k) => k !== i && k !== j);
        if (breaks(cand)) { cur = cand; progress = true; break pairs; }
      }
    }
  }
  let st = initialState(space.cfg);
  for (let i = 0; i < cur.length; i++) {
    st = step(v, space.cfg, st, cur[i]).state;
    if (inv.check(new ObjectWorld(space.cfg, st)) !== null) return cur.slice(0, i + 1);
  }
  return cur;
}

export function replayOps(space: Space, v: Variant, ops: readonly SpecOp[]): TraceStep[] {
  let st = initialState(space.cfg);
  return ops.map((op) => {
    const s = step(v, space.cfg, st, op);
    st = s.state;
    return { op, results: { [v.name]: s.result }, rule: s.rule, rules: { [v.name]: [s.rule, ...(s.effects ?? [])] }, after: s.state };
  });
}
