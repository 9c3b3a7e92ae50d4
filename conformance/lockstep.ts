/**
 * One implementation run in lockstep with the spec: each operation goes to both, and after
 * each the checks run in this order — the implementation did not throw (crash), its result
 * equals the spec's (result), every spec invariant holds on its observation (invariant), and
 * its observation abstracts to the spec's (observation). The first that fails is the verdict.
 */
import { SpecDriver, VARIANT_BY_NAME, checkInvariants, defaultProbes, pasidsInUse, type Violation } from '../spec/index.ts';
import { formatOp, formatResult, sameResult, type Observation, type Op, type Result, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import { diffObservations } from './abstraction.ts';

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
  try { formatResult(x as Result); return typeof formatResult(x as Result) === 'string'; } catch { return false; }
};
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const where = (step: number, op: Op | null) => (op ? `step ${step} (${formatOp(op)})` : 'configure');

export class Lockstep {
  readonly driver: SpecDriver;
  /** The operations run so far (those the caller contract allowed). */
  readonly trace: Op[] = [];
  /** Operations checked, for the loop's throughput figure. */
  checked = 0;

  constructor(readonly adapter: SvaAdapter, readonly setup: Setup, readonly variant: VariantName) {
    this.driver = new SpecDriver(setup, VARIANT_BY_NAME[variant]);
  }

  /** Whether a correct kernel caller may issue op now (the caller contract, and nothing more). */
  allows(op: Op): boolean {
    return this.driver.breach(op) === null;
  }

  /** Configure the implementation and check its initial state. */
  async start(): Promise<StepFailure | null> {
    try { await this.adapter.configure(this.setup, this.variant); } catch (e) {
      return { check: 'crash', step: 0, op: null, error: errorText(e), message: `configure: the implementation threw: ${errorText(e)}`, detail: `configure threw: ${errorText(e)}` };
    }
    return this.checkState(0, null);
  }

  /** Run op on both sides and check. The caller has checked `allows(op)`. */
  async step(op: Op): Promise<StepFailure | null> {
    this.checked++;
    this.trace.push(op);
    const n = this.trace.length;
    const applied = this.driver.apply(op);
    const expected = applied.result;
    const rules = [applied.rule, ...applied.effects];
    const failed = (f: Omit<StepFailure, 'step' | 'op' | 'rules' | 'message'> & { detail: string }): StepFailure =>
      ({ ...f, step: n, op, rules, message: `${where(n, op)}: ${f.detail}` });
    let actual: unknown;
    try { actual = await this.adapter.apply(op); } catch (e) {
      return failed({ check: 'crash', expected, error: errorText(e), detail: `the implementation threw: ${errorText(e)}` });
    }
    if (!isResult(actual)) {
      return failed({ check: 'crash', expected, error: `malformed result ${JSON.stringify(actual)}`, detail: `the implementation returned ${JSON.stringify(actual)}, not a result` });
    }
    if (!sameResult(expected, actual)) {
      return failed({ check: 'result', expected, actual, detail: `spec ${formatResult(expected)}, impl ${formatResult(actual)}` });
    }
    const f = await this.checkState(n, op);
    return f && { ...f, rules };
  }

  private async checkState(n: number, op: Op | null): Promise<StepFailure | null> {
    const probes = defaultProbes(this.driver.cfg, pasidsInUse(this.driver.state));
    const spec = this.driver.observe(probes);
    let impl: Observation;
    try { impl = await this.adapter.observe(probes); } catch (e) {
      return { check: 'crash', step: n, op, error: errorText(e), message: `${where(n, op)}: observe threw: ${errorText(e)}`, detail: `observe threw: ${errorText(e)}` };
    }
    let violations: Violation[];
    try {
      // The spec is the oracle: an invariant the spec itself breaks here is a finding about the
      // variant (the model checker reports it), not a failure of the implementation.
      const ctx = { cfg: this.driver.cfg, variant: this.variant, kernelHeld: this.driver.state.kernelHeld };
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
    const diff = diffObservations(spec, impl);
    if (diff.length > 0) {
      return { check: 'observation', step: n, op, diff, specObservation: spec, implObservation: impl,
        message: `${where(n, op)}: observation differs: ${diff[0]}${diff.length > 1 ? ` (+${diff.length - 1} more)` : ''}`, detail: `its observation differs: ${diff[0]}` };
    }
    return null;
  }
}

/**
 * Run ops against the adapter in lockstep with the spec, skipping those the caller contract
 * forbids at that point. The executed trace and the first failure, or null.
 */
export async function runTrace(adapter: SvaAdapter, setup: Setup, variant: VariantName, ops: readonly Op[]):
  Promise<{ trace: Op[]; failure: StepFailure | null; checked: number }> {
  const ls = new Lockstep(adapter, setup, variant);
  let failure = await ls.start();
  for (const op of ops) {
    if (failure) break;
    if (!ls.allows(op)) continue;
    failure = await ls.step(op);
  }
  return { trace: ls.trace, failure, checked: ls.checked };
}
