/**
 * Rule and errno coverage of a litmus run: for each API rule of the spec catalogue, which
 * scenarios made the spec fire it, per variant; for each variant, which errnos it produced and
 * which of those its rules can produce were never seen.
 */
import { RULES, isScenarioRule } from '../../spec/index.ts';
import { VARIANTS, type Errno, type VariantName } from '../../vocab/index.ts';
import type { FileOutcome } from './library.ts';

export interface RuleCoverage {
  readonly id: string;
  readonly statement: string;
  /** Per variant the rule applies to (and that was run): scenario names that fired it. */
  readonly byVariant: Partial<Record<VariantName, readonly string[]>>;
  /** Scenario names that fired it in any variant. */
  readonly files: readonly string[];
  readonly covered: boolean;
}

export interface ErrnoCoverage {
  /** Errnos the variant's rules can produce (from the catalogue). */
  readonly possible: readonly Errno[];
  /** Errno → scenario names that produced it. */
  readonly seen: Partial<Record<Errno, readonly string[]>>;
  readonly missing: readonly Errno[];
}

export interface Coverage {
  readonly variants: readonly VariantName[];
  readonly rules: readonly RuleCoverage[];
  /** API rules (of the variants run) that no scenario fired. */
  readonly uncovered: readonly string[];
  readonly errnos: Partial<Record<VariantName, ErrnoCoverage>>;
}

const add = (m: Map<string, string[]>, key: string, name: string) => {
  const xs = m.get(key) ?? [];
  if (!xs.includes(name)) xs.push(name);
  m.set(key, xs);
};

/** Coverage of the verdicts in `outcomes`, over the variants run (`variants`, default all). */
export function coverageOf(outcomes: readonly FileOutcome[], variants: readonly VariantName[] = VARIANTS): Coverage {
  const fired = new Map<string, string[]>();       // `${variant} ${rule}` → names
  const errs = new Map<string, string[]>();        // `${variant} ${errno}` → names
  for (const o of outcomes) for (const v of o.verdicts) {
    for (const r of v.rules) add(fired, `${v.variant} ${r}`, v.name);
    for (const e of v.errnos) add(errs, `${v.variant} ${e}`, v.name);
  }
  const rules = RULES.filter((r) => isScenarioRule(r) && r.variants.some((v) => variants.includes(v))).map((r) => {
    const byVariant: Partial<Record<VariantName, readonly string[]>> = {};
    const files: string[] = [];
    for (const v of r.variants.filter((x) => variants.includes(x))) {
      const names = fired.get(`${v} ${r.id}`) ?? [];
      byVariant[v] = names;
      for (const n of names) if (!files.includes(n)) files.push(n);
    }
    return { id: r.id, statement: r.statement, byVariant, files, covered: files.length > 0 };
  });
  const errnos: Partial<Record<VariantName, ErrnoCoverage>> = {};
  for (const v of variants) {
    const possible = [...new Set(RULES.filter((r) => isScenarioRule(r) && r.errno && r.variants.includes(v)).map((r) => r.errno!))].sort();
    const seen: Partial<Record<Errno, readonly string[]>> = {};
    for (const e of possible) { const names = errs.get(`${v} ${e}`); if (names) seen[e] = names; }
    errnos[v] = { possible, seen, missing: possible.filter((e) => !seen[e]) };
  }
  return { variants: [...variants], rules, uncovered: rules.filter((r) => !r.covered).map((r) => r.id), errnos };
}
