/**
 * `svacheck diff A B [CONFIG] [--config FILE]`: drive two variants with the same operation
 * sequences, exhaustively within the configuration's bounds, and print the shortest sequence
 * after which a result differs, as a litmus file. Exit 1: a difference; 0: equivalent within
 * the bounds (or, with "not exhaustive", none found before --max-states/--max-seconds).
 */
import { OP_NAMES, VARIANTS, type OpName } from '../../vocab/index.ts';
import { diff, formatCoverage, formatStats, type DiffResult } from '../../model/index.ts';
import { helpText, parseArgs, UsageError, type OptionSpec, plural } from '../args.ts';
import { EXIT } from '../io.ts';
import { resolveVariantArg } from '../variants.ts';
import type { Command } from '../main.ts';
import { boundOptionSpecs, engineOption, guarded, loadConfigs, partialLines, progressReporter, searchBounds, stopLine, warner } from './check.ts';
import { exitCodeFor, interrupted, interruptedLines, stopSignal } from '../interrupt.ts';
import { OutDir } from '../out.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'config', kind: 'string', valueName: 'file', description: 'a model configuration file (default: the bundled seed-small)' },
  { name: 'ops', kind: 'list', valueName: 'a,b', description: 'operations to drive (comma list; default: those of the configuration both variants have)' },
  ...boundOptionSpecs('distinct state pairs'),
  { name: 'no-symmetry', kind: 'boolean', description: 'explore without symmetry reduction' },
  { name: 'engine', kind: 'string', valueName: 'e', description: 'spec/ runs on: flat states (auto, flat), its State objects (object), or both compared at every step (verify)' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'write the distinguishing sequence as a litmus file into dir' },
  { name: 'coverage', kind: 'boolean', description: 'print per-operation coverage' },
  { name: 'json', kind: 'boolean', description: 'stable JSON output' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck diff [options] A B [CONFIG]

Drives variants A and B (${VARIANTS.join(', ')}, or design files such as ./my-design.ts)
with the same operation sequences,
breadth-first over pairs of states, and prints the shortest sequence after which
their results differ, or "equivalent within these bounds".
Exit: 0 equivalent (a bounded run says "not exhaustive"), 1 different, 2 bad input, 3 broke.`;

function render(r: DiffResult, showCoverage: boolean, written?: string): string[] {
  const lines = [`== diff ${r.a} ${r.b} on ${r.config}; operations: ${r.ops.join(', ')} ==`];
  if (r.difference) {
    const d = r.difference;
    lines.push(`Different: after ${plural(d.step - 1, 'common step')}, step ${d.step} gives ${r.a}: ${d.a}, ${r.b}: ${d.b}.`, ...d.lines);
    lines.push(written ? `Written: ${written}` : 'Litmus file:', ...(written ? [] : d.litmus.trimEnd().split('\n').map((l) => `  ${l}`)));
  } else if (r.exhaustive) lines.push(`Equivalent within these bounds: no sequence of the operations above distinguishes ${r.a} from ${r.b}.`);
  else lines.push(`No difference found in the explored part.`);
  lines.push('', ...formatStats(r.stats), ...partialLines(r.symmetryPartial), r.status === 'different' ? 'Stopped at the first difference: breadth-first, so no shorter sequence differs.' : stopLine(r.exhaustive, r.stop, 'statistics'));
  if (showCoverage) lines.push(...formatCoverage(r.coverage, OP_NAMES));
  return lines;
}

export const command: Command = {
  name: 'diff',
  summary: 'the shortest operation sequence that tells two variants apart',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    const [a, b, ...rest] = positional;
    if (a === undefined || b === undefined) throw new UsageError('diff needs two variants: svacheck diff A B [CONFIG]');
    const va = await resolveVariantArg(a, io.cwd), vb = await resolveVariantArg(b, io.cwd);   // a name, or a design file
    if (rest.length > 1 || (rest.length === 1 && options.config)) throw new UsageError('diff takes one configuration');
    let ops: OpName[] | undefined;
    if (options.ops) {
      ops = (options.ops as string[]).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean) as OpName[];
      for (const o of ops) if (!(OP_NAMES as readonly string[]).includes(o)) throw new UsageError(`unknown operation '${o}' (known: ${OP_NAMES.join(', ')})`);
      if (ops.length === 0) throw new UsageError('--ops names no operation: nothing would be compared');
      for (const v of [va, vb]) {
        const lacks = ops.filter((o) => !v.ops.includes(o));
        if (lacks.length > 0) throw new UsageError(`--ops: variant ${v.name} has no ${lacks.join(', ')}; a diff can only drive operations both variants have`);
      }
    }
    const engine = engineOption(options.engine);
    const bounds = searchBounds(options);
    const outDir = options.out ? OutDir.prepare(options.out as string, io.cwd) : null;   // before the run, not after it
    return guarded(io, 'diff', () => {
      const [mc] = loadConfigs(rest, options.config ? [options.config as string] : undefined, io.cwd);
      const both = mc.ops.filter((o) => [va, vb].every((v) => v.ops.includes(o)));
      if (!ops && both.length === 0) throw new UsageError(`${mc.source}: ${va.name} and ${vb.name} share none of the operations [${mc.ops.join(', ')}]; nothing would be compared`);
      const r = diff(mc, va, vb, {
        ops, symmetry: options['no-symmetry'] ? false : undefined,
        ...bounds, onWarning: warner(io, 'diff'), interrupted,
        onProgress: progressReporter(io, `diff ${va.name} ${vb.name}`), engine,
      });
      const sig = stopSignal();
      const code = sig ? exitCodeFor(sig) : r.status === 'different' ? EXIT.FAILED : EXIT.OK;
      const written = r.difference && outDir ? outDir.write(`${r.config}-diff-${r.a}-${r.b}`, r.difference.litmus) ?? undefined : undefined;
      const failedWrites = outDir?.failureLines('diff') ?? [];
      if (options.json) {
        io.out(JSON.stringify({
          command: 'diff', exit: code, interrupted: sig, config: r.config, a: r.a, b: r.b, ops: r.ops, status: r.status, exhaustive: r.exhaustive, stop: r.stop, symmetryPartial: r.symmetryPartial,
          stats: r.stats, coverage: r.coverage,
          difference: r.difference ? { step: r.difference.step, a: r.difference.a, b: r.difference.b, steps: r.difference.lines.map((l) => l.trim()), litmus: r.difference.litmus } : null,
        }, null, 2) + '\n');
        for (const l of failedWrites) io.err(l + '\n');
        return code;
      }
      io.out([...render(r, Boolean(options.coverage), written), ...(sig ? interruptedLines('diff', argv) : [])].join('\n') + '\n');
      for (const l of failedWrites) io.err(l + '\n');
      return code;
    });
  },
};
