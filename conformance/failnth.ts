/**
 * Every allocation fails once, with the spec as the oracle (like the kernel's iommufd_fail_nth
 * selftest, plus an oracle for what a failed allocation must leave behind).
 *
 * For each operation of each run, the run is replayed up to that operation, and the operation
 * is sent again with its 1st, 2nd, ... fallible call failing (PROTOCOL.md §11, capability
 * fail_nth), until every call it makes has failed once. After each injected failure:
 * - the result equals the spec's for a failure at that point (spec rules N1-N7: the errno,
 *   and what the variant's unwinding leaves: upstream keeps a new PASID, S6; v2 rolls it back, V7);
 * - the observable state abstracts to the spec's state after that failure, and every spec
 *   invariant holds on it;
 * - after the implementation's own teardown (capability leaks) nothing is held: objects,
 *   PASIDs, ASIDs, CD entries, mm references.
 */
import fc from 'fast-check';
import { checkInvariants, defaultProbes, pasidsInUse, SpecDriver, BUILTIN_VARIANTS } from '../spec/index.ts';
import { FAIL_POINTS, formatOp, formatResult, sameResult, type FailNthCapable, type FailPoint, type Observation, type SvaAdapter, type Op, type OpName, type Result, type Setup, type VariantName } from '../vocab/index.ts';
import { diffObservations } from './abstraction.ts';
import { scenarioArb, scenarioOps } from './check.ts';

/** An implementation the sweep can drive: an adapter with the fail-nth capability. */
export type FailNthTarget = SvaAdapter & FailNthCapable;

/** A run to sweep: a setup and the operations (those the caller contract forbids are skipped). */
export interface SweepTrace { readonly setup: Setup; readonly ops: readonly Op[] }

/** One line of the table: an operation, a failure point, and what the failure gave. */
export interface FailNthRow {
  readonly op: OpName;
  readonly point: string;
  readonly site: string;
  /** The result and the spec rules that decided it, e.g. `ENOMEM (N3, V7)`. */
  readonly outcome: string;
  held: number;
  failed: number;
}

export interface FailNthFailure {
  readonly setup: Setup;
  /** The operations run; the last one is the one whose allocation failed. */
  readonly trace: readonly Op[];
  readonly nth: number;
  /** How many operations the run had up to the failing one, before shrinking. */
  readonly fromSteps?: number;
  readonly site: string;
  readonly point: string;
  readonly message: string;
  readonly details: readonly string[];
}

export interface FailNthReport {
  readonly variant: VariantName;
  readonly traces: number;
  /** Operations that made at least one fallible call, and the injected failures over them. */
  readonly ops: number;
  readonly injected: number;
  readonly held: number;
  readonly failed: number;
  readonly leaked: number;
  readonly rows: readonly FailNthRow[];
  /** The first failures (at most `maxFailures`). */
  readonly failures: readonly FailNthFailure[];
  /** The implementation broke (crashed, hung, broke the protocol) during the sweep. */
  readonly broke: string | null;
}

export interface SweepOptions {
  /** Failures kept in the report (the sweep goes on counting). Default 5. */
  readonly maxFailures?: number;
  readonly progress?: (done: number, total: number) => void;
}

/** Seeded random runs over the given setups (null: random small setups), as the conformance runner makes them. */
export function sweepTraces(variant: VariantName, setups: readonly (Setup | null)[], runs: number, seed: number, maxSteps: number): SweepTrace[] {
  const out: SweepTrace[] = [];
  setups.forEach((setup, i) => {
    const arb = scenarioArb(variant, { setup: setup ?? undefined, maxSteps });
    for (const scenario of fc.sample(arb, { seed: (seed + i * 7919) | 0, numRuns: runs })) out.push({ setup: scenario[0], ops: scenarioOps(scenario) });
  });
  return out;
}

const isPoint = (p: string): p is FailPoint => (FAIL_POINTS as readonly string[]).includes(p);
const NTH_RULE = /^N[1-7]$/;

/**
 * A second SVA domain for the same mm and IOMMU (N6) is the kernel's real answer, which the
 * spec's state (users per mm and IOMMU) counts as one: compare users per IOMMU for it.
 */
function perIommu(obs: Observation): Observation {
  return {
    ...obs,
    mms: obs.mms.map((m) => {
      const users = new Map<string, number>();
      for (const d of m.domains) users.set(d.iommu, (users.get(d.iommu) ?? 0) + d.users);
      return { ...m, domains: [...users].map(([iommu, u]) => ({ iommu, users: u })) };
    }),
  };
}

/** The executed operations (contract-respecting) of a trace, with the spec's result of each. */
function executed(setup: Setup, variant: VariantName, ops: readonly Op[]): { run: Op[]; results: Result[] } {
  const d = new SpecDriver(setup, BUILTIN_VARIANTS[variant]);
  const run: Op[] = [], results: Result[] = [];
  for (const op of ops) {
    if (d.breach(op) !== null) continue;
    results.push(d.apply(op).result);
    run.push(op);
  }
  return { run, results };
}

const siteOf = (site: string): string => site.replace(/^.*\//, '');

export async function failNthSweep(adapter: FailNthTarget, variant: VariantName, traces: readonly SweepTrace[], options: SweepOptions = {}): Promise<FailNthReport> {
  const maxFailures = options.maxFailures ?? 5;
  const rows = new Map<string, FailNthRow>();
  const failures: FailNthFailure[] = [];
  const totals = { ops: 0, injected: 0, held: 0, failed: 0, leaked: 0 };
  let broke: string | null = null;
  const report = (): FailNthReport => ({ variant, traces: traces.length, ...totals, rows: [...rows.values()], failures, broke });

  for (const [t, trace] of traces.entries()) {
    options.progress?.(t, traces.length);
    const { run, results } = executed(trace.setup, variant, trace.ops);
    let replies: { result: Result; info: { calls: number } }[];
    try {
      await adapter.configure(trace.setup, variant);
      replies = await Promise.all(run.map((op) => adapter.applyTracked(op)));
    } catch (e) { broke = (e as Error).message; return report(); }
    const differs = replies.findIndex((r, i) => !sameResult(r.result, results[i]));
    if (differs >= 0) {                                                  // the plain run fails already: no sweep
      totals.failed++;
      if (failures.length < maxFailures) failures.push({ setup: trace.setup, trace: run.slice(0, differs + 1), nth: 0, site: '-', point: '-',
        message: `without any injected failure, ${formatOp(run[differs])} gives ${formatResult(replies[differs].result)} where the spec gives ${formatResult(results[differs])}`, details: [] });
      continue;
    }
    const calls = replies.map((r) => r.info.calls);

    for (let k = 0; k < run.length; k++) {
      if (calls[k] === 0) continue;
      totals.ops++;
      for (let n = 1; n <= calls[k]; n++) {
        totals.injected++;
        let verdict: { failure: Omit<FailNthFailure, 'setup' | 'trace' | 'nth'> | null; leaked: boolean; row: Omit<FailNthRow, 'held' | 'failed'> };
        try { verdict = await attempt(adapter, variant, trace.setup, run.slice(0, k), run[k], n); } catch (e) {
          broke = `${(e as Error).message} (while failing call ${n} of ${formatOp(run[k])}, step ${k + 1})`;
          return report();
        }
        const key = `${verdict.row.op}\0${verdict.row.point}\0${verdict.row.site}\0${verdict.row.outcome}`;
        const row = rows.get(key) ?? { ...verdict.row, held: 0, failed: 0 };
        rows.set(key, row);
        if (verdict.failure === null) { row.held++; totals.held++; continue; }
        row.failed++;
        totals.failed++;
        if (verdict.leaked) totals.leaked++;
        if (failures.length < maxFailures) {
          const shrunk = await shrinkFailure(adapter, variant, trace.setup, run.slice(0, k), run[k], n, verdict.failure);
          failures.push({ ...shrunk.failure, setup: trace.setup, trace: [...shrunk.prefix, run[k]], nth: shrunk.nth, fromSteps: k + 1 });
        }
      }
    }
  }
  options.progress?.(traces.length, traces.length);
  return report();
}

/**
 * A shorter prefix that still fails `op` the same way: drop one earlier operation at a time
 * (the contract decides which remain), find the call made at the same site, and keep the
 * shorter prefix when the same check fails there again.
 */
async function shrinkFailure(adapter: FailNthTarget, variant: VariantName, setup: Setup, prefix: readonly Op[], op: Op, nth: number,
  failure: Omit<FailNthFailure, 'setup' | 'trace' | 'nth'>): Promise<{ prefix: Op[]; nth: number; failure: Omit<FailNthFailure, 'setup' | 'trace' | 'nth'> }> {
  let best = { prefix: [...prefix], nth, failure };
  const kind = (m: string) => m.replace(/\d+/g, '#').slice(0, 40);
  for (let i = best.prefix.length - 1; i >= 0; i--) {
    const candidate = [...best.prefix.slice(0, i), ...best.prefix.slice(i + 1)];
    const { run } = executed(setup, variant, [...candidate, op]);
    if (run.length === 0 || run[run.length - 1] !== op) continue;        // op itself is no longer allowed
    const kept = run.slice(0, -1);
    await adapter.configure(setup, variant);
    const replies = await Promise.all(run.map((o) => adapter.applyTracked(o)));
    const calls = replies[replies.length - 1].info.calls;
    for (let n = 1; n <= calls; n++) {
      const again = await attempt(adapter, variant, setup, kept, op, n);
      if (again.failure !== null && again.failure.site === failure.site && kind(again.failure.message) === kind(failure.message)) {
        best = { prefix: kept, nth: n, failure: again.failure };
        i = Math.min(i, kept.length);
        break;
      }
    }
  }
  return best;
}

/** Replay `prefix`, run `op` with its n-th fallible call failing, and hold the outcome to the spec. */
async function attempt(adapter: FailNthTarget, variant: VariantName, setup: Setup, prefix: readonly Op[], op: Op, n: number) {
  const driver = new SpecDriver(setup, BUILTIN_VARIANTS[variant]);
  for (const p of prefix) driver.apply(p);
  await adapter.configure(setup, variant);
  const replies = await Promise.all([...prefix.map((p) => adapter.applyTracked(p)), adapter.applyTracked(op, n)]);
  const { result, info } = replies[replies.length - 1];
  const site = info.injected ? siteOf(info.injected.site) : '-';
  const point = info.injected?.point ?? '-';
  const fail = (message: string, details: string[] = [], leaked = false, outcome = formatResult(result)) =>
    ({ failure: { site, point, message, details }, leaked, row: { op: op.op, point, site, outcome } });
  if (info.injected === null)
    return fail(`call ${n} of ${info.calls} was not reached on replay: the implementation is not deterministic`);
  if (!isPoint(point))
    return fail(`the failing call (${site}) is at no failure point the spec knows (${point}): no spec outcome to compare with`);
  const applied = driver.apply(op, point);
  const rules = [applied.rule, ...applied.effects];
  // A success is shown as "PASID", not its value, so that one row gathers one outcome.
  const outcome = `${applied.result.kind === 'pasid' ? 'PASID' : formatResult(applied.result)} (${rules.join(', ')})`;
  if (!rules.some((r) => NTH_RULE.test(r)))
    return fail(`the implementation failed an allocation at ${point} (${site}), where the spec's ${formatOp(op)} makes none (it gives ${outcome})`, [], false, outcome);
  if (!sameResult(applied.result, result))
    return fail(`${formatOp(op)} with ${point} failing (${site}): spec ${formatResult(applied.result)}, impl ${formatResult(result)}`, [], false, outcome);

  const probes = defaultProbes(driver.cfg, pasidsInUse(driver.state));
  const [implObs, leaks] = await Promise.all([adapter.observe(probes), adapter.leaks()]);
  const secondDomain = rules.includes('N6');
  const spec = secondDomain ? perIommu(driver.observe(probes)) : driver.observe(probes);
  const impl = secondDomain ? perIommu(implObs) : implObs;
  const ctx = { cfg: driver.cfg, variant: driver.variant, kernelHeld: driver.state.kernelHeld };
  const specBreaks = new Set(checkInvariants({ ...ctx, obs: spec }).map((v) => v.invariant));
  const broken = checkInvariants({ ...ctx, obs: impl }).filter((v) => !specBreaks.has(v.invariant));
  if (broken.length > 0)
    return fail(`after ${point} failed (${site}): invariant ${broken[0].invariant} (${broken[0].rule}) fails: ${broken[0].reason}`, diffObservations(spec, impl), false, outcome);
  const diff = diffObservations(spec, impl);
  if (diff.length > 0)
    return fail(`after ${point} failed (${site}), the state differs from the spec's: ${diff[0]}`, diff, false, outcome);
  const held = Object.entries(leaks.counts).filter(([, c]) => c > 0);
  if (held.length > 0)
    return fail(`after ${point} failed (${site}) and a full teardown, still held: ${held.map(([k, c]) => `${c} ${k}`).join(', ')}`, [...leaks.list], true, outcome);
  return { failure: null, leaked: false, row: { op: op.op, point, site, outcome } };
}
