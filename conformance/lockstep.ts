/**
 * One implementation run in lockstep with the spec: each operation goes to both, and after
 * each the checks run in this order — the implementation did not throw (crash), its result
 * equals the spec's (result), every spec invariant holds on its observation (invariant), and
 * its observation abstracts to the spec's (observation). The first that fails is the verdict.
 */
import { ALWAYS_PROBED, SpecDriver, checkInvariants, variantOf, defaultProbes, forEachPasidInUse, pasidsInUse, type Applied, type State, type Variant, type Violation } from '../spec/index.ts';
import { formatOp, formatResult, sameResult, type DmaProbe, type Observation, type Op, type Result, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import { diffObservations, sameAsSpec } from './abstraction.ts';
import { observationDigest } from './protocol/digest.ts';

/** The checks a step can fail, as a closed union with a title and an explanation each. */
export type CheckKind = 'crash' | 'result' | 'invariant' | 'observation';

export const CHECKS: Readonly<Record<CheckKind, { title: string; explanation: string }>> = {
  crash: { title: 'crash', explanation: 'The implementation threw, rejected, or returned something that is not a result: a crash, never a wrong errno.' },
  result: { title: 'result mismatch', explanation: "The operation's result differs from the spec's." },
  invariant: { title: 'invariant', explanation: "A spec invariant fails on the implementation's observation." },
  observation: { title: 'observation mismatch', explanation: "The implementation's observable state does not abstract to the spec's." },
};

export interface StepFailure {
  readonly check: CheckKind;
  /** 1-based index of the failing operation in the executed trace; 0: configure or the initial state. */
  readonly step: number;
  readonly op: Op | null;
  /** The spec's result and the implementation's (result mismatches). */
  readonly expected?: Result;
  readonly actual?: Result;
  readonly invariant?: Violation;
  /** Observation differences, spec first. */
  readonly diff?: readonly string[];
  /** The thrown error (crashes). */
  readonly error?: string;
  readonly specObservation?: Observation;
  readonly implObservation?: Observation;
  /** The spec rules that decided the expected result of the failing operation (decisive rule, then effects). */
  readonly rules?: readonly string[];
  /** One line for a person: where, then what. */
  readonly message: string;
  /** What went wrong, without the step and operation (`message` minus its location). */
  readonly detail?: string;
}

/** Thrown inside fast-check runs to carry the structured failure out of the property. */
export class ConformanceFailure extends Error {
  constructor(readonly failure: StepFailure) { super(failure.message); this.name = 'ConformanceFailure'; }
}

const isResult = (x: unknown): x is Result => {
  if (typeof x !== 'object' || x === null || !('kind' in x)) return false;
  const kind = (x as { kind: unknown }).kind;
  if (kind === 'ok' || kind === 'invalid' || kind === 'kernel' || kind === 'fault') return true;   // spelled without a field
  if (kind === 'pasid' && typeof (x as { pasid?: unknown }).pasid === 'number') return true;
  try { return typeof formatResult(x as Result) === 'string'; } catch { return false; }
};
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
/**
 * What a conformance run checks against: a built-in variant, or a design from a file. The
 * implementation is configured by name: the design's own if it announces it, else the
 * built-in design it answers to (Variant.litmusAs).
 */
export type Target = VariantName | Variant;
export const specOf: (t: Target) => Variant = variantOf;
export const implVariantOf = (t: Target, adapter: SvaAdapter): VariantName => {
  if (typeof t === 'string') return t;
  return ((adapter.variants as readonly string[]).includes(t.name) ? t.name : t.litmusAs ?? t.name) as VariantName;
};
export const nameOf = (t: Target): string => (typeof t === 'string' ? t : t.name);

const where = (step: number, op: Op | null) => (op ? `step ${step} (${formatOp(op)})` : 'configure');
const applyThrew = (n: number, op: Op, applied: Applied, e: unknown): StepFailure =>
  failedAt(n, op, rulesOf(applied), { check: 'crash', expected: applied.result, error: errorText(e), detail: `the implementation threw: ${errorText(e)}` });
const observeThrew = (n: number, op: Op | null, e: unknown): StepFailure =>
  ({ check: 'crash', step: n, op, error: errorText(e), message: `${where(n, op)}: observe threw: ${errorText(e)}`, detail: `observe threw: ${errorText(e)}` });
/** A failure of step n's op: its location in `message`, the rules that decided the spec's result. */
const failedAt = (n: number, op: Op, rules: readonly string[], f: Omit<StepFailure, 'step' | 'op' | 'rules' | 'message'> & { detail: string }): StepFailure =>
  ({ ...f, step: n, op, rules, message: `${where(n, op)}: ${f.detail}` });

/** The spec's side of a state check, computed once per spec state (see Lockstep.specView). */
interface SpecView {
  readonly state: State;
  readonly probes: readonly DmaProbe[];
  readonly obs: Observation;
  /** observationDigest(obs), computed the first time it is asked for (digest mode). */
  digest: string | null;
}

/**
 * defaultProbes of a run's states, computed once per set of PASIDs in use above ALWAYS_PROBED
 * (those up to it are probed on every device whether in use or not): the probes depend on
 * nothing else (the setup is the run's), and most states have the same set, often none. A new
 * list for a state would also keep the spec's view from reusing the DMA answers of the one
 * before (observeSpec's `previous` needs the same list).
 */
export class ProbeCache {
  private readonly bySet = new Map<number | string, readonly DmaProbe[]>();
  /** The key being read (of): PASIDs in use from ALWAYS_PROBED + 1 on, the first 32 as bits, the others listed. */
  private small = 0;
  private large: number[] | null = null;
  private readonly add = (p: number): void => {
    const bit = p - ALWAYS_PROBED - 1;
    if (bit < 0) return;
    if (bit < 32) this.small |= 1 << bit; else (this.large ??= []).push(p);
  };
  constructor(readonly cfg: SpecDriver['cfg']) {}
  of(state: State): readonly DmaProbe[] {
    this.small = 0; this.large = null;
    forEachPasidInUse(state, this.add);
    const large = this.large as number[] | null;
    const key = large === null ? this.small : `${this.small}:${large.sort((a, b) => a - b).join()}`;
    let probes = this.bySet.get(key);
    if (probes === undefined) this.bySet.set(key, probes = defaultProbes(this.cfg, pasidsInUse(state)));
    return probes;
  }
}

/**
 * The spec's view of the driver's state: `previous` again if the state is the same object;
 * else a new one, whose DMA answers the spec (observeSpec) takes from `previous` for each device nothing
 * they read has changed for (the same objects: the built-in adapter then need not ask those
 * DMAs again either, see impl/adapter.ts observesAs).
 */
function viewOf(driver: SpecDriver, previous: SpecView | null, probeCache: ProbeCache): SpecView {
  const state = driver.state;
  if (previous?.state === state) return previous;
  const probes = probeCache.of(state);
  const obs = driver.observe(probes, previous === null ? undefined : { st: previous.state, probes: previous.probes, obs: previous.obs });
  return { state, probes, obs, digest: null };
}
const digestOf = (view: SpecView): string => (view.digest ??= observationDigest(view.obs));

/**
 * An answer the implementation owes for a step issued ahead (pipelined mode): result, then
 * observation (null: in digest mode, the implementation's has the digest of the spec's).
 */
interface Issued {
  readonly op: Op | null;
  readonly result: Promise<unknown>;
  readonly observation: Promise<Observation | null>;
  /** The spec's view after this step, as the spec running ahead saw it (the probes asked). */
  readonly view: SpecView;
  /** The spec's result of op, as the spec running ahead applied it (null: the initial observe). */
  readonly applied: Applied | null;
  /** Its index among the ops offered to issue() (Lockstep.offered). */
  readonly offered: number;
  /** Its answers, written in by an AheadSender (then `result` and `observation` are unused). */
  readonly answers: StepAnswers | null;
}

/**
 * The answers to a step sent ahead through an AheadSender, written in as they come back, with
 * no promise per request: `settled` counts the requests answered, the op's first (1), then
 * the observe's (2); an error (an Error, never undefined) in place of an answer counts too.
 * `wake`, when set, is called each time `settled` goes up.
 */
export interface StepAnswers {
  settled: number;
  result: unknown;
  resultError: unknown;
  observation: Observation | null;
  observationError: unknown;
  wake: (() => void) | null;
}

/**
 * An adapter that takes a step sent ahead as one call (the exec: adapter): the op, then an
 * observe at `probes` with the digest expected (digest mode) or for the whole observation
 * (null), their answers delivered into `into` exactly as apply() and observe() or
 * observeOrDigest() would deliver them.
 */
export interface AheadSender {
  sendStep(op: Op, probes: readonly DmaProbe[], digest: string | null, into: StepAnswers): void;
}

const sendsAhead = (adapter: SvaAdapter): adapter is SvaAdapter & AheadSender =>
  typeof (adapter as Partial<AheadSender>).sendStep === 'function';

/** Until `answers` has `settled` at least `level`. */
const settledTo = (answers: StepAnswers, level: number): Promise<void> =>
  new Promise<void>((resolve) => { answers.wake = () => { if (answers.settled >= level) { answers.wake = null; resolve(); } }; });

const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => typeof (x as { then?: unknown } | null)?.then === 'function';
/** The promises of an Issued whose answers come through an AheadSender instead (never awaited). */
const NOT_USED: Promise<never> = new Promise<never>(() => {});
const ignore = (): void => {};
/** A promise whose rejection is handled (the step that owes it may never be checked). */
const owed = <T>(p: Promise<T>): Promise<T> => { p.catch(ignore); return p; };

/**
 * Whether an adapter serves batches (`hello.capabilities.batch`, PROTOCOL.md §8): then the
 * runner may issue a whole sequence ahead and check the answers step by step (Lockstep.issue).
 */
export function servesBatches(adapter: SvaAdapter): boolean {
  const caps = (adapter as { capabilities?: Readonly<Record<string, number>> }).capabilities;
  return (caps?.batch ?? 0) >= 1;
}

/**
 * An adapter serving the digest capability (PROTOCOL.md §12): told the digest of the
 * observation the spec expects, it answers null when its own observation has that digest, and
 * its whole observation otherwise.
 */
export interface DigestObserver {
  observeOrDigest(probes: readonly DmaProbe[], digest: string): Observation | null | Promise<Observation | null>;
}

/**
 * An in-process adapter that compares its own observation with the spec's (the built-in one:
 * impl/adapter.ts observesAs): null when it matches item by item, as sameAsSpec would find,
 * and its whole observation otherwise, which is then checked in full. It builds no observation
 * for a step that matches.
 */
export interface SameObserver {
  observeUnlessSame(probes: readonly DmaProbe[], expected: Observation): Observation | null | Promise<Observation | null>;
}

const servesSame = (adapter: SvaAdapter): adapter is SvaAdapter & SameObserver =>
  typeof (adapter as Partial<SameObserver>).observeUnlessSame === 'function';

/** Whether an adapter serves digests (`hello.capabilities.digest`, PROTOCOL.md §12). */
export function servesDigest(adapter: SvaAdapter): adapter is SvaAdapter & DigestObserver {
  const caps = (adapter as { capabilities?: Readonly<Record<string, number>> }).capabilities;
  return (caps?.digest ?? 0) >= 1 && typeof (adapter as Partial<DigestObserver>).observeOrDigest === 'function';
}

/** How a Lockstep talks to its adapter. */
export interface LockstepOptions {
  /**
   * Use the digest capability when the adapter serves it (default true): each step's observe
   * carries the digest of the spec's observation, and the implementation answers with that
   * digest alone when its observation has it, else with its whole observation, which is then
   * checked in full. An in-process SameObserver is given the spec's observation itself, the
   * same way. Off: every observe returns the whole observation.
   */
  readonly digest?: boolean;
}

const rulesOf = (applied: Applied): string[] => [applied.rule, ...applied.effects];

export class Lockstep {
  /**
   * The spec at the caller's point of the run. In pipelined mode a step takes its result and
   * view from the spec that ran ahead (`ahead`): the same deterministic spec, from the same
   * initial state, applied to the same ops in the same order (takeIssued checks the order),
   * so applying them again here would give the very same results, states and handles. This
   * one is then brought up to the trace only when asked for (allows() of an op no issue()
   * record answers): `driver` below.
   */
  private behind: SpecDriver | null = null;
  /** How many ops of the trace `behind` has applied. */
  private behindAt = 0;
  /**
   * A spec in its initial state, made with the Lockstep: the first of `behind` and `ahead` to
   * be needed takes it (fresh), so that a pipelined run, which seldom needs `behind`, makes
   * one spec and not two (a SpecDriver resolves and checks the setup when made).
   */
  private spare: SpecDriver | null;
  /** The operations run so far (those the caller contract allowed). */
  readonly trace: Op[] = [];
  /** Operations checked, for the loop's throughput figure. */
  checked = 0;
  private view: SpecView | null = null;
  /** Pipelined mode: a spec that runs ahead of `driver` to know which ops to issue and which probes to ask. */
  private ahead: SpecDriver | null = null;
  private aheadView: SpecView | null = null;
  private readonly issued: Issued[] = [];
  private nextIssued = 0;
  /** The adapter, when the digest capability is used (LockstepOptions.digest). */
  private readonly digests: (SvaAdapter & DigestObserver) | null;
  /** The adapter, when it compares its observation with the spec's itself (SameObserver; not with digests). */
  private readonly sames: (SvaAdapter & SameObserver) | null;
  private readonly probes: ProbeCache;
  /** The adapter, when it takes steps sent ahead as one call each (AheadSender; not a SameObserver). */
  private readonly sender: (SvaAdapter & AheadSender) | null;
  /**
   * Pipelined mode: every op offered to issue(), in order, and whether the caller contract
   * allowed it where the spec running ahead met it; `nextOffered`: the first not yet passed.
   */
  private readonly offered: Op[] = [];
  private readonly offeredAllowed: boolean[] = [];
  private nextOffered = 0;

  /** The variant the spec runs. */
  private readonly specVariant: Variant;

  constructor(readonly adapter: SvaAdapter, readonly setup: Setup, readonly variant: Target, options: LockstepOptions = {}) {
    this.spare = new SpecDriver(setup, specOf(variant));
    this.specVariant = this.spare.variant;
    this.probes = new ProbeCache(this.spare.cfg);
    this.digests = options.digest !== false && servesDigest(adapter) ? adapter : null;
    this.sames = this.digests === null && options.digest !== false && servesSame(adapter) ? adapter : null;
    this.sender = this.sames === null && sendsAhead(adapter) ? adapter : null;
  }

  /** The spec after the ops run so far (the trace). */
  get driver(): SpecDriver {
    const behind = this.behind ??= this.fresh();
    while (this.behindAt < this.trace.length) behind.apply(this.trace[this.behindAt++]);
    return behind;
  }

  /** A spec in its initial state: the spare, or a new one. */
  private fresh(): SpecDriver {
    const spare = this.spare;
    if (spare === null) return new SpecDriver(this.setup, specOf(this.variant));
    this.spare = null;
    return spare;
  }

  /**
   * Whether a correct kernel caller may issue op now (the caller contract, and nothing more).
   * For the next op offered to issue() (the same object), the verdict the spec running ahead
   * gave it: there it was in the state this run is in now (every op allowed before it run,
   * none after), so the spec here would give the same.
   */
  allows(op: Op): boolean {
    if (this.nextOffered < this.offered.length && this.offered[this.nextOffered] === op) {
      const allowed = this.offeredAllowed[this.nextOffered];
      if (!allowed) this.nextOffered++;                                  // the caller skips it
      return allowed;
    }
    return this.driver.breach(op) === null;
  }

  /**
   * Configure the implementation and check its initial state. With `ahead` (pipelined mode),
   * the initial observe and then `ahead` (see issue) go out right behind configure, without
   * waiting for its answer; the answers are checked in the same order as without.
   */
  async start(ahead?: Iterable<Op>): Promise<StepFailure | null> {
    const configureFailed = (e: unknown): StepFailure =>
      ({ check: 'crash', step: 0, op: null, error: errorText(e), message: `configure: the implementation threw: ${errorText(e)}`, detail: `configure threw: ${errorText(e)}` });
    let configured: void | Promise<void>;
    try { configured = this.adapter.configure(this.setup, implVariantOf(this.variant, this.adapter)); } catch (e) { return configureFailed(e); }
    if (ahead === undefined) {
      try { await configured; } catch (e) { return configureFailed(e); }
      return this.checkState(0, null);
    }
    const done = owed(Promise.resolve(configured));
    // The initial view from the spec that runs ahead (issue() goes on from it): the same
    // initial state as the spec at the caller's point, which then need not be made at all.
    const view = this.aheadView = viewOf(this.ahead ??= this.fresh(), this.aheadView, this.probes);
    let initial: Promise<Observation | null>;
    try { initial = Promise.resolve(this.observeFor(view)); } catch (e) { initial = Promise.reject(e); }
    owed(initial);
    this.issue(ahead);
    try { await done; } catch (e) { return configureFailed(e); }
    return this.checkState(0, null, { op: null, result: initial, observation: initial, view, applied: null, offered: -1, answers: null });
  }

  /**
   * Ask the implementation for its observation at the view's probes: whole, or null where it
   * has the view's digest (digest mode) or matches the view's observation (SameObserver).
   */
  private observeFor(view: SpecView): Observation | null | Promise<Observation | null> {
    if (this.digests) return this.digests.observeOrDigest(view.probes, digestOf(view));
    if (this.sames) return this.sames.observeUnlessSame(view.probes, view.obs);
    return this.adapter.observe(view.probes);
  }

  /**
   * Pipelined mode: send the implementation, without waiting for answers, every op of `ops`
   * the caller contract allows (in order, as step() will run them) and an observe after each,
   * with the probes the spec will ask there. The adapter may coalesce them into batch lines.
   * step() then takes the answers in order and checks each step exactly as unpipelined, so
   * the first failing check is reported at the step where it happens. The caller must then
   * step through the same ops (the allowed ones, in order); step() verifies that it does.
   */
  issue(ops: Iterable<Op>): void {
    this.ahead ??= this.fresh();
    const ahead = this.ahead, sender = this.sender;
    for (const op of ops) {
      const offered = this.offered.length, allowed = ahead.breach(op) === null;
      this.offered.push(op);
      this.offeredAllowed.push(allowed);
      if (!allowed) continue;
      const applied = ahead.apply(op);
      const view = this.aheadView = viewOf(ahead, this.aheadView, this.probes);
      if (sender !== null) {
        const answers: StepAnswers = { settled: 0, result: undefined, resultError: undefined, observation: null, observationError: undefined, wake: null };
        try { sender.sendStep(op, view.probes, this.digests ? digestOf(view) : null, answers); } catch (e) {
          answers.resultError = answers.observationError = e; answers.settled = 2;
        }
        this.issued.push({ op, result: NOT_USED, observation: NOT_USED, view, applied, offered, answers });
        continue;
      }
      let result: Promise<unknown>, observation: Promise<Observation | null>;
      try { result = Promise.resolve(this.adapter.apply(op)); } catch (e) { result = Promise.reject(e); }
      try { observation = Promise.resolve(this.observeFor(view)); } catch (e) { observation = Promise.reject(e); }
      this.issued.push({ op, result: owed(result), observation: owed(observation), view, applied, offered, answers: null });
    }
  }

  /**
   * Run op on both sides and check. The caller has checked `allows(op)`. Synchronous when the
   * adapter answers synchronously (no promise per step for an in-process implementation).
   */
  step(op: Op): StepFailure | null | Promise<StepFailure | null> {
    this.checked++;
    const pending = this.takeIssued(op);
    let applied: Applied;
    if (pending !== null) {
      applied = pending.applied!;                                        // the spec ahead's (see behind)
      this.nextOffered = pending.offered + 1;
    } else {
      applied = this.driver.apply(op);
      this.behindAt++;
      this.nextOffered = this.offered.length;                            // past what issue() saw: its verdicts are stale
    }
    this.trace.push(op);
    const n = this.trace.length;
    const answers = pending?.answers;
    if (answers) {
      if (answers.settled >= 1) return this.resultAnswered(n, op, applied, pending!);
      return settledTo(answers, 1).then(() => this.resultAnswered(n, op, applied, pending!));
    }
    let actual: unknown;
    try { actual = pending ? pending.result : this.adapter.apply(op); } catch (e) { return applyThrew(n, op, applied, e); }
    if (isPromise(actual)) return actual.then((a) => this.checkResult(n, op, applied, a, pending), (e: unknown) => applyThrew(n, op, applied, e));
    return this.checkResult(n, op, applied, actual, pending);
  }

  private takeIssued(op: Op): Issued | null {
    if (this.nextIssued >= this.issued.length) return null;
    const next = this.issued[this.nextIssued++];
    if (next.op === null || (next.op !== op && formatOp(next.op) !== formatOp(op)))
      throw new Error(`lockstep: step ${this.trace.length + 1} runs ${formatOp(op)} but ${next.op ? formatOp(next.op) : 'nothing'} was issued (the runner broke)`);
    return next;
  }

  /** A step sent through an AheadSender, its op answered: as checkResult, from its answers. */
  private resultAnswered(n: number, op: Op, applied: Applied, pending: Issued): StepFailure | null | Promise<StepFailure | null> {
    const a = pending.answers!;
    if (a.resultError !== undefined) return applyThrew(n, op, applied, a.resultError);
    return this.checkResult(n, op, applied, a.result, pending);
  }

  /** Its observe answered too: as checkState, from its answers. */
  private observeAnswered(n: number, op: Op | null, pending: Issued): StepFailure | null {
    const a = pending.answers!;
    if (a.observationError !== undefined) return observeThrew(n, op, a.observationError);
    return this.compare(n, op, pending.view, a.observation);
  }

  private checkResult(n: number, op: Op, applied: Applied, actual: unknown, pending: Issued | null): StepFailure | null | Promise<StepFailure | null> {
    const expected = applied.result;
    if (!isResult(actual)) {
      return failedAt(n, op, rulesOf(applied), { check: 'crash', expected, error: `malformed result ${JSON.stringify(actual)}`, detail: `the implementation returned ${JSON.stringify(actual)}, not a result` });
    }
    if (!sameResult(expected, actual)) {
      return failedAt(n, op, rulesOf(applied), { check: 'result', expected, actual, detail: `spec ${formatResult(expected)}, impl ${formatResult(actual)}` });
    }
    const f = this.checkState(n, op, pending);
    if (f === null) return null;
    return isPromise(f) ? f.then((x) => x && { ...x, rules: rulesOf(applied) }) : { ...f, rules: rulesOf(applied) };
  }

  /**
   * The spec's probes and observation for its current state. The spec's states are values (a
   * step returns a new State object when anything changes, and never edits one: see
   * spec/state.ts), so an unchanged state object has an unchanged observation, and the view is
   * rebuilt only when a step changed the state (lockstep.test.ts holds the spec to that).
   */
  private specView(): SpecView {
    return this.view = viewOf(this.driver, this.view, this.probes);
  }

  private checkState(n: number, op: Op | null, pending: Issued | null = null): StepFailure | null | Promise<StepFailure | null> {
    const answers = pending?.answers;
    if (answers) {
      if (answers.settled >= 2) return this.observeAnswered(n, op, pending!);
      return settledTo(answers, 2).then(() => this.observeAnswered(n, op, pending!));
    }
    const view = pending ? pending.view : this.specView();
    let impl: Observation | null | Promise<Observation | null>;
    try { impl = pending ? pending.observation : this.observeFor(view); } catch (e) { return observeThrew(n, op, e); }
    if (isPromise(impl)) return impl.then((o) => this.compare(n, op, view, o), (e: unknown) => observeThrew(n, op, e));
    return this.compare(n, op, view, impl);
  }

  /**
   * Every invariant on the implementation's observation, then the observation against the
   * spec's. An observation equal to the spec's (sameAsSpec; null: in digest mode it has the
   * digest of the spec's, from a SameObserver it matches item by item) passes both at once: nothing differs, and every invariant is a
   * function of the observation as the abstraction sees it (lists in any order, fault kinds
   * aside: lockstep.test.ts holds them to that), so on it the invariants give what they give on
   * the spec's own observation, and those the spec breaks are the variant's findings, never
   * the implementation's (below). Only an observation that may differ pays for the invariants
   * and the diff, in the order and with the messages they always had.
   */
  private compare(n: number, op: Op | null, view: SpecView, impl: Observation | null): StepFailure | null {
    if (impl === null) return null;
    const spec = view.obs;
    if (sameAsSpecSafe(spec, impl)) return null;
    let violations: Violation[];
    try {
      // The spec is the oracle: an invariant the spec itself breaks here is a finding about the
      // variant (the model checker reports it), not a failure of the implementation.
      const ctx = { cfg: this.probes.cfg, variant: this.specVariant, kernelHeld: view.state.kernelHeld };   // the view's own state: the spec behind need not catch up
      violations = checkInvariants({ ...ctx, obs: impl });
      if (violations.length > 0) {
        const specBreaks = new Set(checkInvariants({ ...ctx, obs: spec }).map((v) => v.invariant));
        violations = violations.filter((v) => !specBreaks.has(v.invariant));
      }
    } catch (e) {
      return { check: 'crash', step: n, op, error: errorText(e), implObservation: impl, message: `${where(n, op)}: the observation is malformed (${errorText(e)})`, detail: `the observation is malformed (${errorText(e)})` };
    }
    if (violations.length > 0) {
      const v = violations[0];
      return { check: 'invariant', step: n, op, invariant: v, specObservation: spec, implObservation: impl, diff: diffObservations(spec, impl),
        message: `${where(n, op)}: invariant ${v.invariant} (${v.rule}) fails: ${v.reason}`, detail: `breaks invariant ${v.invariant} (${v.rule}): ${v.reason}` };
    }
    // Not shown equal by sameAsSpec: the full diff decides (a long list in another order may still be equal).
    const diff = diffObservations(spec, impl);
    if (diff.length > 0) {
      return { check: 'observation', step: n, op, diff, specObservation: spec, implObservation: impl,
        message: `${where(n, op)}: observation differs: ${diff[0]}${diff.length > 1 ? ` (+${diff.length - 1} more)` : ''}`, detail: `its observation differs: ${diff[0]}` };
    }
    return null;
  }
}

/** sameAsSpec on an observation that may be malformed: false (the full diff then decides, as it always did). */
const sameAsSpecSafe = (spec: Observation, impl: Observation): boolean => {
  try { return sameAsSpec(spec, impl); } catch { return false; }
};

/**
 * Run ops against the adapter in lockstep with the spec, skipping those the caller contract
 * forbids at that point. The executed trace and the first failure, or null.
 *
 * With `pipeline` (for an adapter that serves batches: servesBatches), the ops are issued
 * ahead and checked step by step as they are answered (Lockstep.issue); the verdict and its
 * step are the same, unless the program dies on an op sent after its first failing step (the
 * caller that can start a fresh process runs it again one op at a time: conform's crash
 * path). The default stays one op at a time, as replays and crash shrinking want: a process
 * that dies mid-batch answers none of that batch, and only op-at-a-time says which op killed it.
 */
export async function runTrace(adapter: SvaAdapter, setup: Setup, variant: Target, ops: readonly Op[], options: { pipeline?: boolean } & LockstepOptions = {}):
  Promise<{ trace: Op[]; failure: StepFailure | null; checked: number }> {
  const ls = new Lockstep(adapter, setup, variant, options);
  let failure = await ls.start(options.pipeline ? ops : undefined);
  for (const op of ops) {
    if (failure) break;
    if (!ls.allows(op)) continue;
    const f = ls.step(op);
    failure = isPromise(f) ? await f : f;
  }
  return { trace: ls.trace, failure, checked: ls.checked };
}
