/**
 * The conformance runner, independent of vitest: random operation sequences over random small
 * setups (or a given one), run on an implementation in lockstep with the spec, through
 * fast-check's commands (fc.commands + fc.asyncModelRun). A failure is shrunk by fast-check,
 * replayed once more to get the exact trace, and written as a litmus file a person can run.
 *
 * The only preconditions are the caller contract (SpecDriver.breach): unbind and get_pasid
 * of a live handle, free_global of an id the caller holds, detach_pasid of a non-SVA attach,
 * no op naming an exited mm. Every other call runs, including the ones that must fail.
 */
import fc from 'fast-check';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { formatOp, formatResult, R, type Op, type OpName, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import { writeLitmus, type LitmusDoc, type LitmusStep } from '../vocab/litmus.ts';
import { dmaDifferences } from './abstraction.ts';
import { DecodedInteger, opCode, setupArb } from './arbitraries.ts';
import { CHECKS, ConformanceFailure, Lockstep, implVariantOf, nameOf, runTrace, servesBatches, specOf, type LockstepOptions, type StepFailure, type Target } from './lockstep.ts';

export { CHECKS, type CheckKind, type StepFailure } from './lockstep.ts';

export interface CheckOptions {
  /** A built-in variant, or a design from a file (checked against the implementation's variant it answers to). */
  readonly variant: Target;
  /** A fixed setup; random small setups (arbitraries.ts) when absent. */
  readonly setup?: Setup;
  /** Random sequences to try (fast-check numRuns). Default 100. */
  readonly runs?: number;
  /** fast-check seed. Default: a fresh one (printed in the report). */
  readonly seed?: number;
  /** Replay path (a report's `path`): with the seed, go straight to that counterexample. */
  readonly path?: string;
  /**
   * Most operations generated per sequence (those the caller contract forbids are dropped).
   * Default 100: ~25 run per sequence, so a sequence's fixed costs (a setup generated, the
   * implementation configured, the initial state checked) are paid per 25 checked operations,
   * and the mutants are caught in fewer sequences than at 50. Exits stay at about one per
   * sequence (opArb).
   */
  readonly maxSteps?: number;
  /** How a person replays this run, given seed and path; default: the vitest suite. */
  readonly replay?: (seed: number, path: string | null) => string;
  /**
   * Send each sequence ahead, whole, when the adapter serves batches (servesBatches), and check
   * the answers step by step: much faster over exec:, with every verdict, its step, shrinking
   * and replay those of one op at a time. A program may break on an op sent after its first
   * failing step, which one op at a time never sends: if that costs the run answers it checks,
   * the run ends in a crash, and is run again one op at a time on a fresh process (an adapter
   * that is `replaceable` starts one at the next configure: the exec adapter), whose verdict is
   * the run's; if it breaks only on answers no longer wanted, the next configure starts a fresh
   * process (conformance/protocol/adapter.ts). Default true; false sends one op at a time.
   */
  readonly pipeline?: boolean;
  /**
   * Use the digest capability when the adapter announces it (PROTOCOL.md §12): every step's
   * observation is still compared, as a digest, and the whole observation comes back, and is
   * checked in full, only where it differs from the spec's. Default true.
   */
  readonly digest?: boolean;
  /** Only these operations are generated (an exec implementation's hello.ops); default: all. */
  readonly ops?: readonly OpName[];
}

export interface Counterexample extends StepFailure {
  readonly setup: Setup;
  /** The shrunk trace as run: the failing op is the last one (the trace is empty if configure failed). */
  readonly trace: readonly Op[];
  readonly litmus: LitmusDoc;
  /** The litmus file text, with seed, path and replay command as comments. */
  readonly litmusText: string;
  readonly replay: string;
}

export interface ConformanceReport {
  readonly adapter: string;
  /** The implementation's variant that ran (a design from a file: the one it answers to). */
  readonly variant: VariantName;
  /** A design from a file the implementation was checked against, by name. */
  readonly design?: string;
  readonly ok: boolean;
  readonly seed: number;
  /** How to replay the counterexample: fast-check's path, then `@` and fc.commands' replayPath. */
  readonly path: string | null;
  /** Sequences run (including shrink attempts) and operations checked over all of them. */
  readonly runs: number;
  readonly shrinks: number;
  readonly checked: number;
  readonly timeMs: number;
  readonly failure?: Counterexample;
  /** fast-check or the runner itself broke (not the implementation): the message. */
  readonly broke?: string;
}

/** CheckOptions.maxSteps's default. */
export const DEFAULT_MAX_STEPS = 100;

/** One operation as a fast-check command: precondition = the caller contract; run = lockstep. */
class OpCommand implements fc.AsyncCommand<Model, object> {
  constructor(readonly op: Op) {}
  check(m: Readonly<Model>): boolean { return m.ls.allows(this.op); }
  /**
   * Typed as fast-check's AsyncCommand, but settles synchronously (returns undefined) when the
   * step does: awaiting it still works, and conformanceProperty awaits only a real promise.
   */
  run(m: Model): Promise<void> {
    const failure = m.ls.step(this.op);
    if (failure instanceof Promise) return failure.then(throwIfFailed);
    throwIfFailed(failure);
    return undefined as unknown as Promise<void>;
  }
  toString(): string { return formatOp(this.op); }
}
interface Model { readonly ls: Lockstep }

const throwIfFailed = (failure: StepFailure | null): void => { if (failure) throw new ConformanceFailure(failure); };

/** An adapter whose process broke with requests sent ahead, and that starts a fresh one at the next configure (ExecAdapter.replaceable). */
const replaceable = (adapter: SvaAdapter): boolean => (adapter as { readonly replaceable?: boolean }).replaceable === true;

/** A setup and the operation sequence to run on it. */
export type Scenario = readonly [Setup, Iterable<fc.AsyncCommand<Model, object>>];

/** fast-check wraps commands (CommandWrapper.cmd); the op of either. */
const opOf = (c: unknown): Op => ((c as { cmd?: OpCommand }).cmd ?? (c as OpCommand)).op;

/** The operations of a scenario, in order (before the caller contract drops any). */
export const scenarioOps = (scenario: Scenario): Op[] => [...scenario[1]].map(opOf);

export const freshSeed = (): number => (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;

/** The vitest replay of a run, by test name only (svacheck/vitest names the test file too). */
export const defaultReplay = (adapter: string, variant: string) => (seed: number, path: string | null): string =>
  `SVACHECK_SEED=${seed}${path ? ` SVACHECK_PATH='${path}'` : ''} npx vitest run -t '${adapter} conforms: ${variant}'`;

/**
 * A replay path is fast-check's counterexample path, plus `@` and the commands' replayPath
 * (fc.commands shrinks by which commands ran, so replaying needs both).
 */
export function splitPath(path: string | undefined | null): { path?: string; replayPath?: string } {
  if (!path) return {};
  const at = path.indexOf('@');
  return at < 0 ? { path } : { path: path.slice(0, at), replayPath: path.slice(at + 1) };
}

function joinPath(path: string | null, cmds: unknown): string | null {
  const replayPath = /replayPath="([^"]*)"/.exec(String(cmds))?.[1];
  return path === null ? null : replayPath ? `${path}@${replayPath}` : path;
}

/** Random scenarios for the variant: random small setups (or the given one) and sequences over them. */
export function scenarioArb(variant: Target, options: { setup?: Setup; maxSteps?: number; path?: string; ops?: readonly OpName[] } = {}): fc.Arbitrary<Scenario> {
  const random = options.setup ? fc.constant(options.setup) : setupArb;
  // A design with IOASID sets (ioasid-2020, asked of the variant) gets two random sets and a
  // system quota on the random setups, within a capacity a little larger than the quotas.
  const setups = options.setup || !specOf(variant).ops.includes('ioasid_alloc') ? random
    : random.chain((s) => fc.record({ system: fc.integer({ min: 0, max: 3 }), a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 2 }), spare: fc.integer({ min: 0, max: 2 }) })
      .map(({ system, a, b, spare }): Setup => ({ ...s, ioasid: { capacity: system + a + b + spare, systemQuota: system, sets: [{ name: 'vm1', quota: a }, { name: 'vm2', quota: b }] } })));
  const { replayPath } = splitPath(options.path);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const ops = specOf(variant).ops.filter((o) => !options.ops || options.ops.includes(o));
  /** The commands: opArb's draw (one integer per operation), making the command in the same map. */
  const commandArb = (setup: Setup): fc.Arbitrary<OpCommand> => {
    const code = opCode(setup, ops, maxSteps);
    return new DecodedInteger(code.size, (n) => new OpCommand(code.decode(n)));
  };
  return setups.chain((setup) => fc.tuple(
    fc.constant(setup),
    fc.commands([commandArb(setup)], { maxCommands: maxSteps, size: 'max', replayPath }),
  ));
}

/**
 * The property: run the scenario on the adapter in lockstep with the spec; throws a
 * ConformanceFailure at the first failing check. `stats.checked` counts operations checked.
 *
 * The commands run as fc.asyncModelRun runs them — in order, each whose precondition holds,
 * stopping at the first that throws — but without a promise per command when the adapter
 * answers synchronously (fast-check's runner awaits twice per command). fc.commands records
 * which commands ran (its replayPath) in the wrapper's run(), which this loop calls exactly
 * where fast-check's would, so shrinking and replay paths are unchanged.
 *
 * With `pipeline` and an adapter that serves batches (servesBatches), the whole sequence is
 * issued ahead (Lockstep.issue: the spec decides which ops the contract allows, and the
 * probes) and the answers are then checked step by step, so a failure is still reported at
 * its step. A crash there, with the process broken on requests sent ahead (`replaceable`), may
 * come from an op beyond an earlier failing step, or have cost the answers of that step: the
 * same commands run again one op at a time on a fresh process, and that run's verdict stands
 * (its commands are the ones marked as run: those of the first run, up to its crash, and no
 * more). Should that run pass, the run is sent ahead once more, to that fresh process: a crash
 * then is the verdict, said so (the program breaks on batch lines). `stats.checked` counts the
 * run whose verdict stands.
 */
export function conformanceProperty(adapter: SvaAdapter, variant: Target, stats: { checked: number } = { checked: 0 },
  options: { pipeline?: boolean } & LockstepOptions = {}) {
  const pipelined = options.pipeline !== false && servesBatches(adapter);
  /** A crash of a run sent ahead to a process the adapter replaces: run again one op at a time. */
  const brokeAhead = (e: unknown): boolean => e instanceof ConformanceFailure && e.failure.check === 'crash' && replaceable(adapter);
  let last = 0;                                                          // ops the last run checked: the run whose verdict stands
  const run = async (setup: Setup, cmds: Scenario[1], ahead: boolean): Promise<void> => {
    const ls = new Lockstep(adapter, setup, variant, options);
    try {
      throwIfFailed(await ls.start(ahead ? scenarioOps([setup, cmds]) : undefined));
      const model: Model = { ls }, real = {};
      for (const cmd of cmds) {
        if (!cmd.check(model)) continue;
        const ran = cmd.run(model, real);
        if (ran instanceof Promise) await ran;
      }
    } finally { last = ls.checked; }
  };
  const runs = async (setup: Setup, cmds: Scenario[1]): Promise<void> => {
    if (!pipelined) return run(setup, cmds, false);
    try { await run(setup, cmds, true); } catch (e) {
      if (!brokeAhead(e)) throw e;
      await run(setup, cmds, false);                                     // its verdict stands when it fails
      // One op at a time the same run passes. Sent ahead again, now to the fresh process that
      // run started: a crash there is this run's (its batch lines broke the program), and is
      // its verdict, said so; a pass means the first crash came from what the old process had
      // been through (ops sent beyond an earlier run's failing step, or its history).
    try { await run(setup, cmds, true); } catch (again) {
        if (!(again instanceof ConformanceFailure && again.failure.check === 'crash')) throw again;
        const f = again.failure, also = 'with its requests sent ahead in batch lines, on a fresh process; one op at a time (--no-pipeline) the same run passes';
        throw new ConformanceFailure({ ...f, message: `${f.message} (${also})`, detail: `${f.detail ?? f.message} (${also})` });
      }
    }
  };
  return async ([setup, cmds]: Scenario): Promise<void> => {
    last = 0;
    try { await runs(setup, cmds); } finally { stats.checked += last; }
  };
}

/** Check an adapter against the spec for one variant. Never throws for a failing implementation. */
export async function checkAdapter(adapter: SvaAdapter, options: CheckOptions): Promise<ConformanceReport> {
  const started = performance.now();
  const { variant } = options;
  const seed = options.seed ?? freshSeed();
  const base = { adapter: adapter.name, variant: implVariantOf(variant, adapter), ...(typeof variant === 'string' ? {} : { design: variant.name }), seed };
  if (!adapter.variants.includes(implVariantOf(variant, adapter)))
    return { ...base, ok: false, path: null, runs: 0, shrinks: 0, checked: 0, timeMs: 0, broke: `${adapter.name} does not implement variant ${implVariantOf(variant, adapter)}` };
  const stats = { checked: 0 };
  const property = fc.asyncProperty(scenarioArb(variant, options), conformanceProperty(adapter, variant, stats, { pipeline: options.pipeline, digest: options.digest }));
  const details = await fc.check(property, { seed, numRuns: options.runs ?? 100, path: splitPath(options.path).path });
  const path = details.counterexample ? joinPath(details.counterexamplePath, details.counterexample[0][1]) : null;
  const common = { ...base, path, runs: details.numRuns, shrinks: details.numShrinks };
  if (!details.failed) return { ...common, ok: true, checked: stats.checked, timeMs: Math.round(performance.now() - started) };
  const found = await counterexampleOf(adapter, variant, details, options.replay);
  return { ...common, ok: false, checked: stats.checked + found.checked, timeMs: Math.round(performance.now() - started), ...found.report };
}

/**
 * From fast-check's details of a failed run: replay the shrunk scenario once more (the exact
 * trace and failure) and write it as a litmus file with seed, path and replay command.
 */
export async function counterexampleOf(adapter: SvaAdapter, variant: Target,
  details: { seed: number; counterexample: readonly [Scenario] | null; counterexamplePath: string | null; errorInstance: unknown },
  replayOf?: (seed: number, path: string | null) => string,
): Promise<{ checked: number; report: { failure: Counterexample } | { broke: string } }> {
  const { seed } = details;
  const path = details.counterexample ? joinPath(details.counterexamplePath, details.counterexample[0][1]) : details.counterexamplePath;
  if (!(details.errorInstance instanceof ConformanceFailure) || details.counterexample === null)
    return { checked: 0, report: { broke: `the runner broke: ${String((details.errorInstance as Error | null)?.stack ?? details.errorInstance)}` } };
  const [scenario] = details.counterexample;
  let setup = scenario[0];
  let replayed = await runTrace(adapter, setup, variant, scenarioOps(scenario));
  let checked = replayed.checked;
  // fast-check shrinks the setup only by regenerating the sequence; drop what the trace never
  // names, and keep the smaller setup only if the trace still fails the same way on it.
  const smaller = pruneSetup(setup, replayed.trace);
  if (replayed.failure && smaller) {
    const again = await runTrace(adapter, smaller, variant, replayed.trace);
    checked += again.checked;
    if (again.failure?.check === replayed.failure.check && again.trace.length === replayed.trace.length) { setup = smaller; replayed = again; }
  }
  const failure = replayed.failure ?? details.errorInstance.failure;   // a flaky implementation: keep fast-check's
  const replay = (replayOf ?? defaultReplay(adapter.name, nameOf(variant)))(seed, path);
  const litmus = counterexampleLitmus(adapter.name, variant, setup, replayed.trace, failure, seed, path);
  const litmusText = writeLitmus(litmus, [
    `svacheck conformance counterexample: ${adapter.name}, variant ${nameOf(variant)}`,
    `seed: ${seed}`,
    `path: ${path}`,
    `replay: ${replay}`,
    `check: ${CHECKS[failure.check].title}: ${failure.message}`,
    ...(failure.rules ? [`rules: the spec decides step ${failure.step} by ${failure.rules.join(', ')}; explain it: npx svacheck replay <this file>`] : []),
    ...(failure.diff ?? []).map((d) => `  ${d}`),
  ]);
  return { checked, report: { failure: { ...failure, setup, trace: replayed.trace, litmus, litmusText, replay } } };
}

/**
 * The setup without the mms, devices and IOMMU instances the trace never names (a device
 * stays if it shares a group with a named one: it narrows the group's PASID range). Null if
 * nothing can go.
 */
export function pruneSetup(setup: Setup, trace: readonly Op[]): Setup | null {
  const devs = new Set<string>(), mms = new Set<string>();
  for (const op of trace) {
    if ('dev' in op) devs.add(op.dev);
    if ('mm' in op) mms.add(op.mm);
  }
  const groupOf = (d: Setup['devices'][number]) => (d.iommu === null ? null : d.group ?? d.name);
  const groups = new Set(setup.devices.filter((d) => devs.has(d.name)).map(groupOf));
  const devices = setup.devices.filter((d) => devs.has(d.name) || (groupOf(d) !== null && groups.has(groupOf(d))));
  const used = new Set(devices.map((d) => (d.iommu === undefined ? 'smmu0' : d.iommu)));
  const iommus = (setup.iommus ?? []).filter((i) => used.has(i.name));
  const keptMms = setup.mms.filter((m) => mms.has(m));
  if (devices.length === 0 || keptMms.length === 0) return null;
  if (devices.length === setup.devices.length && keptMms.length === setup.mms.length && iommus.length === (setup.iommus ?? []).length) return null;
  return { devices, iommus, mms: keptMms };
}

/**
 * The trace as a litmus file for the variant, every step expecting the spec's result; when the
 * failure is in the state, DMA steps where the implementation's answers differ are added.
 */
export function counterexampleLitmus(adapter: string, target: Target, setup: Setup, trace: readonly Op[],
  failure: StepFailure, seed: number, path: string | null): LitmusDoc {
  const spec = specOf(target);
  const driver = new SpecDriver(setup, spec);
  // Litmus files name built-in variants: a design from a file writes under the one it answers to.
  const variant: VariantName = typeof target === 'string' ? target : spec.litmusAs ?? 'v2';
  // Invariants the spec itself breaks on this trace are the variant's findings: the litmus
  // runner must be told (`violates`), or the file would fail against the spec too.
  const findings = new Set(driver.invariants().map((v) => v.invariant));
  const steps: LitmusStep[] = trace.map((op) => {
    const expect = driver.apply(op).result;
    for (const v of driver.invariants()) findings.add(v.invariant);
    return { op, expect };
  });
  if (failure.specObservation && failure.implObservation) {
    for (const d of dmaDifferences(failure.specObservation, failure.implObservation))
      steps.push({ op: { op: 'dma', dev: d.dev, pasid: d.pasid }, expect: d.spec.kind === 'fault' ? R.fault() : d.spec });
  }
  const what = failure.check === 'result' && failure.expected && failure.actual
    ? `returns ${formatResult(failure.actual)} where the spec returns ${formatResult(failure.expected)}`
    : failure.detail ?? failure.message;
  return {
    name: `conform-${adapter}-${variant}-${seed >>> 0}`.replace(/[^A-Za-z0-9_.-]/g, '-'),
    doc: `Shrunk counterexample: ${adapter} ${what} (${CHECKS[failure.check].title}, step ${failure.step}).`,
    source: `svacheck conformance property test, seed ${seed}, path ${path ?? 'none'}`,
    variants: [variant],
    setup,
    steps,
    ...(findings.size > 0 ? { violates: { [variant]: [...findings] } } : {}),
  };
}
