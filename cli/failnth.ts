/** The fail-nth sweep as text (a table within 80 columns, one total line, the failures) and as JSON. */
import { failNthSweep, sweepTraces, type FailNthReport, type FailNthTarget } from '../conformance/failnth.ts';
import { formatOp, type Setup, type VariantName } from '../vocab/index.ts';
import type { Io } from './io.ts';
import { shq } from './shell.ts';

/** The sweep for each variant over seeded runs on the setups (null: random setups), with progress on stderr. */
export async function runFailNth(target: FailNthTarget & { readonly failed?: unknown }, variants: readonly VariantName[], setups: readonly { setup: Setup | null }[],
  runs: number, seed: number, maxSteps: number, io: Io): Promise<FailNthReport[]> {
  const sweeps: FailNthReport[] = [];
  for (const variant of variants) {
    const traces = sweepTraces(variant, setups.map((s) => s.setup), runs, seed, maxSteps);
    // A progress line every few seconds once the sweep has run that long, and the last one then.
    let last = Date.now(), shown = false;
    sweeps.push(await failNthSweep(target, variant, traces, {
      progress: (done, total) => {
        if (!io.progress || Date.now() - last < 3000 && !(done === total && shown)) return;
        last = Date.now();
        shown = true;
        io.err(`fail-nth ${variant}: ${done}/${total} runs\n`);
      },
    }));
    if (target.failed) break;
  }
  return sweeps;
}

const cell = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}~` : s.padEnd(w));
const num = (n: number): string => n.toLocaleString('en-US');

/** Words of `text` in lines of at most 80 columns, the first after `first`, the rest after `rest`. */
function wrap(text: string, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const lead = line === first || line === rest ? '' : ' ';
    if (line.length + lead.length + word.length > 80 && line.trim() !== '') { out.push(line); line = rest + word; } else line += lead + word;
  }
  out.push(line);
  return out;
}

export function renderFailNth(r: FailNthReport, replay: { base: readonly string[]; seed: number; runs: number; maxSteps: number; setups: readonly string[] }): string[] {
  const out = [`Fail-nth on ${r.variant}: each fallible call of each operation failed once;`, '  the spec says what each failure returns and leaves.'];
  if (r.injected === 0 && r.broke === null) out.push('  no operation made a fallible call: nothing was injected');
  else {
    // One row per operation, failure point and outcome; the sites of each point below.
    const grouped = new Map<string, { op: string; point: string; outcome: string; sites: Set<string>; held: number; failed: number }>();
    const sites = new Map<string, Set<string>>();
    for (const row of r.rows) {
      const key = `${row.op}\0${row.point}\0${row.outcome}`;
      const g = grouped.get(key) ?? { op: row.op, point: row.point, outcome: row.outcome, sites: new Set<string>(), held: 0, failed: 0 };
      grouped.set(key, g);
      g.sites.add(row.site);
      g.held += row.held;
      g.failed += row.failed;
      sites.set(row.point, (sites.get(row.point) ?? new Set<string>()).add(row.site.split(' ')[0]));
    }
    out.push(`  ${cell('operation', 12)} ${cell('failure point', 14)} ${cell('outcome (spec rules)', 32)} ${'held'.padStart(7)} ${'failed'.padStart(6)}`);
    const rows = [...grouped.values()].sort((a, b) => a.op.localeCompare(b.op) || a.point.localeCompare(b.point) || a.outcome.localeCompare(b.outcome));
    for (const g of rows)
      out.push(`  ${cell(g.op, 12)} ${cell(g.point, 14)} ${cell(g.outcome, 32)} ${num(g.held).padStart(7)} ${num(g.failed).padStart(6)}`);
    out.push('  Sites (file:line of the call made to fail):');
    for (const [point, set] of [...sites].sort((a, b) => a[0].localeCompare(b[0]))) {
      let line = `    ${point}:`;
      for (const site of [...set].sort()) {
        if (line.length + site.length + 1 > 78) { out.push(line); line = `      `; }
        line += ` ${site}`;
      }
      out.push(line);
    }
  }
  out.push(`  Total: ${num(r.injected)} injected, ${num(r.held)} held, ${num(r.failed)} failed, ${num(r.leaked)} leaked (${num(r.ops)} ops, ${num(r.traces)} runs)`);
  if (r.broke) out.push(...wrap(`The built program broke during the sweep: ${r.broke}`, '  ', '    '));
  for (const f of r.failures) {
    out.push('', ...wrap(`FAILED: ${f.message}`, '  ', '    '));
    if (f.fromSteps !== undefined && f.fromSteps > f.trace.length) out.push(`    (shrunk from ${f.fromSteps} operations to ${f.trace.length})`);
    out.push(`    setup: ${f.setup.devices.map((d) => `${d.name}:${d.ssidBits}${d.iommu === null ? '(no iommu)' : ''}`).join(' ')}; mms ${f.setup.mms.join(' ')}`);
    f.trace.forEach((op, i) => out.push(`    ${String(i + 1).padStart(3)}. ${formatOp(op)}${i === f.trace.length - 1 && f.nth > 0 ? `   <- fallible call ${f.nth} fails` : ''}`));
    for (const d of f.details.slice(0, 8)) out.push(...wrap(d, '    ', '      '));
  }
  if (r.failed > 0 || r.broke) {
    const cmd = [...replay.base, '--variant', r.variant, '--no-library', '--seed', String(replay.seed),
      '--runs', String(replay.runs), '--max-steps', String(replay.maxSteps), ...replay.setups.map(shq)].join(' ');
    out.push('', `  replay: ${cmd}`);
  }
  return out;
}

export function failNthJson(r: FailNthReport): unknown {
  return {
    variant: r.variant, runs: r.traces, operations: r.ops, injected: r.injected, held: r.held, failed: r.failed, leaked: r.leaked, broke: r.broke,
    rows: r.rows.map((x) => ({ op: x.op, point: x.point, site: x.site, outcome: x.outcome, held: x.held, failed: x.failed })),
    failures: r.failures.map((f) => ({ message: f.message, nth: f.nth, site: f.site, point: f.point, setup: f.setup, trace: f.trace.map(formatOp), details: f.details })),
  };
}
