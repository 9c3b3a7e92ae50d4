/**
 * `svacheck check [CONFIG ...] [--config FILE]`: exhaustive model checking of bundled or given
 * configurations, per variant. Exit 0: every invariant held (documented findings aside), also
 * for a run stopped by --max-states/--max-seconds, which says "not exhaustive"; 1: an
 * undocumented violation, or a documented finding an exhaustive run did not reproduce;
 * 2: bad input; 3: the tool broke.
 */
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { OP_NAMES } from '../../vocab/index.ts';
import { variantOf } from '../../spec/index.ts';
import {
  check, DivergenceError, ENGINES, bundledConfigNames, loadBundledConfig, loadConfigFile, ConfigError, EncodingError, formatCoverage, formatProgress, formatStats,
  type CheckResult, type EngineChoice, type ModelConfig, type Progress,
} from '../../model/index.ts';
import { Packer } from '../../model/space.ts';
import { VisitedSetThreadError } from '../../model/parallel.ts';
import { helpText, parseArgs, UsageError, type OptionSpec, plural } from '../args.ts';
import { variantArgs } from '../variants.ts';
import { EXIT, type Io } from '../io.ts';
import type { Command } from '../main.ts';
import { exitCodeFor, interrupted, interruptedLines, stopSignal } from '../interrupt.ts';
import { OutDir } from '../out.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'config', kind: 'list', valueName: 'file', description: 'a model configuration file (repeatable)' },
  { name: 'variant', kind: 'list', valueName: 'name|file', description: "only these variants (repeatable, comma list; default: the configuration's), or a design file (./my-design.ts)" },
  { name: 'continue', kind: 'boolean', description: 'collect every violated invariant instead of stopping at the first' },
  ...boundOptionSpecs('distinct states'),
  { name: 'no-symmetry', kind: 'boolean', description: 'explore without symmetry reduction' },
  { name: 'engine', kind: 'string', valueName: 'e', description: 'spec/ runs on: flat states (auto, flat), its State objects (object), or both compared at every step (verify)' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'write each counterexample and finding as a litmus file into dir' },
  { name: 'coverage', kind: 'boolean', description: 'print per-operation coverage and rules fired' },
  { name: 'json', kind: 'boolean', description: 'stable JSON output' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck check [options] [CONFIG ...]

Explores every reachable spec state of a model configuration (breadth-first, with
symmetry reduction), checks every invariant on every state, reports availability
findings, and prints the shortest counterexample as a litmus file.
CONFIG names a bundled configuration (default: seed-small); --config reads a file.
Exit: 0 held (a bounded run says "not exhaustive"), 1 violation, 2 bad input, 3 broke.`;

/** Bundled names and --config files; a bad file is a ConfigError (file:line: reason). */
export function loadConfigs(names: readonly string[], files: readonly string[] | undefined, cwd: string, dflt: string | null = 'seed-small'): ModelConfig[] {
  const out = names.map((n) => {
    if (!bundledConfigNames().includes(n)) throw new UsageError(`no bundled configuration '${n}' (bundled: ${bundledConfigNames().join(', ')}; use --config FILE for a file)`);
    return loadBundledConfig(n);
  });
  for (const f of files ?? []) out.push(loadConfigFile(resolve(cwd, f)));
  if (out.length === 0 && dflt !== null) out.push(loadBundledConfig(dflt));
  return out;
}

export function progressReporter(io: Io, label: string): ((p: Progress) => void) | undefined {
  return io.progress ? (p) => io.err(`${label}: ${formatProgress(p)}\n`) : undefined;
}

/** Run fn; map the model's input and tool errors to exit codes with a one-line message. */
export async function guarded(io: Io, name: string, fn: () => number | Promise<number>): Promise<number> {
  try { return await fn(); } catch (e) {
    if (e instanceof ConfigError) { io.err(`svacheck ${name}: ${e.message}\n`); return EXIT.USAGE; }
    if (e instanceof EncodingError) { io.err(`svacheck ${name}: the model's state encoding cannot hold a reached state (${e.message}); this is a tool bug\n`); return EXIT.BROKE; }
    if (e instanceof VisitedSetThreadError) { io.err(`svacheck ${name}: ${e.message}; this is a tool bug (run with --threads 1 meanwhile)\n`); return EXIT.BROKE; }
    if (e instanceof DivergenceError) { io.err(`svacheck ${name}: the flat and the object backend of spec/ disagree: ${e.message}; this is a tool bug (run with --engine object meanwhile)\n`); return EXIT.BROKE; }
    throw e;
  }
}


/** --max-states, --max-seconds and --max-memory: the same bounds for check, diff and report. */
export function boundOptionSpecs(what: string): OptionSpec[] {
  return [
    { name: 'max-states', kind: 'number', valueName: 'n', description: `stop after n ${what} (the run is then not exhaustive)` },
    { name: 'max-seconds', kind: 'number', valueName: 's', description: 'stop after s seconds (the run is then not exhaustive)' },
    { name: 'max-memory', kind: 'number', valueName: 'MB', description: `stop when the process uses more than MB megabytes (default ${defaultMaxMemoryMb()}, half of this machine's memory; not exhaustive)` },
    { name: 'threads', kind: 'number', valueName: 'n', description: `2: a large run keeps its visited set on a second thread; 1: one thread (default ${defaultThreads()} on this machine; same results either way)` },
  ];
}

/** Half of the machine's (or the cgroup's) memory, in MB. */
export function defaultMaxMemoryMb(): number {
  const total = totalmem();
  const limit = (process as { constrainedMemory?: () => number }).constrainedMemory?.() ?? 0;
  const machine = limit && limit > 0 && limit < total ? limit : total;
  return Math.max(256, Math.floor(machine / 2 / 2 ** 20));
}

// Node's timers and a day's worth of seconds; states beyond what a typed array can index.
const MAX_SECONDS = 2_147_483, MAX_STATES = 2 ** 32;

/** Threads a search uses by default: 2 where the machine has two cores or more. */
export function defaultThreads(): number { return availableParallelism() >= 2 ? 2 : 1; }

/** The bound options and --threads, checked: integers where counts, finite and in range. */
export function searchBounds(options: Record<string, unknown>): { maxStates?: number; maxSeconds?: number; maxMemory: number; threads?: number } {
  const ms = options['max-states'], sec = options['max-seconds'], mem = options['max-memory'], threads = options.threads;
  if (threads !== undefined && threads !== 1 && threads !== 2) throw new UsageError(`--threads must be 1 or 2, got ${String(threads)}`);
  if (ms !== undefined && (!Number.isInteger(ms) || (ms as number) < 1 || (ms as number) > MAX_STATES))
    throw new UsageError(`--max-states must be an integer in 1..${MAX_STATES}, got ${String(ms)}`);
  if (sec !== undefined && !((sec as number) > 0 && (sec as number) <= MAX_SECONDS))
    throw new UsageError(`--max-seconds must be a number of seconds in (0, ${MAX_SECONDS}], got ${String(sec)}`);
  if (mem !== undefined && (!Number.isInteger(mem) || (mem as number) < 1))
    throw new UsageError(`--max-memory must be an integer number of megabytes >= 1, got ${String(mem)}`);
  return { maxStates: ms as number | undefined, maxSeconds: sec as number | undefined, maxMemory: ((mem as number | undefined) ?? defaultMaxMemoryMb()) * 2 ** 20, ...(threads === undefined ? {} : { threads: threads as number }) };
}

/** Warnings (memory) go to stderr always, not only on a terminal. */
export const warner = (io: Io, name: string) => (text: string): void => io.err(`svacheck ${name}: warning: ${text}\n`);

/** The line saying that symmetry reduction was partial on some states, or nothing. */
export const partialLines = (n: number): string[] => n === 0 ? [] : [
  `Symmetry: partial canonical form on ${n.toLocaleString('en-US')} state(s) (more than ${ORDER_CAP} orders of tied identical devices);`,
  '  distinct-state counts may include symmetric duplicates; verdicts are unaffected.',
];

const ORDER_CAP = Packer.ORDER_CAP;

/** Engines before the rules were written once, and what replaced them. */
const RENAMED: Readonly<Record<string, string>> = { compiled: 'flat', spec: 'object' };

/** The --engine option, checked. */
export function engineOption(value: unknown): EngineChoice | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && Object.hasOwn(RENAMED, value))
    throw new UsageError(`--engine ${value} is gone: the model checker runs spec/ itself, on flat states (--engine ${RENAMED[value]}${value === 'spec' ? ', on spec/\'s own State objects' : ''}); choose one of ${ENGINES.join(', ')}`);
  if (!(ENGINES as readonly unknown[]).includes(value)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}, got '${String(value)}'`);
  return value as EngineChoice;
}

const ENGINE_LINE: Readonly<Record<string, string>> = {
  flat: 'Transitions: spec/ itself (its actions and caller contract) on flat states.',
  object: "Transitions: spec/ itself (its actions and caller contract) on spec/'s State objects.",
  verify: 'Transitions: spec/ on flat states and on State objects in lockstep; they agreed on every transition.',
};

const STOPPED_BY: Readonly<Record<string, string>> = {
  'max-states': '--max-states (bound hit)', 'max-seconds': '--max-seconds (bound hit)', 'max-memory': '--max-memory (bound hit)',
  interrupted: 'a signal (interrupted)', hook: 'the first violation',
};

export const stopLine = (exhaustive: boolean, stop: string, what: string): string =>
  exhaustive ? `Exhaustive within the configuration's bounds.`
    : `NOT EXHAUSTIVE: stopped by ${STOPPED_BY[stop] ?? stop}; ${what} cover only the explored part.`;

function failed(r: CheckResult): boolean {
  return r.violations.some((v) => !v.expected) || r.missingExpected.length > 0;
}

function render(r: CheckResult, mc: ModelConfig, showCoverage: boolean, written: Map<string, string>): string[] {
  const lines = [`== check ${r.config} / ${r.variant} (symmetry ${r.symmetry ? `on, group order ${r.symmetryOrder}` : 'off'}) ==`];
  const unexpected = r.violations.filter((v) => !v.expected);
  if (unexpected.length === 0 && r.missingExpected.length === 0)
    lines.push(r.exhaustive ? `No invariant violated${r.violations.length ? ' beyond the documented findings' : ''}.` : 'No invariant violated in the explored part.');
  for (const v of r.violations) {
    lines.push('', `${v.expected ? 'Documented finding' : 'Invariant violated'}: ${v.invariant} (rule ${v.rule}), in ${plural(v.states, 'distinct state')}; first: ${v.reason}`);
    lines.push(`Shortest trace (${plural(v.trace.length, 'step')}):`, ...v.lines);
    const path = written.get(v.litmus);
    if (path) lines.push(`Written: ${path}`);
    else lines.push('Litmus file:', ...v.litmus.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  for (const m of r.missingExpected) lines.push('', `Expected finding not reproduced: ${m} (listed under expect.${r.variant} in ${mc.source})`);
  if (r.availability.length > 0) lines.push('', 'Availability findings (design findings, not invariant violations):');
  for (const a of r.availability) {
    lines.push(`  ${a.kind} (${a.rule}): ${a.title} - ${plural(a.transitions, 'transition')}; shortest:`, ...a.lines.map((l) => `  ${l}`));
    const path = written.get(a.litmus);
    if (path) lines.push(`    Written: ${path}`);
  }
  lines.push('', ...formatStats(r.stats), ENGINE_LINE[r.engine], ...partialLines(r.symmetryPartial), stopLine(r.exhaustive, r.stop, 'statistics'));
  if (showCoverage) lines.push(...formatCoverage(r.coverage, OP_NAMES));
  return lines;
}

export function checkJson(r: CheckResult) {
  return {
    config: r.config, variant: r.variant, engine: r.engine, symmetry: r.symmetry, symmetryOrder: r.symmetryOrder, symmetryPartial: r.symmetryPartial, status: r.status,
    exhaustive: r.exhaustive, stop: r.stop, stats: r.stats, coverage: r.coverage, missingExpected: r.missingExpected,
    violations: r.violations.map((v) => ({ invariant: v.invariant, rule: v.rule, reason: v.reason, expected: v.expected, states: v.states, steps: v.lines.map((l) => l.trim()), litmus: v.litmus })),
    availability: r.availability.map((a) => ({ kind: a.kind, rule: a.rule, title: a.title, transitions: a.transitions, steps: a.lines.map((l) => l.trim()), litmus: a.litmus })),
  };
}

export const command: Command = {
  name: 'check',
  summary: 'model-check a configuration: every reachable state, every invariant',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    const bounds = searchBounds(options);
    const engine = engineOption(options.engine);
    const only = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const outDir = options.out ? OutDir.prepare(options.out as string, io.cwd) : null;   // before the run, not after it
    return guarded(io, 'check', () => {
      const configs = loadConfigs(positional, options.config as string[] | undefined, io.cwd);
      const results: CheckResult[] = [];
      const lines: string[] = [];
      for (const mc of configs) for (const v of only ?? mc.variants) {
        // A variant that has none of the configuration's operations would explore one state and "hold".
        const has = variantOf(v).ops;
        if (!mc.ops.some((o) => has.includes(o)))
          throw new UsageError(`${mc.source}: variant ${variantOf(v).name} has none of the operations [${mc.ops.join(', ')}]; nothing would be checked`);
      }
      const skipped: string[] = [];
      for (const mc of configs) {
        for (const v of only ?? mc.variants) {
          if (interrupted()) { skipped.push(`${mc.name}/${variantOf(v).name}`); continue; }
          const r = check(mc, v, {
            continue: Boolean(options.continue), symmetry: options['no-symmetry'] ? false : undefined,
            ...bounds, onWarning: warner(io, 'check'), interrupted,
            onProgress: progressReporter(io, `${mc.name}/${typeof v === 'string' ? v : v.name}`), engine,
          });
          results.push(r);
          const written = new Map<string, string>();
          if (outDir) {
            // Two configurations with one name get -2, -3...: nothing of this run is overwritten.
            for (const x of [...r.violations, ...r.availability]) {
              const name = 'invariant' in x ? `${r.config}-${r.variant}-${x.invariant}` : `${r.config}-${r.variant}-${x.kind}`;
              const path = outDir.write(name, x.litmus);
              if (path) written.set(x.litmus, path);
            }
          }
          if (!options.json) lines.push(...render(r, mc, Boolean(options.coverage), written), '');
        }
      }
      const bad = results.filter(failed);
      const sig = stopSignal();
      const code = sig ? exitCodeFor(sig) : bad.length > 0 ? EXIT.FAILED : EXIT.OK;
      const failedWrites = outDir?.failureLines('check') ?? [];
      if (options.json) {
        io.out(JSON.stringify({ command: 'check', exit: code, interrupted: sig, notRun: skipped, results: results.map(checkJson) }, null, 2) + '\n');
        for (const l of failedWrites) io.err(l + '\n');
        return code;
      }
      const partial = results.filter((r) => !r.exhaustive).length;
      lines.push(`Summary: ${plural(results.length, 'run')}; ${bad.length} with violations; ${partial > 0 ? `${partial} NOT EXHAUSTIVE (${sig ? 'interrupted' : 'bound hit'})` : 'all exhaustive'}.`);
      if (sig) lines.push(...interruptedLines('check', argv, skipped.length > 0 ? [`Not run: ${skipped.join(', ')}.`] : []));
      io.out(lines.join('\n') + '\n');
      for (const l of failedWrites) io.err(l + '\n');
      return code;
    });
  },
};
