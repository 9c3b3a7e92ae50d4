/**
 * Plain-ASCII text for litmus runs, at most 80 columns: herd-style verdict lines with their
 * failures, per-variant summaries, the scenario x variant table (reused by the review report),
 * the coverage report, and the stable JSON form (documented in docs/litmus.md).
 */
import type { VariantName } from '../../vocab/index.ts';
import type { Coverage } from './coverage.ts';
import type { FileOutcome } from './library.ts';
import type { Failure, Verdict, VerdictKind } from './run.ts';

export const WIDTH = 80;

/** Replace what is not ASCII, so output survives any terminal and mail client. */
export const ascii = (s: string): string =>
  s.replace(/→/g, '->').replace(/←/g, '<-').replace(/[–—]/g, '-').replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/[^\x00-\x7f]/g, '?');

/** Wrap text to WIDTH with every line indented by `indent` (continuations by two more). */
export function wrap(text: string, indent: number): string[] {
  const out: string[] = [];
  let line = ' '.repeat(indent);
  let fresh = true;
  for (const word of ascii(text).split(/\s+/).filter(Boolean)) {
    if (!fresh && line.length + 1 + word.length > WIDTH) { out.push(line); line = ' '.repeat(indent + 2); fresh = true; }
    line += (fresh ? '' : ' ') + word;
    fresh = false;
  }
  out.push(line);
  return out;
}

/** `prefix` then `text` wrapped under it, continuations aligned after the prefix. */
export function hanging(prefix: string, text: string): string[] {
  const lines = wrap(text, prefix.length);
  lines[0] = ascii(prefix) + lines[0].slice(prefix.length);
  return lines.map((l, i) => (i === 0 ? l : l.slice(2)));
}

/** `Ok        v2          v2-sticky-local-mode` (Malformed is the widest verdict) */
export const verdictLine = (verdict: VerdictKind | 'Malformed', variant: string, name: string): string =>
  ascii(`${verdict.padEnd(10)}${variant.padEnd(11)} ${name}`).slice(0, WIDTH);

function failureLines(file: string, f: Failure): string[] {
  const where = f.step !== undefined ? `${file}:${f.line ?? '?'}: step ${f.step}: ${f.op}` : file;
  return [...wrap(where, 2), ...wrap(f.reason, 4)];
}

/** Verdict lines for one file's outcome, each failure below its verdict. */
export function renderOutcome(o: FileOutcome): string[] {
  if (o.errors.length > 0) {
    const lines = [verdictLine('Malformed', '-', o.name ?? o.file)];
    for (const e of o.errors) {
      const where = `${e.file}${e.line !== undefined ? `:${e.line}` : ''}${e.step !== undefined ? `: step ${e.step}` : ''}`;
      lines.push(...wrap(`${where}: ${e.reason}`, 2));
    }
    return lines;
  }
  return o.verdicts.flatMap((v) => [verdictLine(v.verdict, v.variant, v.name), ...v.failures.flatMap((f) => failureLines(v.file, f))]);
}

export interface VariantSummary { readonly Ok: number; readonly No: number; readonly Malformed: number; readonly Crash: number }

export function summarize<V extends string>(outcomes: readonly FileOutcome[], variants: readonly V[]): Map<V, VariantSummary> {
  const m = new Map<V, VariantSummary>();
  for (const v of variants) {
    const counts = { Ok: 0, No: 0, Malformed: 0, Crash: 0 };
    for (const o of outcomes) for (const x of o.verdicts) if (x.variant === v) counts[x.verdict]++;
    m.set(v, counts);
  }
  return m;
}

/** One line per variant: `v2: 31 Ok, 0 No, 0 Malformed (31 scenarios)`, plus unparsed files. */
export function renderSummary(outcomes: readonly FileOutcome[], variants: readonly string[]): string[] {
  const lines: string[] = [];
  for (const [v, c] of summarize(outcomes, variants)) {
    const n = c.Ok + c.No + c.Malformed + c.Crash;
    lines.push(ascii(`${`${v}:`.padEnd(11)} ${c.Ok} Ok, ${c.No} No, ${c.Malformed} Malformed${c.Crash ? `, ${c.Crash} Crash` : ''} (${n} scenario${n === 1 ? '' : 's'})`));
  }
  const bad = outcomes.filter((o) => o.errors.length > 0).length;
  if (bad > 0) lines.push(`${bad} file${bad === 1 ? '' : 's'} malformed: not run in any variant`);
  return lines;
}

/**
 * The scenario x variant table: one row per scenario, one column per variant, Ok / No /
 * Malf / Crash, `-` where the scenario does not apply to the variant.
 */
export function renderTable(outcomes: readonly FileOutcome[], variants: readonly string[]): string[] {
  const cols = variants.map((v) => Math.max(v.length, 5) + 1);
  const nameWidth = Math.max(8, WIDTH - cols.reduce((a, b) => a + b, 0) - 1);
  const cell = (s: string, i: number) => s.padEnd(cols[i]);
  const short = (s: string) => (s.length > nameWidth ? `${s.slice(0, nameWidth - 1)}~` : s.padEnd(nameWidth));
  const lines = [`${'scenario'.padEnd(nameWidth)} ${variants.map(cell).join('')}`.trimEnd()];
  for (const o of outcomes) {
    const row = variants.map((v, i) => {
      if (o.errors.length > 0) return cell('Malf', i);
      const x = o.verdicts.find((y) => y.variant === v);
      return cell(x ? (x.verdict === 'Malformed' ? 'Malf' : x.verdict) : '-', i);
    });
    lines.push(ascii(`${short(o.name ?? o.file)} ${row.join('')}`.trimEnd()));
  }
  return lines;
}

const ABBREV: Record<VariantName, string> = { upstream: 'up', v1: 'v1', v2: 'v2', 'per-device': 'pd', 'sva-2018': 's18', 'ioasid-2020': 'i20', 'dma-pasid-2021': 'd21' };

/**
 * Per rule: a mark per variant (`x` fired, `.` applies but not fired, blank: does not apply),
 * how many scenarios fired it and their names; uncovered rules flagged; errnos per variant.
 */
export function renderCoverage(c: Coverage): string[] {
  const w = (v: VariantName): number => Math.max(3, ABBREV[v].length + 1);
  const head = `${'rule'.padEnd(10)} ${c.variants.map((v) => ABBREV[v].padEnd(w(v))).join('')} scenarios`;
  const lines = [`Rule coverage: ${c.rules.length - c.uncovered.length} of ${c.rules.length} API rules fired`, head];
  for (const r of c.rules) {
    const marks = c.variants.map((v) => (r.byVariant[v] === undefined ? '' : r.byVariant[v]!.length > 0 ? 'x' : '.').padEnd(w(v))).join('');
    const tail = r.covered ? `${r.files.length}: ${r.files.join(', ')}` : 'UNCOVERED';
    lines.push(...hanging(`${r.id.padEnd(10)} ${marks}`, tail));
  }
  if (c.uncovered.length > 0) lines.push(...wrap(`UNCOVERED rules: ${c.uncovered.join(', ')}`, 0));
  lines.push('', 'Errnos per variant (scenarios producing each):');
  for (const v of c.variants) {
    const e = c.errnos[v]!;
    const seen = e.possible.filter((x) => e.seen[x]).map((x) => `${x}(${e.seen[x]!.length})`).join(' ');
    lines.push(...hanging(`  ${v.padEnd(11)} `, `${seen || '(none)'}${e.missing.length ? `; never produced: ${e.missing.join(' ')}` : ''}`));
  }
  return lines.map(ascii);
}

/** The stable machine form (version 1); see docs/litmus.md. */
export function toJson(outcomes: readonly FileOutcome[], variants: readonly string[], coverage?: Coverage): unknown {
  const summary = Object.fromEntries([...summarize(outcomes, variants)].map(([v, c]) => [v, { ok: c.Ok, no: c.No, malformed: c.Malformed, crash: c.Crash }]));
  const verdictJson = (v: Verdict) => ({
    variant: v.variant, verdict: v.verdict, failures: v.failures, skipped: v.skipped, rules: v.rules, errnos: v.errnos,
  });
  return {
    version: 1,
    variants,
    files: outcomes.map((o) => ({ file: o.file, name: o.name ?? null, errors: o.errors, verdicts: o.verdicts.map(verdictJson) })),
    summary,
    ...(coverage ? { coverage } : {}),
  };
}
