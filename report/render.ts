/**
 * The review report as text (plain ASCII, at most 80 columns, safe to paste into a mail) and
 * as Markdown. JSON is the ReportData itself (report/schema.json).
 */
import { ascii, WIDTH } from '../conformance/litmus/index.ts';
import type { VariantName } from '../vocab/index.ts';
import { FINDING_KINDS, type Finding } from './findings.ts';
import type { ReportData } from './build.ts';
import { costsMarkdown, costsText } from './costs.ts';

const ABBREV: Record<VariantName, string> = { upstream: 'upstream', v1: 'v1', v2: 'v2', 'per-device': 'per-dev', 'sva-2018': 'sva18', 'ioasid-2020': 'ioas20', 'dma-pasid-2021': 'dma21' };

/**
 * Words of `text` in lines of at most WIDTH columns: the first starts with `first`, the others
 * with `rest`. Words are never cut; a word longer than a line stands alone on its line.
 */
export function para(first: string, text: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const word of ascii(text).split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > WIDTH) { out.push(line); line = rest; empty = true; }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  out.push(line);
  return out.map((l) => l.trimEnd());
}

/**
 * A shell command after `first`: on one line when it fits, else broken between words with a
 * trailing ` \` (the shell's line continuation), so it still pastes as one command.
 */
export function commandLines(first: string, cmd: string): string[] {
  const words = ascii(cmd).match(/(?:[^\s']+|'[^']*')+/g) ?? [''];   // a quoted word is never broken
  const out: string[] = [];
  let line = first + words[0];
  for (const w of words.slice(1)) {
    if (line.length + 1 + w.length > WIDTH - 2) { out.push(`${line} \\`); line = `${' '.repeat(first.length + 2)}${w}`; } else line += ` ${w}`;
  }
  out.push(line);
  return out;
}

function header(r: ReportData): string[] {
  const devs = r.setup.devices.map((d) => `${d.name} (${d.ssidBits} SSID bit${d.ssidBits === 1 ? '' : 's'})`).join(', ');
  return [
    `svacheck ${r.svacheck} review report (schema ${r.schema})`,
    `spec ${r.specHash}  seed ${r.seed}`,
    ...para('setup: ', `${devs}; processes ${r.setup.mms.join(', ')}; behind one SMMUv3.`, '  '),
  ];
}

function litmusSection(r: ReportData): string[] {
  const vs = r.litmus.summary.map((s) => s.variant);
  const abbrev = (v: string): string => ABBREV[v as VariantName] ?? (v.length > 8 ? `${v.slice(0, 7)}~` : v);
  // Each variant's column: its abbreviation or the widest verdict (Crash), and a blank.
  const col = (v: string): number => Math.max(abbrev(v).length, 5) + 1;
  const nameWidth = WIDTH - vs.reduce((n, v) => n + col(v), 0) - 1;
  const lines = [`1. Litmus library: ${r.litmus.scenarios} scenarios x ${vs.length} variants (- : not applicable)`, ''];
  lines.push(`${'scenario'.padEnd(nameWidth)} ${vs.map((v) => abbrev(v).padEnd(col(v))).join('')}`.trimEnd());
  for (const row of r.litmus.table) {
    const name = row.scenario.length > nameWidth ? `${row.scenario.slice(0, nameWidth - 1)}~` : row.scenario.padEnd(nameWidth);
    lines.push(`${name} ${vs.map((v) => (row.verdicts[v] === 'Malformed' ? 'Malf' : row.verdicts[v]).padEnd(col(v))).join('')}`.trimEnd());
  }
  lines.push('');
  const vw = Math.max(11, ...vs.map((v) => v.length));
  for (const s of r.litmus.summary) lines.push(`${s.variant.padEnd(vw)} ${s.Ok} Ok, ${s.No} No, ${s.Malformed} Malformed, ${s.Crash} Crash`);
  lines.push('', 'Any scenario step by step, with the rules that decided each result:', '  npx svacheck replay v2-sticky-local-mode');
  return lines;
}

function modelSection(r: ReportData): string[] {
  const m = r.modelConfig;
  const b = m.bounds;
  const states = Math.max(8, ...r.model.map((x) => String(x.distinct).length));
  const vw = Math.max(11, ...r.model.map((x) => x.variant.length));
  const lines = [
    ...para('2. Model checking: ', `configuration ${m.name} (${m.source})`, '   '),
    ...para('   ', `devices ${m.devices.map((d) => `${d.name}:${d.ssidBits}`).join(' ')}, ${m.processes} processes, operations ${m.ops.join(' ')}; bounds: handle users <= ${b.handleUsers}, alloc_global holders <= ${b.allocGlobalHolders}, local PASIDs tried ${b.pasids}, depth ${b.depth === 0 ? 'unbounded' : b.depth}; symmetry ${m.symmetry ? 'on' : 'off'}.`, '     '),
    '',
    `${'variant'.padEnd(vw)} ${'result'.padEnd(14)} ${'states'.padStart(states)} ${'depth'.padStart(5)} ${'time'.padStart(6)}  invariants      avail.`,
  ];
  for (const x of r.model) {
    const result = x.exhaustive ? 'exhaustive' : 'NOT exhaustive';
    const inv = x.violations.length === 0 ? `${x.invariants} hold` : `${x.violations.length} broken${x.violations.every((v) => v.expected) ? ' (exp.)' : ''}`;
    lines.push(`${x.variant.padEnd(vw)} ${result.padEnd(14)} ${String(x.distinct).padStart(states)} ${String(x.depth).padStart(5)} ${`${x.seconds.toFixed(1)}s`.padStart(6)}  ${inv.padEnd(15)} ${x.availability.length}`);
    for (const v of x.violations) lines.push(...para(' '.repeat(12), `broken: ${v.invariant} (${v.rule})${v.expected ? ', expected' : ''}`, ' '.repeat(14)));
  }
  return lines;
}

/** One line per pair: where they first differ, and the finding that holds the trace. */
function diffSection(r: ReportData): string[] {
  const lines = ['3. Variant differences (the first step where two variants give different', '   results; the shortest trace is in the finding named)'];
  for (const d of r.diffs) {
    lines.push('');
    if (d.status !== 'different') { lines.push(...para('', `${d.a} vs ${d.b}: ${d.status === 'equivalent' ? 'equivalent within these bounds' : 'no difference found before the bound (not exhaustive)'}`, '  ')); continue; }
    const last = (d.lines[d.lines.length - 1] ?? '').trim().replace(/\s+\[[^\]]*\]$/, '').replace(/^\d+\.\s*/, '');
    const finding = r.findings.find((f) => f.kind === 'variant-difference' && f.variants.join() === `${d.a},${d.b}`);
    lines.push(...para('', `${d.a} vs ${d.b}: differ at step ${d.step}, ${last}${finding ? ` (finding ${finding.id})` : ''}`, '  '));
  }
  return lines;
}

function conformanceSection(r: ReportData): string[] {
  const lines = ['4. Conformance of impl (builtin) against the spec', ''];
  const vw = Math.max(11, ...r.conformance.map((c) => c.variant.length));
  for (const c of r.conformance) {
    lines.push(`${c.variant.padEnd(vw)} ${c.ok ? 'pass' : 'FAIL'}  ${c.runs} run${c.runs === 1 ? '' : 's'}, ${c.checked} op${c.checked === 1 ? '' : 's'} checked, seed ${c.seed}`);
    if (c.failure) lines.push(...para(' '.repeat(12), c.failure, ' '.repeat(14)));
  }
  return lines;
}

/** One finding: headline, explanation, its shortest trace as a runnable litmus file, replay. */
export function findingLines(f: Finding): string[] {
  const lines = [...para('', `${f.id} [${FINDING_KINDS[f.kind].title}] ${f.headline}`, '   ')];
  lines.push(...para('   ', f.explanation, '   '));
  lines.push('   shortest trace (a litmus file, runnable as printed once saved):');
  for (const l of traceLines(f.litmus)) lines.push(ascii(`     ${l}`).trimEnd());
  lines.push(...commandLines('   replay: ', f.replay));
  return lines;
}

function findingsSection(r: ReportData, only?: readonly Finding[]): string[] {
  const lines = ['5. Findings'];
  const shown = only ?? r.findings;
  if (shown.length === 0) return [...lines, '', 'none'];
  // What each kind of finding means, for the kinds present.
  lines.push('');
  for (const kind of new Set(shown.map((f) => f.kind))) lines.push(...para(`${FINDING_KINDS[kind].title}: `, FINDING_KINDS[kind].explanation, '  '));
  for (const f of shown) lines.push('', ...findingLines(f));
  return lines;
}

/** The litmus text without comments and the prose fields (doc, source): the finding says them. */
function traceLines(litmus: string): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const l of litmus.split('\n')) {
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (/^[a-z_]+:/.test(l)) skipping = /^(doc|source):/.test(l);
    if (!skipping) out.push(l.replace(/\s+#.*$/, ''));
  }
  return out;
}

/** The sections of the text report, by number and by name (`--section`). */
export const SECTIONS = ['litmus', 'model', 'diffs', 'conformance', 'findings', 'costs'] as const;
export type SectionName = typeof SECTIONS[number];

export interface TextSelection {
  /** Only these sections (with the header lines). */
  readonly sections?: readonly SectionName[];
  /** Only these findings (with the header lines). */
  readonly findings?: readonly string[];
}

/** Finding ids in a selection that the report does not have. */
export function unknownFindings(r: ReportData, ids: readonly string[]): string[] {
  return ids.filter((id) => !r.findings.some((f) => f.id.toLowerCase() === id.toLowerCase()));
}

export function renderText(r: ReportData, sel: TextSelection = {}): string {
  const rule = '-'.repeat(WIDTH);
  const verdict = r.exitCode === 0
    ? 'Verdict: every check held; the findings above are documented design findings.'
    : 'Verdict: a check FAILED (see the findings that are not marked expected).';
  const all: Record<SectionName, () => string[]> = {
    litmus: () => litmusSection(r), model: () => modelSection(r), diffs: () => diffSection(r),
    conformance: () => conformanceSection(r), findings: () => findingsSection(r), costs: () => costsText(r.costs),
  };
  let sections: string[][];
  if (sel.findings && sel.findings.length > 0) {
    const want = new Set(sel.findings.map((x) => x.toLowerCase()));
    sections = [header(r), findingsSection(r, r.findings.filter((f) => want.has(f.id.toLowerCase())))];
  } else if (sel.sections && sel.sections.length > 0) {
    sections = [header(r), ...SECTIONS.filter((n) => sel.sections!.includes(n)).map((n) => all[n]())];
  } else sections = [header(r), ...SECTIONS.map((n) => all[n]()), para('', verdict, '  ')];
  return sections.map((s) => s.map((l) => l.trimEnd()).join('\n')).join(`\n${rule}\n`) + '\n';
}

export function renderMarkdown(r: ReportData): string {
  const vs = r.litmus.summary.map((s) => s.variant);
  const out: string[] = [
    `# svacheck ${r.svacheck} review report`, '',
    `spec \`${r.specHash}\`, seed \`${r.seed}\`, schema \`${r.schema}\``, '',
    '## 1. Litmus library', '',
    `| scenario | ${vs.join(' | ')} |`, `|---|${vs.map(() => '---').join('|')}|`,
    ...r.litmus.table.map((row) => `| ${row.scenario} | ${vs.map((v) => row.verdicts[v]).join(' | ')} |`), '',
    '## 2. Model checking', '',
    `Configuration \`${r.modelConfig.name}\`: ${r.modelConfig.processes} processes, devices ${r.modelConfig.devices.map((d) => `${d.name} (${d.ssidBits} SSID bit${d.ssidBits === 1 ? '' : 's'})`).join(', ')}.`, '',
    '| variant | exhaustive | states | depth | seconds | broken invariants | availability findings |', '|---|---|---|---|---|---|---|',
    ...r.model.map((m) => `| ${m.variant} | ${m.exhaustive ? 'yes' : 'no'} | ${m.distinct} | ${m.depth} | ${m.seconds} | ${m.violations.map((v) => `${v.invariant} (${v.rule})${v.expected ? ' expected' : ''}`).join(', ') || 'none'} | ${m.availability.map((a) => `${a.kind} (${a.rule})`).join(', ') || 'none'} |`), '',
    '## 3. Variant differences', '',
    // The trace is in the finding (one place), as in the text report.
    ...r.diffs.flatMap((d) => {
      const f = r.findings.find((x) => x.kind === 'variant-difference' && x.variants.join() === `${d.a},${d.b}`);
      return [`- **${d.a} vs ${d.b}**: ${d.status === 'different' ? `differ at step ${d.step}` : d.status}${f ? ` (finding [${f.id}](#${f.id}))` : ''}`];
    }), '',
    '## 4. Conformance of impl against the spec', '',
    '| variant | verdict | runs | ops checked | seed |', '|---|---|---|---|---|',
    ...r.conformance.map((c) => `| ${c.variant} | ${c.ok ? 'pass' : `FAIL: ${c.failure}`} | ${c.runs} | ${c.checked} | ${c.seed} |`), '',
    '## 5. Findings', '',
    ...[...new Set(r.findings.map((f) => f.kind))].map((k) => `- *${FINDING_KINDS[k].title}*: ${FINDING_KINDS[k].explanation}`), '',
    ...r.findings.flatMap((f) => [
      `### ${f.id}: ${f.headline} <a id="${f.id}"></a>`, '', `*${FINDING_KINDS[f.kind].title}*, rule \`${f.rule}\`${f.expected ? ' (documented)' : ''}. ${f.explanation}`, '',
      '```yaml', f.litmus.trimEnd(), '```', '', `Replay: \`${f.replay}\``, '',
    ]),
    ...costsMarkdown(r.costs),
    r.exitCode === 0 ? '**Verdict:** every check held.' : '**Verdict:** a check failed.',
  ];
  return out.join('\n') + '\n';
}
