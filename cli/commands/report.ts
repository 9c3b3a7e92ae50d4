/**
 * `svacheck` / `svacheck report`: the review report on the embedded default (the seed's
 * setup) or on --config FILE, in text (default, <= 80 ASCII columns), markdown or JSON.
 */
import { VARIANTS, type VariantName } from '../../vocab/index.ts';
import { ConfigError, loadBundledConfig, loadConfigFile, type ModelConfig } from '../../model/index.ts';
import { buildReport, DEFAULT_SEED } from '../../report/build.ts';
import { renderMarkdown, renderText } from '../../report/render.ts';
import { helpText, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';
import { resolve } from 'node:path';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'format', kind: 'string', valueName: 'text|markdown|json', description: 'output format (default text: plain ASCII, 80 columns)' },
  { name: 'json', kind: 'boolean', description: 'same as --format json' },
  { name: 'config', kind: 'string', valueName: 'file', description: 'model configuration (YAML) to check; default: the bundled seed-small' },
  { name: 'seed', kind: 'number', valueName: 'n', description: `seed of the random conformance runs (default ${DEFAULT_SEED})` },
  { name: 'runs', kind: 'number', valueName: 'n', description: 'random conformance sequences per variant (default 100)' },
  { name: 'variant', kind: 'list', valueName: 'name', description: 'restrict to these variants (repeatable or comma list)' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck [report] [options]

Runs the litmus library for every variant, the model checker and the variant
diffs on the default configuration, the conformance of the built-in
implementation against the spec, and prints the findings with the command that
replays each. Exit 0 when every check held, 1 when one failed, 2 bad input.`;

export const command: Command = {
  name: 'report',
  summary: 'the review report',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
    const format = options.json ? 'json' : (options.format as string | undefined) ?? 'text';
    if (!['text', 'markdown', 'json'].includes(format)) throw new UsageError(`--format must be text, markdown or json, got '${format}'`);
    const variants = ((options.variant as string[] | undefined) ?? []).flatMap((v) => v.split(',')).filter(Boolean);
    for (const v of variants) if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`unknown variant '${v}' (known: ${VARIANTS.join(', ')})`);
    for (const k of ['seed', 'runs'] as const) {
      const n = options[k] as number | undefined;
      if (n !== undefined && (!Number.isInteger(n) || n < (k === 'runs' ? 1 : -(2 ** 31)))) throw new UsageError(`--${k} needs an integer${k === 'runs' ? ' >= 1' : ''}`);
    }
    let mc: ModelConfig;
    const configArg = (options.config as string | undefined) ?? 'seed-small';
    try {
      mc = options.config === undefined ? loadBundledConfig('seed-small') : loadConfigFile(resolve(io.cwd, configArg));
    } catch (e) {
      if (e instanceof ConfigError) { io.err(`svacheck report: ${e.message}\n`); return EXIT.USAGE; }
      throw e;
    }
    const started = Date.now();
    const report = await buildReport({
      modelConfig: mc, configArg, seed: options.seed as number | undefined, runs: options.runs as number | undefined,
      setup: options.config === undefined ? undefined : mc.setup,
      variants: variants.length ? (variants as VariantName[]) : undefined,
      onStep: io.progress ? (what) => io.err(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}\n`) : undefined,
    });
    io.out(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'markdown' ? renderMarkdown(report) : renderText(report));
    return report.exitCode;
  },
};
