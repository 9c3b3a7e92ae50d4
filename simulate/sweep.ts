/**
 * The programmatic API under `svacheck simulate`: a workload run on each variant at every
 * value of the swept parameter, `replications` independent runs each, pooled into failure
 * rates with confidence intervals and the mix of reasons.
 */
import { autoEngine, knownVariant, type Engine } from './target.ts';
import { simulateRun, type RunResult, type Tally } from './run.ts';
import { rateOf, type Rate } from './stats.ts';
import { offeredLoad, paramProblem, withParam, type Sweep, type Workload } from './workload.ts';

export type EngineChoice = 'auto' | Engine;

export interface SimulateOptions {
  readonly variants: readonly string[];
  readonly seed: number;
  readonly engine?: EngineChoice;
  readonly sweep?: Sweep;
  readonly replications?: number;
  readonly horizon?: number;
  /** Kernel calls of each impl run checked against the spec (default 0). */
  readonly verify?: number;
  readonly onProgress?: (p: Progress) => void;
}

export interface Progress { readonly runs: number; readonly total: number; readonly ops: number; readonly ms: number }

/** A device's or holder's rate at one point for one variant, with the reasons for failures. */
export interface Cell extends Rate {
  /** reason → failures (errno names, `pool`, `INVALID`). */
  readonly why: Readonly<Record<string, number>>;
}

export interface PointResult {
  readonly value: number;
  /** Mean processes alive if no bind failed, at this point. */
  readonly offered: number;
  readonly byVariant: readonly {
    readonly variant: string;
    readonly devices: Readonly<Record<string, Cell>>;
    readonly holders: Readonly<Record<string, Cell>>;
    readonly ops: number;
    readonly refused: number;
  }[];
}

export interface SimulateResult {
  /** The workload as run: --replications, --horizon (and the warmup it caps) applied. */
  readonly workload: Workload;
  readonly seed: number;
  readonly sweep: Sweep;
  readonly replications: number;
  readonly horizon: number;
  readonly variants: readonly { readonly name: string; readonly engine: Engine }[];
  readonly points: readonly PointResult[];
  /** Kernel calls simulated in all runs. */
  readonly ops: number;
  /** Of which compared with the spec step by step. */
  readonly checked: number;
  /** Wall time (a timing field: differs run to run). */
  readonly ms: number;
}

export class SimulateError extends Error {}

function cell(reps: readonly Tally[]): Cell {
  const why: Record<string, number> = {};
  for (const r of reps) for (const [k, n] of Object.entries(r.why)) why[k] = (why[k] ?? 0) + n;
  return { ...rateOf(reps), why };
}

export function simulate(w0: Workload, opts: SimulateOptions): SimulateResult {
  const sweep = opts.sweep ?? w0.sweep;
  const problem = paramProblem(w0, sweep.param);
  if (problem) throw new SimulateError(problem);
  if (/\.(population|permanent)$/.test(sweep.param) && !sweep.values.every(Number.isInteger))
    throw new SimulateError(`${sweep.param} takes whole numbers, got ${sweep.values.join(', ')}`);
  if (opts.variants.length === 0) throw new SimulateError('no variant to simulate');
  for (const v of opts.variants) if (!knownVariant(v)) throw new SimulateError(`unknown variant '${v}'`);
  const w = { ...w0, replications: opts.replications ?? w0.replications, horizon: opts.horizon ?? w0.horizon, warmup: opts.horizon !== undefined ? Math.min(w0.warmup, opts.horizon / 10) : w0.warmup };
  const variants = opts.variants.map((name) => {
    const engine: Engine = opts.engine === undefined || opts.engine === 'auto' ? autoEngine(name) : opts.engine;
    if (engine === 'impl' && autoEngine(name) !== 'impl') throw new SimulateError(`variant '${name}' has no implementation in impl/; use --engine spec or auto`);
    return { name, engine };
  });
  const t0 = performance.now();
  const total = sweep.values.length * w.replications * variants.length;
  let runs = 0, ops = 0, checked = 0;
  const points: PointResult[] = sweep.values.map((value) => {
    const wp = withParam(w, sweep.param, value);
    const byVariant = variants.map(({ name, engine }) => {
      const results: RunResult[] = [];
      for (let r = 0; r < w.replications; r++) {
        const res = simulateRun(wp, name, { engine, seed: opts.seed, replication: r, verify: engine === 'impl' ? opts.verify : 0 });
        results.push(res);
        ops += res.ops; checked += res.checked; runs++;
        opts.onProgress?.({ runs, total, ops, ms: performance.now() - t0 });
      }
      const per = (pick: (r: RunResult) => Record<string, Tally>, names: readonly string[]) =>
        Object.fromEntries(names.map((n) => [n, cell(results.map((r) => pick(r)[n]))]));
      return {
        variant: name,
        devices: per((r) => r.devices, wp.devices.map((d) => d.name)),
        holders: per((r) => r.holders, wp.holders.map((h) => h.name)),
        ops: results.reduce((s, r) => s + r.ops, 0),
        refused: results.reduce((s, r) => s + r.refused, 0),
      };
    });
    return { value, offered: offeredLoad(wp), byVariant };
  });
  return { workload: w, seed: opts.seed, sweep, replications: w.replications, horizon: w.horizon, variants, points, ops, checked, ms: performance.now() - t0 };
}

/** Devices some process class binds: the rows of the table and the panels of the plot. */
export function boundDevices(w: Workload): string[] {
  return w.devices.map((d) => d.name).filter((d) => w.processes.some((p) => p.binds.some((b) => b.dev === d)));
}
