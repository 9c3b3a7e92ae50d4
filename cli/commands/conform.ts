/**
 * `svacheck conform --impl <builtin | PATH | exec:CMD>`: check an implementation against the
 * spec. (1) the bundled litmus library (and --litmus files) run on the implementation; (2)
 * seeded random stateful runs in lockstep with the spec, with invariants (conformance/check.ts),
 * each failure shrunk and written as a litmus file; (3) a report: verdicts per file, rule
 * coverage, failures with the exact commands that replay them. Exit 0 all held, 1 a check
 * failed, 2 bad usage or input, 3 the implementation crashed, hung or broke the protocol.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MAX_STEPS, checkAdapter, counterexampleLitmus, freshSeed, type ConformanceReport } from '../../conformance/check.ts';
import { shrinkCrash, type Restartable } from '../../conformance/crash.ts';
import type { FailNthTarget } from '../../conformance/failnth.ts';
import { writeLitmus } from '../../vocab/litmus.ts';
import {
  bundledPath, bundledSources, coverageOf, findLitmusFiles, loadLitmus, renderOutcome, renderSummary, runSources, toJson,
  type FileOutcome, type LitmusSource,
} from '../../conformance/litmus/index.ts';
import { openExecAdapter, renderExecReport, type ExecAdapter, type ExecOptions, type ExecReport } from '../../conformance/protocol/index.ts';
import { ConfigError, bundledConfigNames, loadBundledConfig, loadConfigFile } from '../../model/config.ts';
import { SEED_SETUP, VARIANTS, type Op, type OpName, type Setup, type SvaAdapter, type VariantName } from '../../vocab/index.ts';
import { helpText, intOption, MAX_TIMER_MS, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { isVariantPath, resolveVariantArg, variantArgs } from '../variants.ts';
import { implVariantOf } from '../../conformance/lockstep.ts';
import type { Variant } from '../../spec/index.ts';
import { EXIT, type Io } from '../io.ts';
import { shq } from '../shell.ts';
import { failNthJson, renderFailNth, runFailNth } from '../failnth.ts';
import type { Command } from '../main.ts';
import { ModuleAdapter } from '../moduleAdapter.ts';
import { OutDir, writeAtomic } from '../out.ts';
import { exitCodeFor, interrupted, interruptedLines, stopSignal, type StopSignal } from '../interrupt.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'impl', kind: 'string', valueName: 'spec', description: "the implementation: 'builtin', a TS/JS module path (default export, adapter or createAdapter), or 'exec:<command and args>'" },
  { name: 'variant', kind: 'list', valueName: 'name|file', description: `check only these variants (repeat or comma list), or a design file checked against the implementation's variant it answers to (litmusAs); default: every variant the implementation announces` },
  { name: 'runs', kind: 'number', valueName: 'n', description: 'random stateful runs per variant and setup (default 100; 0: none)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'seed of the random runs (default: a fresh one, printed)' },
  { name: 'path', kind: 'string', valueName: 'p', description: 'fast-check replay path: with --seed, go straight to a printed counterexample' },
  { name: 'max-steps', kind: 'number', valueName: 'n', description: `most operations per random run (default ${DEFAULT_MAX_STEPS})` },
  { name: 'config', kind: 'list', valueName: 'yaml', description: `device setups to test (model config YAML, or a bundled name: ${bundledConfigNames().join(', ')}); default: the seed setup` },
  { name: 'setups', kind: 'list', valueName: 'kind', description: "more setups: 'seed' (the seed setup), 'bundled' (every bundled configuration's), 'random' (random small setups, a new one per run)" },
  { name: 'litmus', kind: 'list', valueName: 'path', description: 'extra litmus files or directories to run on the implementation' },
  { name: 'no-library', kind: 'boolean', description: 'do not run the bundled litmus library' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'where shrunk failures are written as litmus files (default .svacheck-out/conform)' },
  { name: 'timeout', kind: 'number', valueName: 'ms', description: 'deadline of each response (exec:) or call (module) in ms (default 5000)' },
  { name: 'stderr-is-error', kind: 'boolean', description: "exec: treat the implementation's stderr output as a protocol failure" },
  { name: 'pipeline', kind: 'boolean', description: 'exec: send each random run ahead in batch lines when the implementation announces batches (PROTOCOL.md §8), checked step by step (the default)' },
  { name: 'no-pipeline', kind: 'boolean', description: 'exec: send one request per line, waiting for each answer, even to an implementation that announces batches (by default each random run goes out ahead in batch lines, PROTOCOL.md §8, and is checked step by step with the same verdicts)' },
  { name: 'fail-nth', kind: 'boolean', description: 'also fail every fallible call of every operation once (builtin, or an exec: program announcing fail_nth and leaks, PROTOCOL.md §11)' },
  { name: 'json', kind: 'boolean', description: 'print the stable JSON form instead of text' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck conform --impl <builtin | PATH | exec:CMD> [options]

Checks an implementation against the spec: the litmus library on the implementation, then
seeded random stateful runs compared with the spec step by step (results, invariants,
observations). Failures are shrunk and written as litmus files. The subprocess protocol of
exec: implementations is conformance/PROTOCOL.md.`;

export interface ConformOptions {
  readonly impl: string;
  readonly variants?: readonly VariantName[];
  /**
   * Designs from files (--variant ./my-design.ts), by the implementation variant each is checked
   * against (the one it answers to): the spec side runs the design's rules; `arg` is how it was
   * given, for replay commands.
   */
  readonly designs?: ReadonlyMap<VariantName, { readonly variant: Variant; readonly arg: string }>;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly maxSteps: number;
  /** Setups with the name they are shown by and the --config argument that gave them. */
  readonly setups: readonly ConformSetup[];
  readonly litmus: readonly string[];
  readonly library: boolean;
  readonly out: string;
  readonly timeoutMs?: number;
  readonly stderrIsError: boolean;
  /** Random runs sent ahead to an implementation announcing batches (CheckOptions.pipeline; default true). */
  readonly pipeline?: boolean;
  /** The command printed replays start with (default: npx svacheck conform --impl IMPL). */
  readonly replayBase?: readonly string[];
  /** exec: a fresh process of the implementation, to shrink a crash with (conformance/crash.ts). */
  readonly reopen?: () => Promise<Restartable | null>;
}

/** A setup to run on, the name it is shown by, and the options that select it again; null: random small setups. */
export interface ConformSetup { readonly name: string; readonly args: readonly string[]; readonly setup: Setup | null }

export interface RandomOutcome {
  readonly variant: VariantName;
  readonly setup: string;
  readonly report: ConformanceReport;
  /** Where the shrunk failure was written, and the commands that replay it. */
  readonly file?: string;
  readonly replayFile?: string;
  readonly replaySeed?: string;
  /** This run was stopped by a signal; its failure (if any) is the interruption, not the implementation. */
  readonly interrupted?: boolean;
}

export interface ConformResult {
  readonly impl: string;
  readonly name: string;
  readonly variants: readonly VariantName[];
  /** The names litmus verdicts carry: a design's own name where one stands for a variant. */
  readonly shown?: readonly string[];
  readonly seed: number;
  readonly litmus: readonly FileOutcome[];
  readonly litmusStopped: boolean;
  /** Litmus files not run: they use operations the implementation did not announce (hello.ops). */
  readonly notRun: readonly { readonly file: string; readonly ops: readonly string[] }[];
  /** Nothing at all was checked (no verdict, no operation): never a pass. */
  readonly nothingChecked: boolean;
  /** A signal stopped the run: what was done is reported, the rest not run. */
  readonly interrupted: StopSignal | null;
  readonly random: readonly RandomOutcome[];
  /** The exec implementation broke the protocol: what happened and how far the run got. */
  readonly broke: ExecReport | null;
  readonly code: 0 | 1 | 2 | 3 | 130 | 143;
}

/** Operations per random run and runs per variant beyond which a run would exhaust memory or never end. */
const MAX_STEPS = 10_000, MAX_RUNS = 1_000_000;

/** An implementation run under supervision: an exec: child process, or a module in a worker thread. */
type Supervised = ExecAdapter | ModuleAdapter;

type Loaded = { ok: true; adapter: SvaAdapter; exec: Supervised | null } | { ok: false; code: 2 | 3; lines: string[]; report?: ExecReport };

/** builtin, a module path, or exec:CMD → an adapter, or why not (2: usage/input, 3: it broke). */
export async function loadImplementation(spec: string, cwd: string, options: { timeoutMs?: number; stderrIsError?: boolean } = {}): Promise<Loaded> {
  if (spec === 'builtin') {
    const { createBuiltinAdapter } = await import('../../impl/index.ts');
    return { ok: true, adapter: createBuiltinAdapter(), exec: null };
  }
  if (spec.startsWith('exec:')) {
    const o = await openExecAdapter(spec, { cwd, requestTimeoutMs: options.timeoutMs, stderrIsError: options.stderrIsError });
    if (o.ok) return { ok: true, adapter: o.adapter, exec: o.adapter };
    if (o.usage) return { ok: false, code: 2, lines: [o.usage] };
    return { ok: false, code: 3, report: o.report, lines: [`The implementation broke before the first check (${spec}):`, ...(o.report ? renderExecReport(o.report).map((l) => `  ${l}`) : [])] };
  }
  // A module runs in a worker thread, where its calls have a deadline and its crashes stay its own.
  const o = await ModuleAdapter.open(path.resolve(cwd, spec), { timeoutMs: options.timeoutMs, shown: spec });
  if (o.ok) return { ok: true, adapter: o.adapter, exec: o.adapter };
  if (o.code === 2) return { ok: false, code: 2, lines: [`--impl ${spec}: ${o.message}`] };
  return { ok: false, code: 3, report: o.report, lines: [`The implementation broke before the first check (${spec}):`, ...(o.report ? renderExecReport(o.report).map((l) => `  ${l}`) : [`  ${o.message}`])] };
}

/** The adapter as a fail-nth target, if it announces the capabilities (exec: hello, or the builtin). */
function failNthTarget(adapter: SvaAdapter): FailNthTarget | null {
  const a = adapter as Partial<FailNthTarget>;
  const caps = a.capabilities;
  return caps && caps.fail_nth && caps.leaks && typeof a.applyTracked === 'function' && typeof a.leaks === 'function' ? adapter as FailNthTarget : null;
}

/** A fresh process of an exec: implementation, for shrinking a crash. */
export async function reopenExec(impl: string, cwd: string, options: ExecOptions): Promise<Restartable | null> {
  const o = await openExecAdapter(impl, { ...options, cwd });
  if (!o.ok) return null;
  return { adapter: o.adapter, brokeHow: () => o.adapter.failed?.kind ?? null, close: () => o.adapter.close() };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** An implementation's own name for the terminal: control characters shown escaped, one line, bounded. */
export const safeName = (name: string): string => {
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
};

/**
 * What the runner may ask of an adapter beyond the contract's three calls, each found by name
 * (servesDigest, the SameObserver and AheadSender interfaces, conformance/lockstep.ts): a
 * wrapper that left one out would silently send the run down the slow path.
 */
const OPTIONAL_CALLS = ['observeOrDigest', 'observeUnlessSame', 'sendStep'] as const;

/** The adapter as runs see it: once a signal arrived, every call fails at once, so a run in progress ends. */
export function interruptible(adapter: SvaAdapter): SvaAdapter {
  const stop = () => new Error(`interrupted by ${stopSignal()}`);
  const guard = <A extends unknown[], R>(call: (...args: A) => R) => (...args: A): R => { if (interrupted()) throw stop(); return call(...args); };
  const wrapped: SvaAdapter & Record<string, unknown> = {
    contractVersion: 1, name: adapter.name, variants: adapter.variants,
    configure: guard((setup, variant) => adapter.configure(setup, variant)),
    apply: guard((op) => adapter.apply(op)),
    observe: guard((probes) => adapter.observe(probes)),
    // What the runner asks of the adapter itself (servesBatches, servesDigest, replaceable)
    // passes through: without it batches and digests would silently never be used, and a
    // process broken on requests sent ahead never replaced.
    get capabilities() { return (adapter as { capabilities?: Readonly<Record<string, number>> }).capabilities; },
    get replaceable() { return (adapter as { replaceable?: boolean }).replaceable; },
  };
  for (const name of OPTIONAL_CALLS) {
    const call = (adapter as unknown as Record<string, unknown>)[name];
    if (typeof call === 'function') wrapped[name] = guard((...args: unknown[]) => call.apply(adapter, args));
  }
  return wrapped;
}

/** Run the whole conformance check; never throws for a failing or broken implementation. */
export async function runConform(o: ConformOptions, impl: SvaAdapter, exec: Supervised | null, io: Io): Promise<ConformResult> {
  const adapter = interruptible(impl);
  // Progress on stderr only once the run takes a while, then at most every few seconds.
  const started = Date.now();
  let next = started + 3000;
  const progress = (s: string) => {
    if (!io.progress || Date.now() < next) return;
    next = Date.now() + 3000;
    io.err(`conform [${((Date.now() - started) / 1000).toFixed(0)}s]: ${s}\n`);
  };
  const variants = (o.variants ?? adapter.variants.filter((v) => (VARIANTS as readonly string[]).includes(v)));
  if (variants.length === 0)
    throw new UsageError(`${safeName(adapter.name)} announces no variant svacheck knows (announced: ${adapter.variants.map((v) => safeName(String(v))).join(', ') || 'none'}; known: ${VARIANTS.join(', ')}); nothing would be checked`);
  // PROTOCOL.md §4: never send an op outside hello.ops. Module adapters implement every op.
  const announced: readonly OpName[] | null = exec ? exec.ops : null;
  const base = o.replayBase ? [...o.replayBase] : ['npx', 'svacheck', 'conform', '--impl', shq(o.impl)];
  /** The rules a variant is checked against: a design from a file standing for it, or its own. */
  const specFor = (v: VariantName): VariantName | Variant => o.designs?.get(v)?.variant ?? v;
  const argOf = (v: VariantName): string => shq(o.designs?.get(v)?.arg ?? v);

  // (1) litmus files on the implementation, file by file, stopping if the implementation broke.
  const sources: LitmusSource[] = [...(o.library ? await bundledSources() : [])];
  if (o.litmus.length > 0) {
    const found = await findLitmusFiles(o.litmus, io.cwd);
    if (found.missing.length > 0) throw new UsageError(`--litmus: no such file or directory: ${found.missing.join(', ')}`);
    sources.push(...found.sources);
  }
  const litmus: FileOutcome[] = [];
  const notRun: { file: string; ops: OpName[] }[] = [];
  let litmusStopped = false;
  for (const [i, src] of sources.entries()) {
    if (interrupted()) break;
    if (announced) {
      const loaded = await loadLitmus(src);
      const lacking = loaded.ok ? [...new Set(loaded.litmus.doc.steps.map((st) => st.op.op))].filter((x) => !announced.includes(x)) : [];
      if (lacking.length > 0) { notRun.push({ file: src.shown, ops: lacking }); continue; }
    }
    progress(`litmus ${i + 1}/${sources.length} ${src.shown}`);
    const outcome = await runSources([src], variants.map(specFor), { subject: adapter });
    if (interrupted()) break;                     // cut short by the signal: no verdict, not a crash
    litmus.push(...outcome);
    if (exec?.failed) { litmusStopped = i + 1 < sources.length; break; }
  }

  // (2) random stateful runs per variant and setup, all from one seed.
  const random: RandomOutcome[] = [];
  if (!exec?.failed && o.runs > 0) {
    await mkdir(o.out, { recursive: true }).catch(() => undefined);
    outer: for (const variant of variants) {
      for (const s of o.setups) {
        if (interrupted()) break outer;
        progress(`random runs: ${variant} on ${s.name}, ${o.runs} runs, seed ${o.seed}`);
        const configArgs = s.args.map(shq);
        const replaySeed = (seed: number, p: string | null) =>
          [...base, '--variant', argOf(variant), ...configArgs, '--no-library', '--seed', String(seed), ...(p ? ['--path', shq(p)] : []),
            '--runs', String(o.runs), '--max-steps', String(o.maxSteps)].join(' ');
        const report = await checkAdapter(adapter, { variant: specFor(variant), setup: s.setup ?? undefined, runs: o.runs, seed: o.seed, path: o.path, maxSteps: o.maxSteps, replay: replaySeed, pipeline: o.pipeline, ...(announced ? { ops: announced } : {}) })
          .catch((e: unknown) => {
            // A well-formed path that is not one of this seed's: bad input, not a broken tool.
            if (o.path !== undefined && /Unable to replay|wrong path/i.test(String((e as Error)?.message)))
              throw new UsageError(`--path ${o.path} is not a path of seed ${o.seed} with these options (${String((e as Error).message).split('\n')[0]})`);
            throw e;
          });
        if (interrupted()) { random.push({ variant, setup: s.name, report, interrupted: true }); break outer; }
        if (exec?.failed) {
          const shrunk = await shrinkBroken(o, exec, variant, report.seed, replaySeed, io);
          random.push(shrunk ? { ...shrunk, variant, setup: s.name } : { variant, setup: s.name, report });
          break outer;
        }
        if (report.ok || !report.failure) { random.push({ variant, setup: s.name, report }); continue; }
        const file = path.join(o.out, `${report.failure.litmus.name}.litmus.yaml`);
        const rel = path.relative(io.cwd, file);
        const shown = rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
        let written: string | undefined = shown;
        try { writeAtomic(file, report.failure.litmusText); } catch (e) {
          written = undefined;
          io.err(`svacheck conform: cannot write ${shown}: ${(e as Error).message.split('\n')[0]}\n`);
        }
        const replayFile = [...base, '--variant', argOf(variant), '--no-library', '--runs', '0', '--litmus', shq(shown)].join(' ');
        random.push({ variant, setup: s.name, report, file: written, replayFile, replaySeed: report.failure.replay });
      }
    }
  }

  const sig = stopSignal();
  const broke = exec?.failed ? exec.report() : null;
  const crashed = broke !== null
    || litmus.some((f) => f.verdicts.some((v) => v.verdict === 'Crash'))
    || random.some((r) => !r.interrupted && (r.report.broke !== undefined || r.report.failure?.check === 'crash'));
  const malformed = litmus.some((f) => f.errors.length > 0 || f.verdicts.some((v) => v.verdict === 'Malformed'));
  const failed = litmus.some((f) => f.verdicts.some((v) => v.verdict === 'No')) || random.some((r) => !r.interrupted && !r.report.ok);
  const nothingChecked = !litmus.some((f) => f.verdicts.length > 0) && !random.some((r) => r.report.checked > 0);
  const code = sig ? exitCodeFor(sig) : crashed ? EXIT.BROKE : malformed ? EXIT.USAGE : failed ? EXIT.FAILED : nothingChecked ? EXIT.USAGE : EXIT.OK;
  const shown = variants.map((v) => o.designs?.get(v)?.variant.name ?? v);
  return { impl: o.impl, name: adapter.name, variants, shown, seed: o.seed, litmus, litmusStopped, notRun, nothingChecked, interrupted: sig, random, broke, code: code as ConformResult['code'] };
}

/**
 * The implementation broke (crashed, exited, hung) during a random run: shrink the operations of
 * that run on fresh processes, and report the shrunk trace like any other failure.
 */
async function shrinkBroken(o: ConformOptions, exec: Supervised, variant: VariantName, seed: number,
  replaySeed: (seed: number, p: string | null) => string, io: Io): Promise<Omit<RandomOutcome, 'variant' | 'setup'> | null> {
  const before = exec.report();
  if (!o.reopen || before.configured === null || before.transcript.length === 0) return null;
  const setup = before.configured.setup, ops = before.transcript.map((e) => e.op);
  if (io.progress) io.err(`conform: the implementation broke (${before.failure?.kind}); shrinking its last run on fresh processes\n`);
  const shrunk = await shrinkCrash(o.reopen, setup, variant, ops);
  if (shrunk === null) return null;
  const failure = { ...shrunk.failure, message: `${shrunk.failure.message} [${shrunk.how}]` };
  const trace = shrunk.trace;
  const litmus = counterexampleLitmus(before.name ?? o.impl, variant, setup, trace, failure, seed, null);
  const replay = replaySeed(seed, null);
  const litmusText = writeLitmus(litmus, [
    `svacheck conformance counterexample: ${before.name ?? o.impl}, variant ${variant}`,
    `the implementation broke (${shrunk.how}) at the last step; shrunk on ${shrunk.attempts} fresh process(es)`,
    `seed: ${seed}`, `replay: ${replay}`,
  ]);
  await mkdir(o.out, { recursive: true }).catch(() => undefined);
  const file = path.join(o.out, `${litmus.name}.litmus.yaml`);
  let written: string | undefined = file;
  try { await writeFile(file, litmusText); } catch { written = undefined; }
  const base = o.replayBase ? [...o.replayBase] : ['npx', 'svacheck', 'conform', '--impl', shq(o.impl)];
  const report: ConformanceReport = {
    adapter: before.name ?? o.impl, variant, ok: false, seed, path: null, runs: 1, shrinks: shrunk.attempts, checked: trace.length, timeMs: 0,
    failure: { ...failure, setup, trace, litmus, litmusText, replay },
  };
  return { report, file: written, replaySeed: replay,
    replayFile: [...base, '--variant', variant, '--no-library', '--runs', '0', '--litmus', shq(written ?? file)].join(' ') };
}

/** The built-in variants among those the litmus verdicts carry (a design stands for its own name). */
const builtinShown = (r: ConformResult): VariantName[] => VARIANTS.filter((v) => (r.shown ?? r.variants).includes(v));

export function renderConform(r: ConformResult): string[] {
  const out: string[] = [`svacheck conform: ${safeName(r.name)} (${r.impl})`, `variants: ${r.variants.join(', ')}`, ''];
  if (r.notRun.length > 0) {
    out.push(`Litmus files not run: they use operations the implementation does not announce (${r.notRun.length}):`);
    out.push(...r.notRun.map((x) => `  ${x.file}: ${x.ops.join(', ')}`), '');
  }
  if (r.litmus.length > 0) {
    out.push(`Litmus scenarios on the implementation (${plural(r.litmus.length, 'file')}${r.litmusStopped ? ', stopped early: the implementation broke' : ''}):`);
    // A failing bundled scenario is named so that `npx svacheck replay NAME` finds it anywhere.
    const explain = (o: FileOutcome) => o.verdicts.filter((v) => v.verdict === 'No')
      .map((v) => `  explain it: npx svacheck replay ${o.file === `litmus/${v.name}.litmus.yaml` && bundledPath(v.name) ? v.name : shq(o.file)} --variant ${v.variant}`);
    out.push(...r.litmus.flatMap((o) => [...renderOutcome(o), ...explain(o)]), '', ...renderSummary(r.litmus, r.shown ?? r.variants));
    const cov = coverageOf(r.litmus, builtinShown(r));           // coverage is counted for built-in variants
    if (cov.rules.length > 0) out.push('', `Rule coverage: ${cov.rules.length - cov.uncovered.length} of ${cov.rules.length} API rules of these variants fired by the scenarios run`);
    if (cov.rules.length > 0 && cov.uncovered.length > 0)
      out.push(`  not exercised: ${cov.uncovered.slice(0, 12).join(', ')}${cov.uncovered.length > 12 ? ` (+${cov.uncovered.length - 12} more)` : ''}`);
    out.push('');
  }
  if (r.random.length > 0) {
    out.push(`Random stateful runs against the spec (seed ${r.seed}):`);
    for (const x of r.random) {
      const rep = x.report;
      const head = `  ${rep.design ?? x.variant} on ${x.setup}: ${plural(rep.runs, 'run')}, ${plural(rep.checked, 'op')} checked, ${rep.timeMs} ms`;
      if (x.interrupted) { out.push(`${head} - stopped: interrupted${rep.ok ? '' : ' (this run is incomplete)'}`); continue; }
      if (rep.ok) { out.push(`${head} - ok`); continue; }
      if (r.broke && !rep.failure) { out.push(`${head} - stopped: the implementation broke (below)`); continue; }
      if (rep.broke) { out.push(`${head} - BROKE: ${rep.broke.split('\n')[0]}`); continue; }
      const f = rep.failure!;
      out.push(`${head} - FAILED (${f.check}): ${f.message}`);
      if (f.rules?.length) out.push(`    the spec decides step ${f.step} by ${f.rules.join(', ')} (npx svacheck rules ${f.rules[f.rules.length - 1]} explains a rule)`);
      out.push(`    shrunk to ${plural(f.trace.length, 'operation')}; the trace as a litmus file:`);
      if (x.file) out.push(`    ${x.file}`);
      out.push(...f.litmusText.split('\n').filter((l) => l.length > 0).map((l) => `      | ${l}`));
      if (x.file) out.push(`    explain it:       npx svacheck replay ${shq(x.file)} --variant ${x.variant}`);
      out.push(`    replay the file:  ${x.replayFile}`, `    replay the seed:  ${x.replaySeed}`);
    }
    out.push('');
  }
  if (r.broke) out.push('The implementation broke:', ...renderExecReport(r.broke).map((l) => `  ${l}`), '');
  if (r.nothingChecked && r.code === EXIT.USAGE) out.push('NOTHING WAS CHECKED: no litmus verdict and no operation of a random run; this is not a pass.', '');
  if (r.interrupted) { out.push(`Verdict: interrupted by ${r.interrupted}; the results above are partial (exit ${r.code})`); return out; }
  const verdict = ['all checks held', 'a check failed', 'bad input', 'the implementation under test broke'][r.code];
  out.push(`Verdict: ${verdict} (exit ${r.code})`);
  return out;
}

export function conformJson(r: ConformResult): unknown {
  return {
    version: 1, impl: r.impl, name: r.name, variants: r.variants, seed: r.seed, exit: r.code,
    litmus: toJson(r.litmus, r.shown ?? r.variants, coverageOf(r.litmus, builtinShown(r))),
    litmusStopped: r.litmusStopped, notRun: r.notRun, nothingChecked: r.nothingChecked, interrupted: r.interrupted,
    random: r.random.map((x) => ({
      variant: x.variant, setup: x.setup, ok: x.report.ok, interrupted: x.interrupted ?? false, runs: x.report.runs, checked: x.report.checked, seed: x.report.seed,
      path: x.report.path, broke: x.report.broke ?? null,
      failure: x.report.failure ? {
        check: x.report.failure.check, step: x.report.failure.step, message: x.report.failure.message,
        trace: x.report.failure.trace.length, file: x.file ?? null, replayFile: x.replayFile, replaySeed: x.replaySeed,
      } : null,
    })),
    broke: r.broke && {
      failure: r.broke.failure, totals: r.broke.totals, stderr: r.broke.stderr,
      transcript: r.broke.transcript.map((e) => ({ op: e.op, result: e.result ?? null })),
    },
  };
}

async function closeQuietly(adapter: SvaAdapter): Promise<void> {
  try { await adapter.close?.(); } catch { /* already failing */ }
}

/** Close the implementation; what the report must add: close() threw (broke), or a non-zero exit after shutdown (a note). */
async function closeAndSay(adapter: SvaAdapter, exec: Supervised | null): Promise<{ broke: boolean; lines: string[] }> {
  const before = exec?.failed ?? null;
  try { await adapter.close?.(); } catch (e) {
    return { broke: true, lines: [`The implementation broke at close(): ${safeName((e as Error)?.message?.split('\n')[0] ?? String(e))}`] };
  }
  if (exec && before === null && exec.failed !== null) return { broke: true, lines: [`The implementation broke at close(): ${safeName(exec.failed.detail)}`] };
  const r = exec?.report();
  if (r?.exitAfterShutdown) {
    const x = r.exitAfterShutdown;
    return { broke: false, lines: [`Note: after shutdown the implementation ${x.signal ? `was killed by ${x.signal}` : `exited with status ${x.code}`} (PROTOCOL.md §10: shown, not a failure).`] };
  }
  return { broke: false, lines: [] };
}

/** The setups --config and --setups name; the seed setup when they name none. */
export function loadSetups(configs: readonly string[] | undefined, kinds: readonly string[] | undefined, cwd: string): ConformSetup[] {
  const out: ConformSetup[] = [];
  for (const kind of (kinds ?? []).flatMap((k) => k.split(',')).map((k) => k.trim()).filter(Boolean)) {
    if (kind === 'seed') out.push({ name: 'the seed setup', args: ['--setups', 'seed'], setup: SEED_SETUP });
    else if (kind === 'random') out.push({ name: 'random setups', args: ['--setups', 'random'], setup: null });
    else if (kind === 'bundled') for (const name of bundledConfigNames()) out.push({ name, args: ['--config', name], setup: loadBundledConfig(name).setup });
    else throw new UsageError(`--setups: unknown kind '${kind}' (seed, bundled or random)`);
  }
  for (const arg of configs ?? []) {
    try {
      const cfg = bundledConfigNames().includes(arg) ? loadBundledConfig(arg) : loadConfigFile(path.resolve(cwd, arg));
      out.push({ name: cfg.name, args: ['--config', arg], setup: cfg.setup });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`--config: ${e.message}`);
      throw e;
    }
  }
  return out.length > 0 ? out : [{ name: 'the seed setup', args: [], setup: SEED_SETUP }];
}

/**
 * The options of a run of random checks, validated: --runs, --max-steps, --seed (32 bits: a
 * larger one would be silently truncated), --timeout (within Node's 32-bit timers) and --path
 * (fast-check's digits and colons, then optionally `@` and fc.commands' replayPath; only with
 * its --seed). Shared by conform and kernel.
 */
export function runOptions(options: Record<string, unknown>): { runs: number; maxSteps: number; seed: number; timeoutMs?: number; path?: string } {
  const intOpt = (name: string, dflt: number, min: number, max?: number): number => intOption(options[name], name, dflt, min, max);
  const path = options.path as string | undefined;
  if (path !== undefined && !/^\d+(:\d+)*(@[A-Za-z0-9+/=]*)?$/.test(path))
    throw new UsageError(`--path '${path}' is not a replay path (digits separated by ':', optionally '@' and the commands' path, as printed by a failing run)`);
  if (path !== undefined && options.seed === undefined) throw new UsageError('--path replays a printed counterexample and needs its --seed');
  return {
    runs: intOpt('runs', 100, 0, MAX_RUNS),
    maxSteps: intOpt('max-steps', DEFAULT_MAX_STEPS, 1, MAX_STEPS),
    seed: options.seed === undefined ? freshSeed() : intOpt('seed', 0, -(2 ** 31), 2 ** 31 - 1),
    timeoutMs: options.timeout === undefined ? undefined : intOpt('timeout', 5000, 1, MAX_TIMER_MS),
    path,
  };
}

export const command: Command = {
  name: 'conform',
  summary: 'check an implementation (builtin, a module, or exec:CMD) against the spec',
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (options.pipeline && options['no-pipeline']) throw new UsageError('--pipeline and --no-pipeline contradict each other');
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}' (the implementation is given with --impl)`);
    const impl = options.impl as string | undefined;
    if (!impl) throw new UsageError('--impl is required: builtin, a module path, or exec:<command and args>');
    const { runs, maxSteps, seed, timeoutMs, path: fcPath } = runOptions(options);
    const chosen = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const designArgs = new Map<string, string>();     // a design's name -> the --variant path that gave it
    for (const raw of (options.variant as string[] | undefined) ?? []) if (isVariantPath(raw)) designArgs.set((await resolveVariantArg(raw, io.cwd)).name, raw);
    const setups = loadSetups(options.config as string[] | undefined, options.setups as string[] | undefined, io.cwd);
    const out = path.resolve(io.cwd, (options.out as string | undefined) ?? '.svacheck-out/conform');
    if (options.out !== undefined) OutDir.prepare(options.out as string, io.cwd);   // an unusable --out is found before the run

    const loaded = await loadImplementation(impl, io.cwd, { timeoutMs, stderrIsError: Boolean(options['stderr-is-error']) });
    if (!loaded.ok) {
      if (loaded.code === EXIT.USAGE) throw new UsageError(loaded.lines.join('\n'));
      if (options.json) io.out(JSON.stringify({ version: 1, impl, exit: loaded.code, broke: loaded.report ?? loaded.lines.join('\n') }, null, 2) + '\n');
      else io.out([...loaded.lines, '', `Verdict: the implementation under test broke (exit ${loaded.code})`].join('\n') + '\n');
      return loaded.code;
    }
    const { adapter, exec } = loaded;
    let result: ConformResult;
    let sweeps: Awaited<ReturnType<typeof runFailNth>> = [];
    try {
      const target = failNthTarget(adapter);
      if (options['fail-nth'] && target === null)
        throw new UsageError(`--fail-nth: ${adapter.name} does not announce the fail_nth and leaks capabilities (PROTOCOL.md §11)`);
      // A design from a file stands for the implementation variant it answers to.
      const only = chosen?.map((v) => implVariantOf(v, adapter));
      const designs = new Map((chosen ?? []).filter((v) => designArgs.has(v.name)).map((v) => [implVariantOf(v, adapter), { variant: v, arg: designArgs.get(v.name)! }] as const));
      const missing = (only ?? []).filter((v) => !adapter.variants.includes(v));
      if (missing.length > 0)
        throw new UsageError(`${safeName(adapter.name)} does not implement ${missing.join(', ')} (it implements: ${adapter.variants.map((v) => safeName(String(v))).join(', ') || 'none'})`);
      result = await runConform({
        impl, variants: only, designs, runs, seed, path: fcPath, maxSteps, setups,
        litmus: (options.litmus as string[] | undefined) ?? [], library: !options['no-library'], out,
        timeoutMs, stderrIsError: Boolean(options['stderr-is-error']), pipeline: !options['no-pipeline'],
        reopen: impl.startsWith('exec:') ? () => reopenExec(impl, io.cwd, { requestTimeoutMs: timeoutMs, stderrIsError: Boolean(options['stderr-is-error']) }) : undefined,
      }, adapter, exec, io);
      if (options['fail-nth'] && target !== null && !exec?.failed && !interrupted()) sweeps = await runFailNth(target, result.variants, setups, runs, seed, maxSteps, io);
    } catch (e) {
      await closeQuietly(adapter);
      throw e;
    }
    // Close before printing: a close that throws, or an exit status after shutdown, is part of the report.
    const after = await closeAndSay(adapter, exec);
    let code = Math.max(result.code, ...sweeps.map((s) => (s.broke !== null ? EXIT.BROKE : s.failed > 0 ? EXIT.FAILED : EXIT.OK))) as ConformResult['code'];
    if (after.broke && !result.interrupted) code = EXIT.BROKE;
    result = { ...result, code };
    if (options.json) {
      io.out(JSON.stringify({ ...(conformJson(result) as object), ...(options['fail-nth'] ? { failNth: sweeps.map(failNthJson) } : {}), afterClose: after.lines.length > 0 ? after.lines : null }, null, 2) + '\n');
      return code;
    }
    const lines = renderConform(result);
    const verdict = lines.pop()!;
    const replay = { base: ['npx', 'svacheck', 'conform', '--impl', shq(impl), '--fail-nth'], seed, runs, maxSteps, setups: setups.flatMap((x) => x.args) };
    if (options['fail-nth']) lines.push(...sweeps.flatMap((s) => [...renderFailNth(s, replay), '']));
    if (after.lines.length > 0) lines.push(...after.lines, '');
    const stopped = result.interrupted ? interruptedLines('conform', options.seed === undefined ? [...argv, '--seed', String(seed)] : argv, [`Seed ${seed}.`]) : [];
    io.out([...lines, verdict, ...stopped].join('\n') + '\n');
    return code;
  },
};
