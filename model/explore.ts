/**
 * Breadth-first exploration of a tuple of variants driven by the same operations (one variant
 * for `check`, two for `diff`): the visited set, the frontier in BFS order, bounds, stop
 * conditions, statistics and progress. What to do with each transition and each new state is
 * the caller's (hooks); shortest traces are rebuilt from parent links by `traceTo`.
 */
import { initialState, step, type SpecOp, type State, type Step, type Variant } from '../spec/index.ts';
import { OP_NAMES } from '../vocab/index.ts';
import { makeEngine, type Engine, type EngineChoice, type EngineFactory } from './engine.ts';
import { LABELS, ruleName, type Outcome } from './outcome.ts';
import { Packer, beyondBounds, encode, enabled, toFlat, type Space } from './space.ts';
import { emptyCoverage, emptyStats, type Coverage, type Progress, type Stats } from './stats.ts';
import { availableParallelism } from 'node:os';
import { SharedVisitedSet } from './parallel.ts';
import { RecentStates, StateStore } from './store.ts';
import type { TraceStep } from './trace.ts';

export interface ExploreLimits {
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** Stop when the process's resident memory exceeds this many bytes (the run is then not exhaustive). */
  readonly maxMemory?: number;
  readonly onProgress?: (p: Progress) => void;
  /** A one-line warning (memory past half of maxMemory while the frontier still grows). */
  readonly onWarning?: (text: string) => void;
  /** Stop at the next check (a signal arrived); the run ends as 'interrupted'. */
  readonly interrupted?: () => boolean;
  /** Milliseconds between progress reports (default 3000). */
  readonly progressEvery?: number;
  /** Transition engine: spec/ on the flat backend (auto, flat), on the object backend (object), or both compared (verify). */
  readonly engine?: EngineChoice | EngineFactory;
  /**
   * Threads: 2 hands the visited set to a second thread once the run holds `parallelFrom`
   * states (parallel.ts), unless maxStates bounds the run; 1 keeps everything on this one.
   * Default: 2 where the machine has two cores or more.
   */
  readonly threads?: number;
  /** States held before the visited set moves to its own thread (default 2^19: starting the thread costs about half a second; at least one chunk). */
  readonly parallelFrom?: number;
  /** States per chunk of the visited set (StateStore; default 2^16): small ones let tests hand tiny runs to the second thread. */
  readonly chunkStates?: number;
}

export interface Hooks {
  /** A transition from stored state `parent` by template t (outcomes in engine.out); return true to stop. */
  transition?(parent: number, t: number, engine: Engine): boolean;
  /**
   * A new distinct state was stored at idx (its flat tuple is engine.after); return true to
   * stop. Once the visited set runs on its own thread, called when the state is expanded
   * instead (Explored.parallel), still once per state and in index order.
   */
  newState?(idx: number, engine: Engine): boolean;
}

export type StopReason = 'done' | 'hook' | 'max-states' | 'max-seconds' | 'max-memory' | 'interrupted';

export interface Explored {
  readonly store: StateStore;
  readonly stats: Stats;
  readonly coverage: Coverage;
  readonly stop: StopReason;
  readonly exhaustive: boolean;
  /** The engine that ran the transitions. */
  readonly engine: Engine['name'];
  /** States whose symmetry canonical form was partial (too many tied device orders; see Packer.partial). */
  readonly symmetryPartial: number;
  /**
   * Whether the visited set ran on its own thread. Then the `newState` hook of the states it
   * added ran when they were expanded (or, in a run that stopped early, after it): a hook that
   * stopped the run did so later than a single thread would have, so statistics differ then
   * (model/check.ts runs such a run again on one thread).
   */
  readonly parallel: boolean;
}

/** Coverage counted on numbers during the run: per op, per result label; per rule id. */
class Counts {
  readonly ops = new Float64Array(OP_NAMES.length * LABELS.length);
  rules = new Float64Array(64);
  add(op: number, o: Outcome): void {
    this.ops[op * LABELS.length + o.labelCode()]++;
    this.rule(o.rule);
    for (let i = 0; i < o.ne; i++) this.rule(o.effects[i]);
  }
  private rule(id: number): void {
    if (id >= this.rules.length) { const r = new Float64Array(2 * id + 2); r.set(this.rules); this.rules = r; }
    this.rules[id]++;
  }
  coverage(): Coverage {
    const c = emptyCoverage();
    OP_NAMES.forEach((op, i) => {
      for (let l = 0; l < LABELS.length; l++) {
        const n = this.ops[i * LABELS.length + l];
        if (n === 0) continue;
        const e = (c.ops[op] ??= { count: 0, results: {} });
        e.count += n;
        e.results[LABELS[l]] = n;
      }
    });
    this.rules.forEach((n, id) => { if (n > 0) c.rules[ruleName(id)] = n; });
    return c;
  }
}

export function explore(space: Space, variants: readonly Variant[], hooks: Hooks, limits: ExploreLimits = {}): Explored {
  const started = performance.now();
  const chunkStates = limits.chunkStates ?? 1 << 16;
  let store = new StateStore(space.words, { chunkStates });
  const stats = emptyStats();
  const counts = new Counts();
  const engine = makeEngine(space, variants, limits.engine);
  const W = space.words, n = space.layout.n;
  const buf = new Uint32Array(W);
  const words = new Uint32Array(W);                                      // the state being expanded, packed
  const init = new Int32Array(space.arity * n);
  variants.forEach((_, k) => toFlat(space, initialState(space.cfg), init, k * n));
  const packer = new Packer(space);
  // Made at the hand-over, with symmetry: successors are sent packed as they are, and those sent
  // lately are not sent again (canonical packing is the set's thread's heaviest work).
  let idPacker = packer, recent: RecentStates | null = null;
  packer.pack(init, buf);
  store.add(buf, -1);
  let stop: StopReason = 'done';
  engine.after.set(init);
  if (hooks.newState?.(0, engine)) stop = 'hook';
  const maxDepth = space.bounds.depth;
  const every = limits.progressEvery ?? 3000;
  let nextReport = started + every;
  let depth = 0, levelEnd = 1;
  let warned = false, lastQueued = 0;
  let i = 0;
  const T = space.templates.length;
  const opOf = Int32Array.from(space.templates, (t) => OP_NAMES.indexOf(t.op));
  const first = engine.out[0];
  // The visited set on its own thread, once the run is large enough (see ExploreLimits.threads).
  const threads = limits.threads ?? (availableParallelism() >= 2 ? 2 : 1);
  const parallelFrom = threads >= 2 && limits.maxStates === undefined ? Math.max(limits.parallelFrom ?? 1 << 19, chunkStates) : Infinity;
  let shared: SharedVisitedSet | null = null;
  /** From this index on, states were added by the set's thread: their newState hook runs when expanded. */
  let visitFrom = Infinity;
  /** The first such state whose hook has not run; whether the run stopped because one asked to. */
  let unvisited = 0, stoppedByNewState = false;
  try {
  // (No closure may capture `store` or `shared`: the loop reads them in registers, not in a context.)
  outer: for (; stop === 'done' && (shared === null ? i < store.size : shared.holds(i)); i++) {
    if (shared === null && store.size >= parallelFrom) {
      shared = new SharedVisitedSet(store, W, space.symmetry ? space : null);
      visitFrom = store.size;
      if (space.symmetry) { idPacker = new Packer(space, { identity: true }); recent = new RecentStates(W); }
    }
    if (i === levelEnd) { depth++; levelEnd = shared === null ? store.size : shared.settledSize(); }
    if ((i & 7) === 0) {
      const now = performance.now();
      if (limits.maxSeconds !== undefined && now - started > limits.maxSeconds * 1000) { stop = 'max-seconds'; break; }
      if (limits.interrupted?.()) { stop = 'interrupted'; break; }
      if (limits.maxMemory !== undefined && (i & 4095) === 0) {
        const rss = process.memoryUsage.rss();
        if (rss > limits.maxMemory) { stop = 'max-memory'; break; }
        if (!warned && i > 0 && rss > limits.maxMemory / 2 && store.size - i > lastQueued) {
          warned = true;
          limits.onWarning?.(`memory at ${mb(rss)} MB of the ${mb(limits.maxMemory)} MB bound (--max-memory) and the frontier still grows (${store.size - i} states queued); the run will stop at the bound, not exhaustive`);
        }
        lastQueued = store.size - i;
      }
      if (limits.onProgress && now >= nextReport) {
        nextReport = now + every;
        const distinct = shared === null ? store.size : shared.settledSize();
        limits.onProgress({ depth, transitions: stats.transitions, distinct, queued: distinct - i, seconds: (now - started) / 1000 });
      }
    }
    const beyondDepth = maxDepth > 0 && depth >= maxDepth;
    if (beyondDepth && i < visitFrom) continue;                          // neither expanded nor yet to be checked
    if (shared === null) store.copy(i, words); else shared.copy(i, words);
    engine.load(words, 0);
    if (i >= visitFrom) {
      unvisited = i + 1;
      if (hooks.newState?.(i, engine)) { stop = 'hook'; stoppedByNewState = true; break; }
    }
    if (beyondDepth) continue;
    for (let t = 0; t < T; t++) {
      if (!engine.fire(t)) continue;
      stats.transitions++;
      counts.add(opOf[t], first);
      if (hooks.transition?.(i, t, engine)) { stop = 'hook'; break outer; }
      if (!engine.changed()) continue;
      stats.successors++;
      engine.settle();
      if (engine.cut()) { stats.cut++; continue; }
      if (shared !== null) {                                             // packed as it is: the set's thread canonicalises (parallel.ts)
        if (!engine.repack?.(idPacker, words, buf)) idPacker.pack(engine.after, buf);
        if (recent === null || !recent.seen(buf)) shared.send(buf, i);   // one met lately was sent: it is stored
        continue;
      }
      if (!engine.repack?.(packer, words, buf)) packer.pack(engine.after, buf);
      const idx = store.add(buf, i);
      if (idx < 0) continue;
      if (hooks.newState?.(idx, engine)) { stop = 'hook'; break outer; }
      if (limits.maxStates !== undefined && store.size >= limits.maxStates) { stop = 'max-states'; i++; break outer; }
    }
  }
  if (shared !== null) {
    store = shared.finish();
    shared = null;
    // A run that stopped early (time, memory, a signal, a transition hook) has states it never
    // expanded: their newState hook runs now, as a single thread would have run it when adding them.
    if (!stoppedByNewState) {
      for (let j = Math.max(unvisited, visitFrom); j < store.size; j++) {
        store.copy(j, words);
        engine.load(words, 0);
        if (hooks.newState?.(j, engine)) { stop = 'hook'; break; }
      }
    }
  }
  } finally { shared?.abandon(); }
  const seconds = (performance.now() - started) / 1000;
  stats.distinct = store.size;
  stats.queued = store.size - Math.min(i, store.size);
  stats.depth = depthOf(store, store.size - 1);
  stats.seconds = seconds;
  stats.transitionsPerSecond = seconds > 0 ? stats.transitions / seconds : 0;
  stats.distinctPerSecond = seconds > 0 ? stats.distinct / seconds : 0;
  stats.bytesPerState = store.bytesAllocated() / store.size;
  stats.wordsPerState = W;
  stats.threads = visitFrom === Infinity ? 1 : 2;
  return { store, stats, coverage: counts.coverage(), stop, exhaustive: stop === 'done', engine: engine.name, symmetryPartial: packer.partial, parallel: visitFrom !== Infinity };
}

const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** Depth of a stored state: its number of parent links (BFS order: the last is deepest). */
export function depthOf(store: StateStore, idx: number): number {
  let d = 0;
  for (let j = idx; j > 0; j = store.parentOf(j)) d++;
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
  for (let j = idx; j > 0; j = store.parentOf(j)) path.push(j);
  path.reverse();
  let cur = variants.map(() => initialState(space.cfg));
  const states: State[][] = [cur];
  const trace: TraceStep[] = [];
  const buf = new Uint32Array(space.words);
  const names = variants.map((v) => v.name);
  const advance = (pick: (op: SpecOp, steps: Step[], succ: Uint32Array | null) => boolean): void => {
    for (const op of space.templates) {
      if (!variants.every((v, k) => enabled(space, v, cur[k], op))) continue;
      const steps = variants.map((v, k) => step(v, space.cfg, cur[k], op));
      const after = steps.map((s) => s.state);
      let succ: Uint32Array | null = null;
      if (!after.some((s) => beyondBounds(space, s))) { encode(space, after, buf); succ = buf; }
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

