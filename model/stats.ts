/** Statistics and per-operation coverage of a run, TLC style, and their text rendering. */
import type { OpName, Result } from '../vocab/index.ts';

export interface Stats {
  /** Operations executed (spec steps), queries and failing calls included. */
  transitions: number;
  /** Steps that changed the state (their successor was encoded and looked up). */
  successors: number;
  /** Distinct (canonical) states stored. */
  distinct: number;
  /** Successors cut by the bounds (a handle beyond bounds.handle_users). */
  cut: number;
  /** Greatest depth (operations from the initial state) of a stored state. */
  depth: number;
  /** States stored but not expanded when the run ended. */
  queued: number;
  seconds: number;
  transitionsPerSecond: number;
  distinctPerSecond: number;
  /** Bytes allocated for the visited set divided by distinct states. */
  bytesPerState: number;
  /** Words of 32 bits per encoded state. */
  wordsPerState: number;
  /** Threads the search used: 2 when the visited set went to its own thread (model/parallel.ts). */
  threads: number;
}

export function emptyStats(): Stats {
  return { transitions: 0, successors: 0, distinct: 0, cut: 0, depth: 0, queued: 0, seconds: 0, transitionsPerSecond: 0, distinctPerSecond: 0, bytesPerState: 0, wordsPerState: 0, threads: 1 };
}

export interface OpCoverage { count: number; results: Record<string, number> }
export interface Coverage {
  readonly ops: Partial<Record<OpName, OpCoverage>>;
  /** Rule id → how many transitions it decided or carried out. */
  readonly rules: Record<string, number>;
}

export const emptyCoverage = (): Coverage => ({ ops: {}, rules: {} });

export const resultLabel = (r: Result): string =>
  r.kind === 'errno' ? r.errno : r.kind === 'invalid' ? 'INVALID' : r.kind;

export function cover(c: Coverage, op: OpName, result: Result, rule: string, effects: readonly string[] | undefined): void {
  const entry = (c.ops[op] ??= { count: 0, results: {} });
  entry.count++;
  const label = resultLabel(result);
  entry.results[label] = (entry.results[label] ?? 0) + 1;
  c.rules[rule] = (c.rules[rule] ?? 0) + 1;
  if (effects) for (const e of effects) c.rules[e] = (c.rules[e] ?? 0) + 1;
}

const n = (x: number) => x.toLocaleString('en-US');

export function formatStats(s: Stats): string[] {
  return [
    `${n(s.transitions)} transitions, ${n(s.successors)} states generated, ${n(s.distinct)} distinct states, ${n(s.queued)} left on queue, ${n(s.cut)} cut by bounds.`,
    `Depth ${s.depth}. ${s.seconds.toFixed(2)} s: ${n(Math.round(s.transitionsPerSecond))} transitions/s, ${n(Math.round(s.distinctPerSecond))} distinct states/s.`,
    `Visited set: ${s.wordsPerState} words (${4 * s.wordsPerState} bytes) per encoded state, ${s.bytesPerState.toFixed(1)} bytes allocated per stored state${s.threads > 1 ? ', kept by a second thread' : ''}.`,
  ];
}

export function formatCoverage(c: Coverage, allOps: readonly OpName[]): string[] {
  const lines = ['Coverage (transitions per operation, by result):'];
  for (const op of allOps) {
    const e = c.ops[op];
    if (!e) { lines.push(`  ${op.padEnd(13)} never enabled`); continue; }
    const parts = Object.entries(e.results).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`);
    lines.push(`  ${op.padEnd(13)} ${n(e.count).padStart(11)}  ${parts.join(', ')}`);
  }
  const rules = Object.entries(c.rules).sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }));
  lines.push(`Rules fired: ${rules.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  return lines;
}

export interface Progress { depth: number; transitions: number; distinct: number; queued: number; seconds: number }

export function formatProgress(p: Progress): string {
  const rate = p.seconds > 0 ? Math.round(p.transitions / p.seconds) : 0;
  return `Progress(${p.depth}) at ${p.seconds.toFixed(0)}s: ${n(p.transitions)} transitions (${n(rate)}/s), ${n(p.distinct)} distinct states found, ${n(p.queued)} states left on queue.`;
}
