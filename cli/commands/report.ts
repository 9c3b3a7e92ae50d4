/**
 * `svacheck` with no arguments (for now): the bundled litmus library against every variant,
 * as a scenario x variant verdict table and a summary line per variant. A later issue grows
 * this into the full review report; the table comes from conformance/litmus/render.ts.
 */
import { VARIANTS } from '../../vocab/index.ts';
import {
  bundledSources, exitCodeOf, renderOutcome, renderSummary, renderTable, runSources, toJson,
} from '../../conformance/litmus/index.ts';
import { helpText, parseArgs, type OptionSpec } from '../args.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'json', kind: 'boolean', description: 'print the litmus results as JSON (docs/litmus.md)' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck [options]

Runs the bundled litmus library against every variant and prints the verdict
table. Run one scenario again with: svacheck litmus litmus/<name>.litmus.yaml`;

export const command: Command = {
  name: 'report',
  summary: 'the review report (for now: the bundled litmus verdict table)',
  async run(argv, io) {
    const { options } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    const variants = [...VARIANTS];
    const outcomes = await runSources(await bundledSources());
    const code = exitCodeOf(outcomes);
    if (options.json) { io.out(JSON.stringify(toJson(outcomes, variants), null, 2) + '\n'); return code; }
    const lines = [`svacheck: ${outcomes.length} bundled litmus scenarios x ${variants.length} variants (- : not applicable)`, ''];
    lines.push(...renderTable(outcomes, variants), '', ...renderSummary(outcomes, variants));
    // Anything that did not hold is shown in full, so the table never hides a reason.
    const bad = outcomes.filter((o) => o.errors.length > 0 || o.verdicts.some((v) => v.verdict !== 'Ok'));
    if (bad.length > 0) lines.push('', 'Not held:', ...bad.flatMap(renderOutcome).filter((l) => !l.startsWith('Ok ')));
    io.out(lines.join('\n') + '\n');
    return code;
  },
};
