/**
 * The mutant kill table: each mutant fixture run through the conformance property tests in
 * every variant it breaks; which check caught it, the shrunk trace length, the time.
 */
import type { VariantName } from '../vocab/index.ts';
import { CHECKS, checkAdapter, type ConformanceReport, type Counterexample } from './check.ts';
import type { Mutant } from './mutants/index.ts';

export interface KillRow {
  readonly mutant: string;
  readonly rule: string;
  readonly variants: readonly VariantName[];
  /** The variants where the property tests caught it. */
  readonly caught: readonly VariantName[];
  /** The shortest counterexample over the variants (null: not caught anywhere). */
  readonly shortest: (Counterexample & { variant: VariantName }) | null;
  readonly timeMs: number;
  readonly reports: readonly ConformanceReport[];
}

export interface KillOptions {
  /** Fixed by default so the table is the same on every machine. */
  readonly seed?: number;
  /** Sequences per variant before giving up on a mutant. Default 500. */
  readonly runs?: number;
  readonly maxSteps?: number;
  readonly onRow?: (row: KillRow) => void;
}

export const KILL_SEED = 20260521;

export const caughtBy = (f: Counterexample): string =>
  f.check === 'invariant' && f.invariant ? `invariant ${f.invariant.invariant} (${f.invariant.rule})` : CHECKS[f.check].title;

export async function killMutant(m: Mutant, options: KillOptions = {}): Promise<KillRow> {
  const started = performance.now();
  const reports: ConformanceReport[] = [];
  for (const variant of m.variants) {
    reports.push(await checkAdapter(m.create(), {
      variant, seed: options.seed ?? KILL_SEED, runs: options.runs ?? 500, maxSteps: options.maxSteps,
      replay: (seed, path) => `svacheck mutants ${m.name} --seed ${seed}   # fast-check path ${path}`,
    }));
  }
  let shortest: KillRow['shortest'] = null;
  for (const r of reports) {
    if (r.failure && (shortest === null || r.failure.trace.length < shortest.trace.length)) shortest = { ...r.failure, variant: r.variant };
  }
  return {
    mutant: m.name, rule: m.rule, variants: m.variants,
    caught: reports.filter((r) => r.failure !== undefined).map((r) => r.variant),
    shortest, timeMs: Math.round(performance.now() - started), reports,
  };
}

export async function runKillTable(mutants: readonly Mutant[], options: KillOptions = {}): Promise<KillRow[]> {
  const rows: KillRow[] = [];
  for (const m of mutants) {
    const row = await killMutant(m, options);
    options.onRow?.(row);
    rows.push(row);
  }
  return rows;
}

/** `mutant | rule | caught in | caught by (check) | trace length | time`, aligned. */
export function formatKillTable(rows: readonly KillRow[]): string {
  const head = ['mutant', 'rule', 'caught in', 'caught by (check)', 'trace', 'time'];
  const body = rows.map((r) => [
    r.mutant, r.rule,
    `${r.caught.length}/${r.variants.length}${r.caught.length < r.variants.length ? ' MISSED' : ''}`,
    r.shortest ? `${caughtBy(r.shortest)} [${r.shortest.variant}]` : 'NOT CAUGHT',
    r.shortest ? String(r.shortest.trace.length) : '-',
    `${(r.timeMs / 1000).toFixed(2)}s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  const killed = rows.filter((r) => r.caught.length === r.variants.length).length;
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '',
    `${killed}/${rows.length} mutants caught in every variant they break`].join('\n') + '\n';
}
