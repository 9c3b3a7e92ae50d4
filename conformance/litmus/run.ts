/**
 * The litmus runner: one parsed file, one variant. The spec (SpecDriver) always runs: it
 * decides the caller contract, which steps are skipped, and which rules fired (coverage). The
 * subject whose results are checked is the spec itself, or any implementation speaking the
 * adapter contract (vocab SvaAdapter), run alongside — `svacheck conform` reuses this.
 *
 * Semantics (docs/litmus.md):
 * - a step without `expect` (for this variant) must succeed: its result is not an errno, and
 *   an alloc_global is not INVALID (its way of failing); queries are otherwise unchecked;
 * - `any` checks nothing; any other expectation must equal the result (fault kinds not compared);
 * - a step naming a handle whose last bind with `as: <handle>` did not succeed is skipped;
 * - a caller-contract breach ends the run: verdict Malformed, naming the step and rule;
 * - after each step the spec invariants are checked on the subject's observation: one not
 *   listed in `violates` for the variant fails the verdict (first step it breaks), one listed
 *   that never breaks fails it too.
 */
import { checkInvariants, ContractError, defaultProbes, pasidsInUse, SpecDriver, BUILTIN_VARIANTS, variantOf, type Variant } from '../../spec/index.ts';
import { implVariantOf } from '../lockstep.ts';
import { formatOp, formatResult, sameResult, type Errno, type Op, type Result, type SvaAdapter, type VariantName } from '../../vocab/index.ts';
import type { Expectation } from '../../vocab/litmus.ts';
import type { ParsedLitmus } from './parse.ts';

export type VerdictKind = 'Ok' | 'No' | 'Malformed' | 'Crash';

export type FailureKind = 'expect' | 'must-succeed' | 'invariant' | 'expected-violation' | 'contract' | 'diverged' | 'crash';

export interface Failure {
  readonly kind: FailureKind;
  /** 1-based step index and its line in the file, when the failure belongs to a step. */
  readonly step?: number;
  readonly line?: number;
  /** The step's operation, as formatOp writes it. */
  readonly op?: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly invariant?: string;
  /** The rule id involved: the invariant's rule, or the contract rule broken. */
  readonly rule?: string;
  readonly reason: string;
}

export interface Verdict {
  readonly file: string;
  readonly name: string;
  /** The variant's name (a built-in one, or the name a --variant file gives its design). */
  readonly variant: string;
  readonly verdict: VerdictKind;
  readonly failures: readonly Failure[];
  /** Steps (1-based) skipped because their handle's bind did not succeed. */
  readonly skipped: readonly number[];
  /** Rule ids the spec reported (decisive rule and effects), in first-fired order. */
  readonly rules: readonly string[];
  /** Errnos the spec returned in this run. */
  readonly errnos: readonly Errno[];
}

export interface RunOptions {
  /** The implementation under test; absent: the spec's own results are checked. */
  readonly subject?: SvaAdapter;
}

const usesHandle = (op: Op): string | null => (op.op === 'unbind' || op.op === 'get_pasid' || op.op === 'mm_exit_done' ? op.handle : null);

/** A per-variant entry of a file: under the variant's own name, else under the design it answers to. */
function perVariant<T>(map: Partial<Record<string, T>> | undefined, v: Variant): T | undefined {
  return map?.[v.name] ?? (v.litmusAs === undefined ? undefined : map?.[v.litmusAs]);
}

/** The expectation of a step for a variant; undefined = must succeed. */
export function expectationFor(expect: ParsedLitmus['doc']['steps'][number]['expect'], variant: VariantName | Variant): Expectation | undefined {
  if (expect === undefined || expect === 'any' || 'kind' in expect) return expect as Expectation | undefined;
  return perVariant(expect as Partial<Record<string, Expectation>>, variantOf(variant));
}

/** Why a result does not meet the expectation, or null. */
function unmet(op: Op, e: Expectation | undefined, r: Result): { kind: FailureKind; expected: string } | null {
  if (e === 'any') return null;
  if (e === undefined) {
    const failed = r.kind === 'errno' || (op.op === 'alloc_global' && r.kind === 'invalid');
    return failed ? { kind: 'must-succeed', expected: 'success (no expect)' } : null;
  }
  return sameResult(e, r) ? null : { kind: 'expect', expected: formatResult(e) };
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

export async function runLitmus(parsed: ParsedLitmus, variantArg: VariantName | Variant, options: RunOptions = {}): Promise<Verdict> {
  const spec = variantOf(variantArg), variant = spec.name;
  const { doc, file } = parsed;
  const failures: Failure[] = [];
  const skipped: number[] = [];
  const rules: string[] = [];
  const errnos: Errno[] = [];
  const subject = options.subject;
  const listed = new Set(perVariant(doc.violates as Partial<Record<string, readonly string[]>> | undefined, spec) ?? []);
  const occurred = new Set<string>();
  const reported = new Set<string>();
  const boundNames = new Set<string>();
  let verdict: VerdictKind | null = null;

  const driver = new SpecDriver(doc.setup, spec);
  const at = (i: number) => ({ step: i + 1, line: parsed.stepLines[i], op: formatOp(doc.steps[i].op) });
  const crash = (i: number | null, who: string, e: unknown) => {
    failures.push({ kind: 'crash', ...(i === null ? {} : at(i)), reason: `${who} threw: ${firstLine(e)}` });
    verdict = 'Crash';
  };

  if (subject) {
    try { await subject.configure(doc.setup, implVariantOf(spec, subject)); } catch (e) { crash(null, subject.name, e); }
  }
  for (let i = 0; verdict === null && i < doc.steps.length; i++) {
    const { op, expect } = doc.steps[i];
    const handle = usesHandle(op);
    if (handle !== null && !boundNames.has(handle)) { skipped.push(i + 1); continue; }

    let applied;
    try { applied = driver.apply(op); } catch (e) {
      if (e instanceof ContractError) {
        failures.push({ kind: 'contract', ...at(i), rule: e.breach.rule, reason: `breaks the caller contract (${e.breach.rule}): ${e.breach.reason}` });
        verdict = 'Malformed';
      } else crash(i, 'the spec', e);
      break;
    }
    for (const id of [applied.rule, ...applied.effects]) if (!rules.includes(id)) rules.push(id);
    if (applied.result.kind === 'errno' && !errnos.includes(applied.result.errno)) errnos.push(applied.result.errno);

    let actual = applied.result;
    if (subject) {
      try { actual = await subject.apply(op); } catch (e) { crash(i, subject.name, e); break; }
    }
    if ((op.op === 'bind' || op.op === 'bind_pasid' || op.op === 'bind_private') && op.as !== undefined) {
      if (actual.kind === 'pasid') boundNames.add(op.as); else boundNames.delete(op.as);
    }
    const miss = unmet(op, expectationFor(expect, spec), actual);
    if (subject && !sameResult(actual, applied.result)) {
      // One failure per step: the implementation left the spec, whatever the file expected.
      const spec = formatResult(applied.result);
      failures.push({ kind: 'diverged', ...at(i), expected: spec, actual: formatResult(actual), rule: applied.rule,
        reason: `${subject.name} gives ${formatResult(actual)} where the spec gives ${spec}`
          + `${miss && miss.expected !== spec ? ` (the file expects ${miss.expected})` : ''}`
          + ` by rule${applied.effects.length ? 's' : ''} ${[applied.rule, ...applied.effects].join(', ')}; later steps not run` });
      break;
    }
    if (miss) failures.push({ ...miss, ...at(i), actual: formatResult(actual), reason: `expected ${miss.expected}, got ${formatResult(actual)}` });

    let violations;
    try {
      violations = subject
        ? checkInvariants({ cfg: driver.cfg, variant: driver.variant, kernelHeld: driver.state.kernelHeld,
          obs: await subject.observe(defaultProbes(driver.cfg, pasidsInUse(driver.state))) })
        : driver.invariants();
    } catch (e) { crash(i, subject ? subject.name : 'the spec', e); break; }
    const now = new Set<string>();
    for (const v of violations) {
      now.add(v.invariant);
      if (listed.has(v.invariant)) { occurred.add(v.invariant); continue; }
      if (reported.has(v.invariant)) continue;
      reported.add(v.invariant);
      failures.push({ kind: 'invariant', ...at(i), invariant: v.invariant, rule: v.rule, reason: `invariant ${v.invariant} (${v.rule}) broken: ${v.reason}` });
    }
    for (const name of reported) if (!now.has(name)) reported.delete(name);   // report again if it breaks anew
  }
  if (verdict === null) {
    for (const name of listed) {
      if (!occurred.has(name)) failures.push({ kind: 'expected-violation', invariant: name, reason: `expected violation of ${name} did not occur` });
    }
    verdict = failures.length > 0 ? 'No' : 'Ok';
  }
  return { file, name: doc.name, variant, verdict, failures, skipped, rules, errnos };
}

/**
 * The variants a parsed file runs, narrowed to a selection (all when absent). A design from a
 * file runs where it has every operation the scenario uses and, if it answers to a built-in
 * design, where that design runs.
 */
export function variantsOf(parsed: ParsedLitmus, only?: readonly (VariantName | Variant)[]): Variant[] {
  const own = parsed.doc.variants ?? [];
  if (!only) return own.map((v) => BUILTIN_VARIANTS[v]);
  const used = new Set(parsed.doc.steps.map((s) => s.op.op));
  return only.map(variantOf).filter((v) => {
    if ((own as readonly string[]).includes(v.name)) return true;
    if (BUILTIN_VARIANTS[v.name as VariantName] === v) return false;               // a built-in the file leaves out
    return [...used].every((o) => v.ops.includes(o)) && (v.litmusAs === undefined || own.includes(v.litmusAs));
  });
}
