/**
 * `svacheck litmus [FILE|DIR ...]`: run litmus scenarios against the spec, one herd-style
 * verdict line per file and variant, a summary per variant. No path: the bundled library.
 * Exit 0 all held, 1 an expectation failed, 2 a file is malformed or a usage error, 3 broke.
 */
import { VARIANTS } from '../../vocab/index.ts';
import {
  bundledSources, coverageOf, exitCodeOf, findLitmusFiles, renderCoverage, renderOutcome, renderSummary, runSources, toJson,
} from '../../conformance/litmus/index.ts';
import { helpText, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { variantArgs } from '../variants.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'variant', kind: 'list', valueName: 'name|file', description: 'only these variants (repeatable, comma list), or a design file (./my-design.ts, docs/variants.md)' },
  { name: 'format', kind: 'string', valueName: 'text|json', description: 'output format (default text; json: the stable form in docs/litmus.md)' },
  { name: 'json', kind: 'boolean', description: 'same as --format json' },
  { name: 'coverage', kind: 'boolean', description: 'rules fired per scenario, errnos per variant' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck litmus [options] [FILE|DIR ...]

Runs litmus scenarios (*.litmus.yaml) against the reference spec. Without a
path, runs the bundled library; directories are searched for *.yaml files; a
bundled scenario can be named by its name (v1-reuse-bug) from any directory.
Variants: ${VARIANTS.join(', ')}.`;

export const command: Command = {
  name: 'litmus',
  summary: 'run litmus scenarios against the spec',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    const format = options.json ? 'json' : (options.format as string | undefined) ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`);
    const only = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const variants = only?.map((v) => v.name) ?? [...VARIANTS];
    const bundled = positional.length === 0;
    let sources;
    if (bundled) sources = await bundledSources();
    else {
      const found = await findLitmusFiles(positional, io.cwd);
      if (found.missing.length > 0) throw new UsageError(`no such file or directory: ${found.missing.join(', ')}`);
      sources = found.sources;
    }
    if (sources.length === 0) throw new UsageError(`no litmus files (*.yaml) found in ${positional.join(', ')}`);
    const outcomes = await runSources(sources, only);
    // Files that parse but none runs the variants asked: nothing was checked, which is no pass.
    if (only && outcomes.every((o) => o.errors.length === 0 && o.verdicts.length === 0)) {
      io.err(`svacheck litmus: nothing was checked: no file given runs ${variants.join(', ')} (each file runs the variants it lists, or those that have all its operations; the designs before 2026 only where a file lists them)\n`);
      return EXIT.USAGE;
    }
    // Coverage of the variants that ran (the earlier designs run only the files naming them).
    const ran = new Set(outcomes.flatMap((o) => o.verdicts.map((v) => v.variant)));
    const coverage = options.coverage ? coverageOf(outcomes, VARIANTS.filter((v) => variants.includes(v) && ran.has(v))) : undefined;
    let code: number = exitCodeOf(outcomes);
    // The bundled library promises to exercise every API rule: a gap is a failed check.
    if (coverage && bundled && coverage.uncovered.length > 0 && code === EXIT.OK) code = EXIT.FAILED;
    if (format === 'json') {
      io.out(JSON.stringify(toJson(outcomes, variants, coverage), null, 2) + '\n');
      return code;
    }
    const lines = outcomes.flatMap(renderOutcome);
    lines.push('', ...renderSummary(outcomes, variants));
    if (coverage) lines.push('', ...renderCoverage(coverage));
    io.out(lines.join('\n') + '\n');
    return code;
  },
};
