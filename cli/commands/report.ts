/**
 * `svacheck` / `svacheck report`: the review report on the embedded default (the seed's
 * setup) or on --config FILE, in text (default, <= 80 ASCII columns), markdown or JSON.
 */
import { ConfigError, loadBundledConfig, loadConfigFile, type ModelConfig } from '../../model/index.ts';
import { buildReport, DEFAULT_SEED } from '../../report/build.ts';
import { renderMarkdown, renderText, SECTIONS, unknownFindings, type SectionName } from '../../report/render.ts';
import { formatProgress } from '../../model/index.ts';
import { helpText, intOption, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { variantArgs } from '../variants.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';
import { boundOptionSpecs, searchBounds, warner } from './check.ts';
import { resolve } from 'node:path';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'format', kind: 'string', valueName: 'text|markdown|json', description: 'output format (default text: plain ASCII, 80 columns)' },
  { name: 'json', kind: 'boolean', description: 'same as --format json' },
  { name: 'config', kind: 'string', valueName: 'file', description: 'model configuration (YAML) to check; default: the bundled seed-small' },
  { name: 'seed', kind: 'number', valueName: 'n', description: `seed of the random conformance runs (default ${DEFAULT_SEED})` },
  { name: 'runs', kind: 'number', valueName: 'n', description: 'random conformance sequences per variant (default 100)' },
  { name: 'variant', kind: 'list', valueName: 'name|file', description: 'restrict to these variants (repeatable or comma list); a design file is reported beside them and diffed against the design it answers to' },
  { name: 'section', kind: 'list', valueName: 'n|name', description: `print only these sections, with the header (1-6 or ${SECTIONS.join(', ')}; repeatable or comma list)` },
  { name: 'finding', kind: 'list', valueName: 'id', description: 'print only these findings, with the header (the ids the report prints, e.g. diff-upstream-v2)' },
  { name: 'plot', kind: 'string', valueName: 'file', description: "write the SVG plot of section 6, what it costs users" },
  ...boundOptionSpecs('distinct states per model-checking run'),
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck [report] [options]

Runs the litmus library for every variant, the model checker and the variant
diffs on the default configuration, the conformance of the built-in
implementation against the spec, and prints the findings with the command that
replays each. Exit 0 when every check held, 1 when one failed, 2 bad input.`;

/** Step lines start once a run has taken this long; a short run stays quiet (SVACHECK_PROGRESS_AFTER_MS overrides). */
const progressAfterMs = (): number => {
  const v = Number(process.env.SVACHECK_PROGRESS_AFTER_MS);
  return Number.isFinite(v) && v >= 0 && process.env.SVACHECK_PROGRESS_AFTER_MS !== '' ? v : 3000;
};

/** --section values: numbers 1-6 or names, repeatable, comma lists. */
export function sectionList(values: readonly string[] | undefined): SectionName[] | undefined {
  if (values === undefined) return undefined;
  const out: SectionName[] = [];
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    const name = /^[1-6]$/.test(v) ? SECTIONS[Number(v) - 1] : (SECTIONS as readonly string[]).includes(v) ? v as SectionName : null;
    if (name === null) throw new UsageError(`unknown section '${v}' (1-6, or ${SECTIONS.join(', ')})`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

export const command: Command = {
  name: 'report',
  summary: 'the review report',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
    if (options.json && options.format !== undefined && options.format !== 'json') throw new UsageError(`--json and --format ${String(options.format)} ask for two formats; give one`);
    const format = options.json ? 'json' : (options.format as string | undefined) ?? 'text';
    const limits = searchBounds(options);
    if (!['text', 'markdown', 'json'].includes(format)) throw new UsageError(`--format must be text, markdown or json, got '${format}'`);
    const sections = sectionList(options.section as string[] | undefined);
    const findingIds = (options.finding as string[] | undefined)?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    if ((sections || findingIds) && format !== 'text') throw new UsageError('--section and --finding select parts of the text report (--format text)');
    if (sections && findingIds) throw new UsageError('give --section or --finding, not both');
    const variants = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const seed = intOption(options.seed, 'seed', DEFAULT_SEED, -(2 ** 31), 2 ** 31 - 1);
    const runs = intOption(options.runs, 'runs', 100, 1, 1_000_000);
    let mc: ModelConfig;
    const configArg = (options.config as string | undefined) ?? 'seed-small';
    try {
      mc = options.config === undefined ? loadBundledConfig('seed-small') : loadConfigFile(resolve(io.cwd, configArg));
    } catch (e) {
      if (e instanceof ConfigError) { io.err(`svacheck report: ${e.message}\n`); return EXIT.USAGE; }
      throw e;
    }
    // Progress goes to stderr (terminal or not) once the run has taken a few seconds: each
    // step as it starts, and the model checker's periodic Progress(...) lines.
    const started = Date.now();
    const after = progressAfterMs();
    const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1)}s]`;
    const report = await buildReport({
      modelConfig: mc, configArg, seed, runs,
      setup: options.config === undefined ? undefined : mc.setup,
      variants, limits: { ...limits, onWarning: warner(io, 'report') },
      costsPlot: options.plot === undefined ? undefined : resolve(io.cwd, options.plot as string),
      onStep: io.progress ? (what) => { if (Date.now() - started >= after) io.err(`svacheck report ${elapsed()} ${what}\n`); } : undefined,
      onProgress: io.progress ? (what, p) => io.err(`svacheck report ${elapsed()} ${what}: ${formatProgress(p)}\n`) : undefined,
    });
    if (findingIds) {
      const unknown = unknownFindings(report, findingIds);
      if (unknown.length > 0) throw new UsageError(`no finding ${unknown.join(', ')} in this report (it has: ${report.findings.map((f) => f.id).join(', ') || 'none'})`);
    }
    io.out(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'markdown' ? renderMarkdown(report) : renderText(report, { sections, findings: findingIds }));
    return report.exitCode;
  },
};
