/**
 * A transition's outcome as numbers: the result (kind and value), the rule that decided it and
 * the further rules it carried out. Both transition engines fill one per variant; the explorer
 * counts coverage on it without building strings, and turns it back into a Result for reports.
 */
import { ERRNOS, R, type FaultKind, type Result } from '../vocab/index.ts';

export const RK_OK = 0, RK_ERRNO = 1, RK_PASID = 2, RK_INVALID = 3, RK_KERNEL = 4, RK_MM = 5, RK_FAULT = 6;
export const FAULTS: readonly FaultKind[] = ['bad_substream', 'bad_cd', 'translation'];

const ruleNames: string[] = [];
const ruleIds = new Map<string, number>();
/** The number of a rule id (interned on first use). */
export function ruleId(name: string): number {
  let id = ruleIds.get(name);
  if (id === undefined) { id = ruleNames.length; ruleNames.push(name); ruleIds.set(name, id); }
  return id;
}
export const ruleName = (id: number): string => ruleNames[id];

export class Outcome {
  rk = RK_OK;
  rv = 0;
  rule = 0;
  /** Further rules carried out, in order. */
  readonly effects = new Int32Array(4);
  ne = 0;
  /** Whether the successor differs from the state the operation ran in. */
  changed = false;

  set(rk: number, rv: number, rule: number): void { this.rk = rk; this.rv = rv; this.rule = rule; }
  also(rule: number): void { this.effects[this.ne++] = rule; }

  /** The result as the vocabulary spells it; mms by name. */
  result(mmNames: readonly string[]): Result {
    switch (this.rk) {
      case RK_OK: return R.ok;
      case RK_ERRNO: return R.errno(ERRNOS[this.rv]);
      case RK_PASID: return R.pasid(this.rv);
      case RK_INVALID: return R.invalid;
      case RK_KERNEL: return R.kernel;
      case RK_MM: return R.mm(mmNames[this.rv]);
      default: return R.fault(FAULTS[this.rv]);
    }
  }
  rules(): string[] { return [ruleName(this.rule), ...Array.from(this.effects.subarray(0, this.ne), ruleName)]; }

  /** Fill from a spec step's result and rules (mm results by index in mmNames). */
  fromStep(result: Result, rule: string, effects: readonly string[] | undefined, mmNames: readonly string[]): void {
    switch (result.kind) {
      case 'ok': this.set(RK_OK, 0, 0); break;
      case 'errno': this.set(RK_ERRNO, ERRNOS.indexOf(result.errno), 0); break;
      case 'pasid': this.set(RK_PASID, result.pasid, 0); break;
      case 'invalid': this.set(RK_INVALID, 0, 0); break;
      case 'kernel': this.set(RK_KERNEL, 0, 0); break;
      case 'mm': this.set(RK_MM, mmNames.indexOf(result.mm), 0); break;
      case 'fault': this.set(RK_FAULT, result.fault ? FAULTS.indexOf(result.fault) : -1, 0); break;
    }
    this.rule = ruleId(rule);
    this.ne = 0;
    for (const e of effects ?? []) this.also(ruleId(e));
  }

  /** Coverage label of the result (resultLabel): an errno name, INVALID, or the kind. */
  labelCode(): number { return this.rk === RK_ERRNO ? LABELS.length - ERRNOS.length + this.rv : this.rk; }
}

/** Coverage labels by labelCode. */
export const LABELS: readonly string[] = ['ok', 'errno', 'pasid', 'INVALID', 'kernel', 'mm', 'fault', ...ERRNOS];

/** Same result in two outcomes (sameResult: the fault kind is not compared). */
export function sameOutcomeResult(a: Outcome, b: Outcome): boolean {
  return a.rk === b.rk && (a.rk === RK_FAULT || a.rv === b.rv);
}
