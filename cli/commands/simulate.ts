/**
 * `svacheck simulate [WORKLOAD] --variant LIST --seed S`: bind failure rates under a workload,
 * per device and variant, with 95% intervals and the errno mix, over a sweep of one parameter.
 * Exit 0: the simulation ran; 2: bad input; 3: the implementation and the spec disagreed on a
 * checked step (--verify), or the tool broke.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  LockstepDifference, loadWorkloadFile, renderJson, renderSvg, renderText, seedWorkload, simulate, SimulateError, WorkloadError,
  type EngineChoice, type Sweep,
} from '../../simulate/index.ts';
import { helpText, intOption, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { EXIT } from '../io.ts';
import type { Command } from '../main.ts';
import { shq } from '../shell.ts';
import { VARIANTS } from '../../vocab/index.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'variant', kind: 'list', valueName: 'name', description: 'variants to run (repeatable, comma list; default: every variant)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'the random seed (default 1; always printed)' },
  { name: 'sweep', kind: 'string', valueName: 'p=values', description: "the swept parameter and its values: load=1,2,4 or load=1..16/6 (default: the workload's)" },
  { name: 'replications', kind: 'number', valueName: 'n', description: "independent runs per point (default: the workload's)" },
  { name: 'horizon', kind: 'number', valueName: 't', description: "simulated time per run (default: the workload's)" },
  { name: 'engine', kind: 'string', valueName: 'e', description: 'auto (impl/ where the variant has one, else spec/), impl, or spec' },
  { name: 'verify', kind: 'number', valueName: 'n', description: 'compare the first n kernel calls of each impl/ run with the spec (default 100; 0: off)' },
  { name: 'plot', kind: 'string', valueName: 'file', description: 'write an SVG plot of failure rate against the swept parameter' },
  { name: 'json', kind: 'boolean', description: 'stable JSON output' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck simulate [options] [WORKLOAD]

Runs a workload (YAML; default: the seed's machine, simulate/workloads/seed.yaml)
on each variant and prints, per device and variant, the share of binds that failed
with a 95% interval and the errno mix, over a sweep of one parameter (load by
default). Seeded and deterministic. The format is in docs/simulate.md.
Exit: 0 ran, 2 bad input, 3 impl/ and the spec disagreed, or the tool broke.`;

/** `load=1,2,4` or `load=1..16/6` (6 evenly spaced values from 1 to 16). Pure; throws UsageError. */
export function parseSweep(text: string): Sweep {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--sweep needs PARAM=VALUES, like load=1,2,4 or load=1..16/6; got '${text}'`);
  const param = text.slice(0, eq).trim(), spec = text.slice(eq + 1).trim();
  const range = /^([0-9.eE+-]+)\.\.([0-9.eE+-]+)\/(\d+)$/.exec(spec);
  let values: number[];
  if (range) {
    const [from, to, steps] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to || steps < 2) throw new UsageError(`--sweep ${text}: FROM..TO/STEPS needs FROM <= TO and STEPS >= 2`);
    values = Array.from({ length: steps }, (_, i) => +(from + ((to - from) * i) / (steps - 1)).toPrecision(6));
  } else {
    values = spec.split(',').map((s) => Number(s.trim()));
    if (spec === '' || values.some((v) => !Number.isFinite(v))) throw new UsageError(`--sweep ${text}: values are numbers separated by commas, or FROM..TO/STEPS`);
  }
  if (values.some((v) => v < 0)) throw new UsageError(`--sweep ${text}: values must be >= 0`);
  return { param, values };
}

/** --variant values against the spec's variants: comma lists, no repeats; default all. */
export function simulateVariants(values: readonly string[] | undefined): string[] {
  const known: string[] = [...VARIANTS];
  if (values === undefined) return known;
  const out: string[] = [];
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    if (!known.includes(v)) throw new UsageError(`unknown variant '${v}' (known: ${known.join(', ')})`);
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new UsageError('--variant needs at least one variant name');
  return out;
}

export const command: Command = {
  name: 'simulate',
  summary: 'bind failure rates under a workload, per variant, with a plot',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length > 1) throw new UsageError('simulate takes one workload file');
    const variants = simulateVariants(options.variant as string[] | undefined);
    const seed = intOption(options.seed, 'seed', 1, 0);
    const sweep = options.sweep === undefined ? undefined : parseSweep(options.sweep as string);
    const replications = options.replications === undefined ? undefined : intOption(options.replications, 'replications', 1, 1);
    const horizon = options.horizon as number | undefined;
    if (horizon !== undefined && !(horizon > 0)) throw new UsageError(`--horizon must be > 0, got ${horizon}`);
    const engine = (options.engine ?? 'auto') as EngineChoice;
    if (!['auto', 'impl', 'spec'].includes(engine)) throw new UsageError(`--engine must be auto, impl or spec, got '${engine}'`);
    const verify = intOption(options.verify, 'verify', 100, 0);

    let workload;
    try { workload = positional.length === 1 ? loadWorkloadFile(resolve(io.cwd, positional[0])) : seedWorkload(); } catch (e) {
      if (e instanceof WorkloadError) { io.err(`svacheck simulate: ${e.message}\n`); return EXIT.USAGE; }
      throw e;
    }
    const replay = ['npx svacheck simulate', ...positional.map(shq), `--variant ${variants.join(',')}`, `--seed ${seed}`,
      ...(sweep ? [`--sweep ${sweep.param}=${sweep.values.join(',')}`] : []),
      ...(replications !== undefined ? [`--replications ${replications}`] : []), ...(horizon !== undefined ? [`--horizon ${horizon}`] : []),
      ...(engine !== 'auto' ? [`--engine ${engine}`] : [])].join(' ');
    let last = performance.now();
    const t0 = last;
    let result;
    try {
      result = simulate(workload, {
        variants, seed, engine, sweep, replications, horizon, verify,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 3000) return;
          last = now;
          io.err(`simulate: ${p.runs}/${p.total} runs, ${p.ops} kernel calls, ${((now - t0) / 1000).toFixed(0)} s\n`);
        },
      });
    } catch (e) {
      if (e instanceof SimulateError) { io.err(`svacheck simulate: ${e.message}\n`); return EXIT.USAGE; }
      if (e instanceof LockstepDifference) {
        io.err(`svacheck simulate: impl/ and the spec disagree: ${e.message}\nReplay: ${replay} --verify ${verify}\n`);
        return EXIT.BROKE;
      }
      throw e;
    }
    if (performance.now() - t0 >= 3000) io.err(`simulate: done, ${result.ops} kernel calls in ${(result.ms / 1000).toFixed(1)} s\n`);
    if (options.plot !== undefined) {
      const path = resolve(io.cwd, options.plot as string);
      writeFileSync(path, renderSvg(result, replay));
      io.err(`simulate: plot written to ${path}\n`);
    }
    io.out(options.json ? renderJson(result, replay) : renderText(result, replay));
    return EXIT.OK;
  },
};
