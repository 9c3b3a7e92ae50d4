/**
 * `svacheck mutants [NAME...]`: run the mutant fixtures through the conformance property tests
 * and print the kill table (mutant | rule | caught in | caught by | trace length | time).
 * `--litmus-dir DIR` writes each shrunk counterexample as a litmus file; `--show` prints them.
 * Exit 0 every mutant caught in every variant it breaks, 1 one escaped, 2 usage, 3 broke.
 */
import { formatKillTable, KILL_SEED, killMutant, type KillRow } from '../../conformance/killTable.ts';
import { MUTANT_FIXTURES } from '../../conformance/mutants/index.ts';
import { helpText, intOption, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';
import { OutDir } from '../out.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'seed', kind: 'number', valueName: 'n', description: `fast-check seed (default ${KILL_SEED}, fixed so the table is reproducible)` },
  { name: 'runs', kind: 'number', valueName: 'n', description: 'random sequences per variant before a mutant counts as escaped (default 500)' },
  { name: 'show', kind: 'boolean', description: "print each mutant's shrunk counterexample as a litmus file" },
  { name: 'litmus-dir', kind: 'string', valueName: 'dir', description: 'write each shrunk counterexample to DIR/<mutant>-<variant>.litmus.yaml' },
  { name: 'list', kind: 'boolean', description: 'list the mutants (name, rule, variants, description) and exit' },
  { name: 'json', kind: 'boolean', description: 'print the table as JSON' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck mutants [options] [MUTANT ...]

Runs each mutant implementation (the built-in one with one deliberate bug) through the
conformance property tests in every variant it breaks, and prints which check caught it,
the length of the shrunk counterexample and the time taken. No MUTANT: all of them.`;

const jsonRow = (r: KillRow) => ({
  mutant: r.mutant, rule: r.rule, variants: r.variants, caught: r.caught, timeMs: r.timeMs,
  shortest: r.shortest && {
    variant: r.shortest.variant, check: r.shortest.check, invariant: r.shortest.invariant?.invariant ?? null,
    traceLength: r.shortest.trace.length, message: r.shortest.message,
  },
  seed: r.reports[0]?.seed ?? null,
  paths: Object.fromEntries(r.reports.map((p) => [p.variant, p.path])),
});

export const command: Command = {
  name: 'mutants',
  summary: 'the mutant kill table: each broken implementation and the check that catches it',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (options.list) {
      if (options.json) io.out(JSON.stringify({ mutants: MUTANT_FIXTURES.map((m) => ({ name: m.name, rule: m.rule, variants: m.variants, description: m.description })) }, null, 2) + '\n');
      else for (const m of MUTANT_FIXTURES) io.out(`${m.name} (${m.rule}; ${m.variants.join(', ')}): ${m.description}\n`);
      return EXIT.OK;
    }
    const unknown = positional.filter((n) => !MUTANT_FIXTURES.some((m) => m.name === n));
    if (unknown.length > 0) throw new UsageError(`unknown mutant ${unknown.join(', ')} (see svacheck mutants --list)`);
    const seed = options.seed === undefined ? undefined : intOption(options.seed, 'seed', 0, -(2 ** 31), 2 ** 31 - 1);   // 32 bits: no silent truncation
    const runs = options.runs as number | undefined;
    if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) throw new UsageError('--runs needs a positive integer');
    const dir = options['litmus-dir'] as string | undefined;
    const outDir = dir === undefined ? null : OutDir.prepare(dir, io.cwd, '--litmus-dir');   // before the runs, not after
    const chosen = positional.length === 0 ? MUTANT_FIXTURES : MUTANT_FIXTURES.filter((m) => positional.includes(m.name));

    const rows: KillRow[] = [];
    for (const m of chosen) {
      if (io.progress && process.stderr.isTTY) io.err(`\r${rows.length}/${chosen.length} ${m.name}`.padEnd(60));
      rows.push(await killMutant(m, { seed, runs }));
    }
    if (io.progress && process.stderr.isTTY) io.err('\r'.padEnd(61) + '\r');
    const broke = rows.flatMap((r) => r.reports.filter((p) => p.broke).map((p) => `${r.mutant} ${p.variant}: ${p.broke}`));
    // With --json, --show puts each counterexample in its row: stdout stays one JSON document.
    const shown = (r: KillRow) => options.show ? { counterexamples: r.reports.filter((p) => p.failure).map((p) => ({ variant: p.variant, litmus: p.failure!.litmusText })) } : {};
    if (options.json) io.out(JSON.stringify({ seed: seed ?? KILL_SEED, rows: rows.map((r) => ({ ...jsonRow(r), ...shown(r) })) }, null, 2) + '\n');
    else io.out(formatKillTable(rows));
    for (const r of rows) for (const p of r.reports) {
      if (!p.failure) continue;
      if (options.show && !options.json) io.out(`\n--- ${r.mutant} [${p.variant}]\n${p.failure.litmusText}`);
      outDir?.write(`${r.mutant}-${p.variant}`, p.failure.litmusText);
    }
    for (const l of outDir?.failureLines('mutants') ?? []) io.err(l + '\n');
    if (broke.length > 0) { io.err(`svacheck mutants: ${broke.join('; ')}\n`); return EXIT.BROKE; }
    return rows.every((r) => r.caught.length === r.variants.length) ? EXIT.OK : EXIT.FAILED;
  },
};
