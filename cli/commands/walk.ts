/**
 * `svacheck walk [CONFIG] [--config FILE] --variant V`: seeded random walks for configurations
 * too large to exhaust; invariants on every step; the seed and the exact replay command are
 * printed. Exit 1: an undocumented violation; 0 otherwise (walks are never exhaustive).
 */
import { OP_NAMES, VARIANTS } from '../../vocab/index.ts';
import { walk, formatCoverage, formatStats, type WalkResult } from '../../model/index.ts';
import { helpText, intOption, parseArgs, UsageError, type OptionSpec, plural } from '../args.ts';
import { variantArgs } from '../variants.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';
import { guarded, loadConfigs, progressReporter } from './check.ts';
import { exitCodeFor, interrupted, interruptedLines, stopSignal } from '../interrupt.ts';
import { OutDir } from '../out.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'config', kind: 'string', valueName: 'file', description: 'a model configuration file (default: the bundled seed-small)' },
  { name: 'variant', kind: 'list', valueName: 'name|file', description: "variants to walk (comma list; default: the configuration's), or a design file" },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'the random seed (default: from the clock; always printed)' },
  { name: 'walks', kind: 'number', valueName: 'n', description: 'number of walks (default 100)' },
  { name: 'length', kind: 'number', valueName: 'n', description: 'operations per walk (default 100)' },
  { name: 'walk', kind: 'number', valueName: 'i', description: 'replay only walk i of the seed' },
  { name: 'continue', kind: 'boolean', description: 'keep walking after a violation' },
  { name: 'max-seconds', kind: 'number', valueName: 's', description: 'stop after s seconds' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'write each violating (shrunk) trace as a litmus file into dir' },
  { name: 'coverage', kind: 'boolean', description: 'print per-operation coverage' },
  { name: 'json', kind: 'boolean', description: 'stable JSON output' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck walk [options] [CONFIG]

Seeded random walks over the spec (${VARIANTS.join(', ')}): each step a random operation a
correct caller may issue; every invariant checked after every step. Prints the seed and the
command that replays a violating walk.
Exit: 0 no undocumented violation, 1 violation, 2 bad input, 3 broke.`;

function render(r: WalkResult, showCoverage: boolean, written: Map<string, string>): string[] {
  const lines = [`== walk ${r.config} / ${r.variant}: seed ${r.seed}, ${r.completedWalks} of ${plural(r.walks, 'walk')} ==`, `Replay: ${r.replay}`];
  const unexpected = r.violations.filter((v) => !v.expected);
  if (unexpected.length === 0) lines.push('No undocumented invariant violation on these walks (walks are not exhaustive).');
  for (const v of r.violations) {
    lines.push('', `${v.expected ? 'Documented finding' : 'Invariant violated'}: ${v.invariant} (rule ${v.rule}) on walk ${v.walk}: ${v.reason}`);
    lines.push(`Replay this walk: ${v.replay}`, `Trace shrunk from ${v.originalLength} to ${plural(v.trace.length, 'step')}:`, ...v.lines);
    const path = written.get(v.litmus);
    lines.push(...(path ? [`Written: ${path}`] : ['Litmus file:', ...v.litmus.trimEnd().split('\n').map((l) => `  ${l}`)]));
  }
  lines.push('', ...formatStats(r.stats));
  if (r.status === 'bound') lines.push('Stopped by --max-seconds (bound hit): fewer walks than asked.');
  if (r.status === 'interrupted') lines.push('Stopped by a signal (interrupted): fewer walks than asked.');
  if (showCoverage) lines.push(...formatCoverage(r.coverage, OP_NAMES));
  return lines;
}

export const command: Command = {
  name: 'walk',
  summary: 'seeded random walks with invariants on every step',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length > 1 || (positional.length === 1 && options.config)) throw new UsageError('walk takes one configuration');
    const seed = intOption(options.seed, 'seed', Date.now() % 2 ** 31, 0, 2 ** 32 - 1);   // 32 bits: no silent truncation
    const walks = intOption(options.walks, 'walks', 100, 1, 10_000_000), length = intOption(options.length, 'length', 100, 1, 1_000_000);
    const only = options.walk === undefined ? undefined : intOption(options.walk, 'walk', 0, 0);
    const maxSeconds = options['max-seconds'] as number | undefined;
    if (maxSeconds !== undefined && !(maxSeconds > 0 && maxSeconds <= 2_147_483)) throw new UsageError(`--max-seconds must be a number of seconds in (0, 2147483], got ${maxSeconds}`);
    if (only !== undefined && only >= walks) throw new UsageError(`--walk ${only} is beyond --walks ${walks}`);
    const chosen = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const outDir = options.out ? OutDir.prepare(options.out as string, io.cwd) : null;   // before the run, not after it
    return guarded(io, 'walk', () => {
      const [mc] = loadConfigs(positional, options.config ? [options.config as string] : undefined, io.cwd);
      const results: WalkResult[] = [];
      const lines: string[] = [];
      const skipped: string[] = [];
      for (const v of chosen ?? mc.variants) {
        const vname = typeof v === 'string' ? v : v.name;
        if (interrupted()) { skipped.push(vname); continue; }
        const r = walk(mc, v, {
          seed, walks, length, only, continue: Boolean(options.continue), maxSeconds, interrupted,
          onProgress: progressReporter(io, `walk ${mc.name}/${vname}`),
        });
        results.push(r);
        const written = new Map<string, string>();
        // The seed and walk are in the name: walks of other seeds never overwrite this one.
        if (outDir) for (const x of r.violations) {
          const path = outDir.write(`${r.config}-${r.variant}-seed${r.seed}-walk${x.walk}-${x.invariant}`, x.litmus);
          if (path) written.set(x.litmus, path);
        }
        if (!options.json) lines.push(...render(r, Boolean(options.coverage), written), '');
      }
      const sig = stopSignal();
      const code = sig ? exitCodeFor(sig) : results.some((r) => r.violations.some((v) => !v.expected)) ? EXIT.FAILED : EXIT.OK;
      const failedWrites = outDir?.failureLines('walk') ?? [];
      if (options.json) {
        io.out(JSON.stringify({
          command: 'walk', exit: code, interrupted: sig, notRun: skipped, seed, results: results.map((r) => ({
            config: r.config, variant: r.variant, seed: r.seed, walks: r.walks, completedWalks: r.completedWalks, status: r.status, replay: r.replay,
            stats: r.stats, coverage: r.coverage,
            violations: r.violations.map((v) => ({ invariant: v.invariant, rule: v.rule, reason: v.reason, expected: v.expected, walk: v.walk, replay: v.replay, originalLength: v.originalLength, steps: v.lines.map((l) => l.trim()), litmus: v.litmus })),
          })),
        }, null, 2) + '\n');
        for (const l of failedWrites) io.err(l + '\n');
        return code;
      }
      if (sig) lines.push(...interruptedLines('walk', options.seed === undefined ? [...argv, '--seed', String(seed)] : argv, [`Seed ${seed}.${skipped.length > 0 ? ` Not walked: ${skipped.join(', ')}.` : ''}`]));
      io.out(lines.join('\n') + '\n');
      for (const l of failedWrites) io.err(l + '\n');
      return code;
    });
  },
};
