/**
 * The review report as text (plain ASCII, at most 80 columns, safe to paste into a mail) and
 * as Markdown. JSON is the ReportData itself (report/schema.json).
 */
import { ascii, hanging, wrap, WIDTH } from '../conformance/litmus/index.ts';
import type { VariantName } from '../vocab/index.ts';
import { FINDING_KINDS } from './findings.ts';
import type { ReportData } from './build.ts';

const ABBREV: Record<VariantName, string> = { upstream: 'upstream', v1: 'v1', v2: 'v2', 'per-device': 'per-dev' };

/** Fit a line into WIDTH: long lines are folded with a 4-space continuation. */
function fold(line: string): string[] {
  const a = ascii(line);
  if (a.length <= WIDTH) return [a];
  const out = [a.slice(0, WIDTH)];
  for (let i = WIDTH; i < a.length; i += WIDTH - 4) out.push(`    ${a.slice(i, i + WIDTH - 4)}`);
  return out;
}

function header(r: ReportData): string[] {
  const devs = r.setup.devices.map((d) => `${d.name} (${d.ssidBits} SSID bit${d.ssidBits === 1 ? '' : 's'})`).join(', ');
  return [
    `svacheck ${r.svacheck} review report (schema ${r.schema})`,
    `spec ${r.specHash}  seed ${r.seed}`,
    ...hanging('setup: ', `${devs}; processes ${r.setup.mms.join(', ')}; behind one SMMUv3.`),
  ];
}

function litmusSection(r: ReportData): string[] {
  const vs = r.litmus.summary.map((s) => s.variant);
  const nameWidth = WIDTH - vs.length * 9 - 1;
  const lines = [`1. Litmus library: ${r.litmus.scenarios} scenarios x ${vs.length} variants (- : not applicable)`, ''];
  lines.push(`${'scenario'.padEnd(nameWidth)} ${vs.map((v) => ABBREV[v].padEnd(9)).join('')}`.trimEnd());
  for (const row of r.litmus.table) {
    const name = row.scenario.length > nameWidth ? `${row.scenario.slice(0, nameWidth - 1)}~` : row.scenario.padEnd(nameWidth);
    lines.push(`${name} ${vs.map((v) => (row.verdicts[v] === 'Malformed' ? 'Malf' : row.verdicts[v]).padEnd(9)).join('')}`.trimEnd());
  }
  lines.push('');
  for (const s of r.litmus.summary) lines.push(`${s.variant.padEnd(11)} ${s.Ok} Ok, ${s.No} No, ${s.Malformed} Malformed, ${s.Crash} Crash`);
  return lines;
}

function modelSection(r: ReportData): string[] {
  const m = r.modelConfig;
  const b = m.bounds;
  const lines = [
    `2. Model checking: configuration ${m.name} (${m.source})`,
    ...wrap(`devices ${m.devices.map((d) => `${d.name}:${d.ssidBits}`).join(' ')}, ${m.processes} processes, operations ${m.ops.join(' ')}; bounds: handle users <= ${b.handleUsers}, alloc_global holders <= ${b.allocGlobalHolders}, local PASIDs tried ${b.pasids}, depth ${b.depth === 0 ? 'unbounded' : b.depth}; symmetry ${m.symmetry ? 'on' : 'off'}.`, 3),
    '',
    `variant     result           states   depth  time  invariants      availability`,
  ];
  for (const x of r.model) {
    const result = x.exhaustive ? 'exhaustive' : 'NOT exhaustive';
    const inv = x.violations.length === 0 ? `${x.invariants} hold` : `${x.violations.length} broken${x.violations.every((v) => v.expected) ? ' (exp.)' : ''}`;
    lines.push(`${x.variant.padEnd(11)} ${result.padEnd(15)} ${String(x.distinct).padStart(7)} ${String(x.depth).padStart(7)} ${`${x.seconds.toFixed(1)}s`.padStart(5)}  ${inv.padEnd(15)} ${x.availability.length}`);
    for (const v of x.violations) lines.push(...wrap(`broken: ${v.invariant} (${v.rule})${v.expected ? ', expected' : ''}`, 12));
  }
  return lines;
}

function diffSection(r: ReportData): string[] {
  const lines = ['3. Variant differences (shortest diverging traces)'];
  for (const d of r.diffs) {
    lines.push('');
    if (d.status !== 'different') { lines.push(`${d.a} vs ${d.b}: ${d.status === 'equivalent' ? 'equivalent within these bounds' : 'no difference found before the bound (not exhaustive)'}`); continue; }
    lines.push(`${d.a} vs ${d.b}: differ at step ${d.step}`);
    for (const l of d.lines) lines.push(...fold(`  ${l.trim()}`));
  }
  return lines;
}

function conformanceSection(r: ReportData): string[] {
  const lines = ['4. Conformance of impl (builtin) against the spec', ''];
  for (const c of r.conformance) {
    lines.push(`${c.variant.padEnd(11)} ${c.ok ? 'pass' : 'FAIL'}  ${c.runs} runs, ${c.checked} ops checked, seed ${c.seed}`);
    if (c.failure) lines.push(...wrap(c.failure, 12));
  }
  return lines;
}

function findingsSection(r: ReportData): string[] {
  const lines = ['5. Findings'];
  if (r.findings.length === 0) return [...lines, '', 'none'];
  // What each kind of finding means, for the kinds present.
  for (const kind of new Set(r.findings.map((f) => f.kind))) lines.push('', ...hanging(`${FINDING_KINDS[kind].title}: `, FINDING_KINDS[kind].explanation));
  for (const f of r.findings) {
    lines.push('', ...hanging(`${f.id} [${FINDING_KINDS[f.kind].title}] `, f.headline));
    lines.push(...wrap(f.explanation, 3));
    lines.push('   shortest trace (litmus):');
    for (const l of traceLines(f.litmus)) lines.push(...fold(`     ${l}`));
    lines.push(...hanging('   replay: ', f.replay));
  }
  return lines;
}

/** The litmus text without comments and the prose fields (doc, source): the finding says them. */
function traceLines(litmus: string): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const l of litmus.split('\n')) {
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (/^[a-z_]+:/.test(l)) skipping = /^(doc|source):/.test(l);
    if (!skipping) out.push(l);
  }
  return out;
}

export function renderText(r: ReportData): string {
  const rule = '-'.repeat(WIDTH);
  const verdict = r.exitCode === 0
    ? 'Verdict: every check held; the findings above are documented design findings.'
    : 'Verdict: a check FAILED (see the findings that are not marked expected).';
  const sections = [header(r), litmusSection(r), modelSection(r), diffSection(r), conformanceSection(r), findingsSection(r), wrap(verdict, 0)];
  return sections.map((s) => s.join('\n')).join(`\n${rule}\n`) + '\n';
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
    `Configuration \`${r.modelConfig.name}\`: ${r.modelConfig.processes} processes, devices ${r.modelConfig.devices.map((d) => `${d.name} (${d.ssidBits} bits)`).join(', ')}.`, '',
    '| variant | exhaustive | states | depth | seconds | broken invariants | availability findings |', '|---|---|---|---|---|---|---|',
    ...r.model.map((m) => `| ${m.variant} | ${m.exhaustive ? 'yes' : 'no'} | ${m.distinct} | ${m.depth} | ${m.seconds} | ${m.violations.map((v) => `${v.invariant} (${v.rule})${v.expected ? ' expected' : ''}`).join(', ') || 'none'} | ${m.availability.map((a) => `${a.kind} (${a.rule})`).join(', ') || 'none'} |`), '',
    '## 3. Variant differences', '',
    ...r.diffs.flatMap((d) => [`**${d.a} vs ${d.b}**: ${d.status === 'different' ? `differ at step ${d.step}` : d.status}`, '', ...(d.lines.length ? ['```', ...d.lines.map((l) => l.trim()), '```', ''] : [])]),
    '## 4. Conformance of impl against the spec', '',
    '| variant | verdict | runs | ops checked | seed |', '|---|---|---|---|---|',
    ...r.conformance.map((c) => `| ${c.variant} | ${c.ok ? 'pass' : `FAIL: ${c.failure}`} | ${c.runs} | ${c.checked} | ${c.seed} |`), '',
    '## 5. Findings', '',
    ...[...new Set(r.findings.map((f) => f.kind))].map((k) => `- *${FINDING_KINDS[k].title}*: ${FINDING_KINDS[k].explanation}`), '',
    ...r.findings.flatMap((f) => [
      `### ${f.id}. ${f.headline}`, '', `*${FINDING_KINDS[f.kind].title}*, rule \`${f.rule}\`${f.expected ? ' (documented)' : ''}. ${f.explanation}`, '',
      '```yaml', f.litmus.trimEnd(), '```', '', `Replay: \`${f.replay}\``, '',
    ]),
    r.exitCode === 0 ? '**Verdict:** every check held.' : '**Verdict:** a check failed.',
  ];
  return out.join('\n') + '\n';
}
