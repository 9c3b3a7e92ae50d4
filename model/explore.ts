/**
 * Breadth-first exploration of a tuple of variants driven by the same operations (one variant
 * for `check`, two for `diff`): the visited set, the frontier in BFS order, bounds, stop
 * conditions, statistics and progress. What to do with each transition and each new state is
 * the caller's (hooks); shortest traces are rebuilt from parent links by `traceTo`.
 */
import { initialState, step, type SpecOp, type State, type Step, type Variant } from '../spec/index.ts';
import { beyondBounds, encodable, encode, enabled, decode, type Space } from './space.ts';
import { cover, emptyCoverage, emptyStats, type Coverage, type Progress, type Stats } from './stats.ts';
import { StateStore } from './store.ts';
import type { TraceStep } from './trace.ts';

export interface ExploreLimits {
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly onProgress?: (p: Progress) => void;
  /** Milliseconds between progress reports (default 3000). */
  readonly progressEvery?: number;
}

export interface Hooks {
  /** A transition from stored state `parent` (states `before`) by template t; return true to stop. */
  transition?(parent: number, t: number, before: readonly State[], steps: readonly Step[]): boolean;
  /** A new distinct state was stored at idx; return true to stop. */
  newState?(idx: number, states: readonly State[]): boolean;
}

export type StopReason = 'done' | 'hook' | 'max-states' | 'max-seconds';

export interface Explored {
  readonly store: StateStore;
  readonly stats: Stats;
  readonly coverage: Coverage;
  readonly stop: StopReason;
  /** Depth of each stored state would cost memory; kept only as level boundaries. */
  readonly exhaustive: boolean;
}

export function explore(space: Space, variants: readonly Variant[], hooks: Hooks, limits: ExploreLimits = {}): Explored {
  const started = performance.now();
  const store = new StateStore(space.words);
  const stats = emptyStats();
  const coverage = emptyCoverage();
  const W = space.words;
  const buf = new Uint32Array(W), scratch = new Uint32Array(W);
  const init = variants.map(() => initialState(space.cfg));
  encode(space, init, buf, scratch);
  store.add(buf, -1, -1);
  let stop: StopReason = 'done';
  if (hooks.newState?.(0, init)) stop = 'hook';
  const maxDepth = space.bounds.depth;
  const every = limits.progressEvery ?? 3000;
  let nextReport = started + every;
  let depth = 0, levelEnd = 1;
  let i = 0;
  const tpl = space.templates;
  const steps: Step[] = new Array(variants.length);
  outer: for (; stop === 'done' && i < store.size; i++) {
    if (i === levelEnd) { depth++; levelEnd = store.size; }
    if (maxDepth > 0 && depth >= maxDepth) continue;
    if ((i & 63) === 0) {
      const now = performance.now();
      if (limits.maxSeconds !== undefined && now - started > limits.maxSeconds * 1000) { stop = 'max-seconds'; break; }
      if (limits.onProgress && now >= nextReport) {
        nextReport = now + every;
        limits.onProgress({ depth, transitions: stats.transitions, distinct: store.size, queued: store.size - i, seconds: (now - started) / 1000 });
      }
    }
    const before = variants.map((_, k) => decode(space, store.buffer, i * W, k));
    for (let t = 0; t < tpl.length; t++) {
      const op = tpl[t];
      let ok = true;
      for (let k = 0; k < variants.length; k++) if (!enabled(space, variants[k], before[k], op)) { ok = false; break; }
      if (!ok) continue;
      let changed = false;
      for (let k = 0; k < variants.length; k++) {
        const s = step(variants[k], space.cfg, before[k], op);
        steps[k] = s;
        if (s.state !== before[k]) changed = true;
      }
      stats.transitions++;
      cover(coverage, op.op, steps[0].result, steps[0].rule, steps[0].effects);
      if (hooks.transition?.(i, t, before, steps)) { stop = 'hook'; break outer; }
      if (!changed) continue;
      stats.successors++;
      const after = steps.map((s) => s.state);
      if (after.some((s) => beyondBounds(space, s))) { stats.cut++; continue; }
      for (const s of after) encodable(space, s);
      encode(space, after, buf, scratch);
      const idx = store.add(buf, i, t);
      if (idx < 0) continue;
      if (hooks.newState?.(idx, after)) { stop = 'hook'; break outer; }
      if (limits.maxStates !== undefined && store.size >= limits.maxStates) { stop = 'max-states'; i++; break outer; }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  stats.distinct = store.size;
  stats.queued = store.size - Math.min(i, store.size);
  stats.depth = depthOf(store, store.size - 1);
  stats.seconds = seconds;
  stats.transitionsPerSecond = seconds > 0 ? stats.transitions / seconds : 0;
  stats.distinctPerSecond = seconds > 0 ? stats.distinct / seconds : 0;
  stats.bytesPerState = store.bytesAllocated() / store.size;
  stats.wordsPerState = W;
  return { store, stats, coverage, stop, exhaustive: stop === 'done' };
}

/** Depth of a stored state: its number of parent links (BFS order: the last is deepest). */
export function depthOf(store: StateStore, idx: number): number {
  let d = 0;
  for (let j = idx; j > 0; j = store.parent[j]) d++;
  return d;
}

/**
 * The shortest trace from the initial state to stored state idx, replayed concretely: at each
 * step, the template whose successor has the stored canonical encoding (the stored path is
 * over canonical representatives; the concrete run picks the matching permuted operation).
 * `last`: one more step from idx, chosen by a predicate on its outcome.
 */
export function traceTo(space: Space, variants: readonly Variant[], store: StateStore, idx: number,
  last?: (op: SpecOp, before: readonly State[], steps: readonly Step[], succ: Uint32Array | null) => boolean): { trace: TraceStep[]; states: State[][] } {
  const path: number[] = [];
  for (let j = idx; j > 0; j = store.parent[j]) path.push(j);
  path.reverse();
  let cur = variants.map(() => initialState(space.cfg));
  const states: State[][] = [cur];
  const trace: TraceStep[] = [];
  const buf = new Uint32Array(space.words), scratch = new Uint32Array(space.words);
  const names = variants.map((v) => v.name);
  const advance = (pick: (op: SpecOp, steps: Step[], succ: Uint32Array | null) => boolean): void => {
    for (const op of space.templates) {
      if (!variants.every((v, k) => enabled(space, v, cur[k], op))) continue;
      const steps = variants.map((v, k) => step(v, space.cfg, cur[k], op));
      const after = steps.map((s) => s.state);
      let succ: Uint32Array | null = null;
      if (!after.some((s) => beyondBounds(space, s))) { encode(space, after, buf, scratch); succ = buf; }
      if (!pick(op, steps, succ)) continue;
      trace.push({
        op, results: Object.fromEntries(names.map((n, k) => [n, steps[k].result])), rule: steps[0].rule, after: after[0],
        rules: Object.fromEntries(names.map((n, k) => [n, [steps[k].rule, ...(steps[k].effects ?? [])]])),
      });
      cur = after;
      states.push(cur);
      return;
    }
    throw new Error('trace reconstruction found no matching step (the encoding or the symmetry is unsound)');
  };
  for (const j of path) {
    const want = store.get(j).slice();
    advance((_op, steps, succ) => succ !== null && steps.some((s, k) => s.state !== cur[k]) && succ.every((w, x) => w === want[x]));
  }
  if (last) advance((op, steps, succ) => last(op, cur, steps, succ));
  return { trace, states };
}

export { cover };
