/**
 * The review report, as data: the litmus library for every variant, the model checker on the
 * default configuration, variant differences, conformance of impl against the spec, and the
 * findings. Rendering (text, markdown, JSON) is in render.ts; nothing here prints.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { formatOp, OP_NAMES, SEED_SETUP, VARIANTS, type Setup, type VariantName } from '../vocab/index.ts';
import { AVAILABILITY, INVARIANTS, RULES, RULE_BY_ID, SpecDriver, BUILTIN_VARIANTS, variantArg, type Variant } from '../spec/index.ts';
import { bundledSources, parseLitmus, runSources, summarize, type FileOutcome } from '../conformance/litmus/index.ts';
import { checkAdapter } from '../conformance/index.ts';
import { createBuiltinAdapter } from '../impl/index.ts';
import { check, diff, type CheckResult, type DiffResult, type ModelConfig, type Progress } from '../model/index.ts';
import type { ExploreLimits } from '../model/explore.ts';
import type { Finding } from './findings.ts';
import { buildCosts, type CostsData } from './costs.ts';

export const REPORT_SCHEMA = 'svacheck-report/2';
export const DEFAULT_SEED = 20260521;

export interface ReportOptions {
  readonly modelConfig: ModelConfig;
  /** How modelConfig is named in replay commands (`seed-small`, or a file path). */
  readonly configArg: string;
  /** Setup of the conformance runs; default: the seed's (vocab SEED_SETUP). */
  readonly setup?: Setup;
  readonly seed?: number;
  /** Random sequences per variant for the conformance runs. */
  readonly runs?: number;
  /** Built-in variants, or designs from files (a design is diffed against the built-in one it answers to). */
  readonly variants?: readonly (VariantName | Variant)[];
  /** Where to write the plot of section 6 (What it costs users); default: not written. */
  readonly costsPlot?: string;
  /** Called as each step starts, for progress lines. */
  readonly onStep?: (what: string) => void;
  /** Periodic progress of a long model check or diff (every few seconds), with what runs. */
  readonly onProgress?: (what: string, p: Progress) => void;
  /** Bounds of the model-checking and diff runs (as check's --max-states/--max-seconds/--max-memory). */
  readonly limits?: ExploreLimits;
}

export type Verdict = 'Ok' | 'No' | 'Malformed' | 'Crash' | '-';

export interface ReportData {
  readonly schema: typeof REPORT_SCHEMA;
  readonly svacheck: string;
  readonly specHash: string;
  readonly seed: number;
  readonly setup: Setup;
  readonly modelConfig: { readonly name: string; readonly source: string; readonly processes: number; readonly devices: Setup['devices']; readonly ops: readonly string[]; readonly bounds: ModelConfig['bounds']; readonly symmetry: boolean };
  readonly litmus: {
    readonly scenarios: number;
    readonly summary: readonly { variant: string; Ok: number; No: number; Malformed: number; Crash: number }[];
    readonly table: readonly { scenario: string; file: string; verdicts: Record<string, Verdict> }[];
  };
  readonly model: readonly {
    variant: string; status: CheckResult['status']; exhaustive: boolean; distinct: number; transitions: number;
    depth: number; seconds: number; invariants: number;
    violations: readonly { invariant: string; rule: string; expected: boolean; states: number }[];
    availability: readonly { kind: string; rule: string; title: string }[];
  }[];
  readonly diffs: readonly { a: string; b: string; ops: readonly string[]; status: DiffResult['status']; exhaustive: boolean; step: number | null; lines: readonly string[] }[];
  readonly conformance: readonly { implementation: string; variant: string; ok: boolean; runs: number; checked: number; seed: number; failure: string | null }[];
  readonly findings: readonly Finding[];
  /** Section 6: the seed workload's bind failure rates per variant (svacheck simulate). */
  readonly costs: CostsData;
  /** 0: everything held (documented findings included); 1: a check failed. */
  readonly exitCode: 0 | 1;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** sha256 of the spec's and the vocabulary's sources: two reports with the same hash ran the same rules. */
export function specHash(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testkit.ts') files.push(p);
    }
  };
  walk(join(root, 'spec'));
  walk(join(root, 'vocab'));
  const h = createHash('sha256');
  for (const f of files.map((p) => relative(root, p).split('\\').join('/')).sort()) h.update(`${f}\0${readFileSync(join(root, f), 'utf8')}\0`);
  return h.digest('hex').slice(0, 16);
}

export function version(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

const plain = (s: string) => s.replace(/→/g, '->');

/** The default pairs: upstream against each patch variant on upstream's operations, then v2 against per-device. */
const DIFF_PAIRS: readonly (readonly [VariantName, VariantName])[] = [['upstream', 'v1'], ['upstream', 'v2'], ['upstream', 'per-device'], ['v2', 'per-device'], ['upstream', 'sva-2018'], ['upstream', 'ioasid-2020'], ['upstream', 'dma-pasid-2021']];

/**
 * The catalogue's code/commit-message mismatches that the litmus run shows: per such rule, the
 * shortest scenario that held in the variants it applies to and fired the rule there.
 */
function codeMessageMismatches(outcomes: readonly FileOutcome[], run: readonly VariantName[]): Finding[] {
  const out: Finding[] = [];
  for (const rule of RULES) {
    if (!rule.mismatch) continue;
    const shows = (o: FileOutcome) => o.verdicts.filter((v) => v.verdict === 'Ok' && v.rules.includes(rule.id) && (rule.variants as readonly string[]).includes(v.variant));
    const witnesses = outcomes.filter((o) => shows(o).length > 0)
      .map((o) => ({ o, text: readFileSync(join(root, o.file), 'utf8') }))
      .sort((a, b) => a.text.length - b.text.length || a.o.file.localeCompare(b.o.file));
    if (witnesses.length === 0) continue;
    const { o, text } = witnesses[0];
    const held = shows(o).map((v) => v.variant as VariantName).filter((v) => run.includes(v));
    out.push({
      id: `msg-${rule.id}`, kind: 'code-message-mismatch', rule: rule.id, variants: held, expected: true,
      headline: `${held.join(', ')}: ${rule.mismatch.headline}`, explanation: rule.mismatch.explanation,
      litmus: text, replay: `npx svacheck replay ${o.name ?? o.file} --variant ${held.join(',')}`,
    });
  }
  return out;
}

export async function buildReport(o: ReportOptions): Promise<ReportData> {
  const seed = o.seed ?? DEFAULT_SEED;
  const chosen = (o.variants ?? VARIANTS).map((v) => (typeof v === 'string' ? BUILTIN_VARIANTS[v] : v));
  const variants = chosen.map((v) => v.name);
  const builtins = VARIANTS.filter((v) => variants.includes(v));
  /** How a command line names a variant: a design by the file it came from. */
  const byName = new Map(chosen.map((v) => [v.name, v]));
  const setup = o.setup ?? SEED_SETUP;
  const mc = o.modelConfig;

  o.onStep?.('litmus library');
  const outcomes = await runSources(await bundledSources(), chosen);

  const checks: CheckResult[] = [];
  for (const v of chosen) {
    o.onStep?.(`model check ${v.name}`);
    checks.push(check(mc, v, { ...o.limits, onProgress: o.onProgress && ((p) => o.onProgress!(`model check ${v.name}`, p)) }));
  }
  // The built-in pairs, then each design against the built-in design it answers to.
  const pairs: [Variant, Variant][] = DIFF_PAIRS.filter(([a, b]) => builtins.includes(a) && builtins.includes(b)).map(([a, b]) => [BUILTIN_VARIANTS[a], BUILTIN_VARIANTS[b]]);
  for (const v of chosen) if (BUILTIN_VARIANTS[v.name as VariantName] !== v) { pairs.push([BUILTIN_VARIANTS[v.litmusAs ?? 'v2'], v]); byName.set(v.litmusAs ?? 'v2', BUILTIN_VARIANTS[v.litmusAs ?? 'v2']); }
  const diffs: DiffResult[] = [];
  for (const [a, b] of pairs) {
    o.onStep?.(`diff ${a.name} ${b.name}`);
    diffs.push(diff(mc, a, b, { ...o.limits, onProgress: o.onProgress && ((p) => o.onProgress!(`diff ${a.name} ${b.name}`, p)) }));
  }
  const conformance = [];
  // The built-in implementation, on the variants it implements (a design answers through litmusAs).
  const implemented = createBuiltinAdapter().variants;
  for (const v of chosen) {
    const as = (implemented as readonly string[]).includes(v.name) ? v.name : v.litmusAs;
    if (as === undefined || !(implemented as readonly string[]).includes(as)) continue;
    o.onStep?.(`conformance ${v.name}`);
    conformance.push(await checkAdapter(createBuiltinAdapter(), { variant: v, setup, runs: o.runs ?? 100, seed, replay: (s, path) => `npx svacheck conform --impl builtin --variant ${variantArg(v)} --seed ${s}${path ? ` --path '${path}'` : ''}` }));
  }

  o.onStep?.('simulate (what it costs users)');
  // simulate runs built-in variants: those chosen, else the ones the designs answer to.
  const simulated = builtins.length > 0 ? builtins : [...new Set(chosen.map((v) => v.litmusAs ?? 'v2'))];
  const costs = buildCosts(simulated, seed, o.costsPlot ?? null);

  const findings = collectFindings(o.configArg, outcomes, checks, diffs, conformance, builtins, (name) => byName.get(name) ?? BUILTIN_VARIANTS[name as VariantName]);
  const failed = findings.some((f) => !f.expected && (f.kind === 'invariant-violation' || f.kind === 'conformance-failure' || f.kind === 'litmus-failure'))
    || checks.some((c) => c.missingExpected.length > 0);
  return {
    schema: REPORT_SCHEMA,
    svacheck: version(),
    specHash: specHash(),
    seed,
    setup,
    modelConfig: {
      name: mc.name, source: mc.source, processes: mc.setup.mms.length, devices: mc.setup.devices, ops: mc.ops, bounds: mc.bounds, symmetry: mc.symmetry,
    },
    litmus: {
      scenarios: outcomes.length,
      summary: [...summarize(outcomes, variants)].map(([variant, s]) => ({ variant, ...s })),
      table: outcomes.map((f) => ({
        scenario: f.name ?? f.file,
        file: f.file,
        verdicts: Object.fromEntries(variants.map((v) => [v, f.errors.length > 0 ? 'Malformed' : f.verdicts.find((x) => x.variant === v)?.verdict ?? '-'])) as Record<string, Verdict>,
      })),
    },
    model: checks.map((c, k) => ({
      variant: c.variant, status: c.status, exhaustive: c.exhaustive, distinct: c.stats.distinct,
      transitions: c.stats.transitions, depth: c.stats.depth, seconds: round(c.stats.seconds),
      // The invariants checked: the configuration's that apply to the variant (asked of it).
      invariants: INVARIANTS.filter((i) => mc.invariants.includes(i.name) && (!i.appliesTo || i.appliesTo(chosen[k]))).length,
      violations: c.violations.map((x) => ({ invariant: x.invariant, rule: x.rule, expected: x.expected, states: x.states })),
      availability: c.availability.map((a) => ({ kind: a.kind, rule: a.rule, title: a.title })),
    })),
    diffs: diffs.map((d) => ({
      a: d.a, b: d.b, ops: d.ops, status: d.status, exhaustive: d.exhaustive,
      step: d.difference?.step ?? null, lines: (d.difference?.lines ?? []).map(plain),
    })),
    conformance: conformance.map((c) => ({
      implementation: 'builtin', variant: c.design ?? c.variant, ok: c.ok, runs: c.runs, checked: c.checked, seed: c.seed,
      failure: c.failure ? `${c.failure.check} at step ${c.failure.step}${c.failure.op ? `: ${formatOp(c.failure.op)}` : ''}` : null,
    })),
    findings,
    costs,
    exitCode: failed ? 1 : 0,
  };
}

/**
 * The first step where the two variants take different rules (decisive rule and effects), by
 * replaying the trace in both: why their results part.
 */
function ruleDivergence(litmus: string, a: Variant, b: Variant): { rule: string; sentence: string } | null {
  const parsed = parseLitmus(litmus, 'diff');
  if (!parsed.ok) return null;
  const da = new SpecDriver(parsed.litmus.doc.setup, a);
  const db = new SpecDriver(parsed.litmus.doc.setup, b);
  for (const [i, step] of parsed.litmus.doc.steps.entries()) {
    const ra = da.apply(step.op), rb = db.apply(step.op);
    const la = [ra.rule, ...ra.effects], lb = [rb.rule, ...rb.effects];
    if (la.join('+') === lb.join('+')) continue;
    const only = lb.find((r) => !la.includes(r)) ?? rb.rule;
    const said = (ids: string[]) => ids.map((id) => `${id} (${RULE_BY_ID.get(id)?.statement.replace(/\.$/, '') ?? '?'})`).join('; ');
    const onlyA = la.filter((r) => !lb.includes(r)), onlyB = lb.filter((r) => !la.includes(r));
    return { rule: only, sentence: `They part at step ${i + 1}, ${formatOp(step.op)}: ${a.name} applies ${said(onlyA.length ? onlyA : la)}, where ${b.name} applies ${said(onlyB.length ? onlyB : lb)}.` };
  }
  return null;
}

const round = (x: number) => Math.round(x * 100) / 100;

function collectFindings(configArg: string, outcomes: readonly FileOutcome[], checks: readonly CheckResult[], diffs: readonly DiffResult[],
  conformance: readonly Awaited<ReturnType<typeof checkAdapter>>[], variants: readonly VariantName[], variantNamed: (name: string) => Variant): Finding[] {
  const arg = (name: string): string => variantArg(variantNamed(name));
  const found: Finding[] = [];
  // A bundled configuration is named positionally; a file goes through --config.
  const cfg = /^[a-z0-9-]+$/.test(configArg) ? configArg : `--config ${configArg}`;
  for (const c of checks) {
    for (const v of c.violations) {
      found.push({
        id: `inv-${v.rule}-${c.variant}`, kind: 'invariant-violation', rule: v.rule, variants: [c.variant], expected: v.expected,
        headline: `${c.variant} breaks ${v.invariant} (${v.rule})${v.expected ? ', a documented design finding' : ''}`,
        explanation: `${v.reason}. ${v.expected ? 'The configuration lists it as expected: ' : ''}${RULE_BY_ID.get(v.rule)?.statement ?? ''}`,
        litmus: v.litmus, replay: `npx svacheck check ${cfg} --variant ${arg(c.variant)}`,
      });
    }
  }
  // One finding per availability kind, with the trace of the first variant that shows it.
  const kinds = new Map<string, { variants: string[]; check: CheckResult }>();
  for (const c of checks) for (const a of c.availability) {
    const k = kinds.get(a.kind) ?? { variants: [], check: c };
    k.variants.push(c.variant);
    kinds.set(a.kind, k);
  }
  for (const [kind, k] of kinds) {
    const a = k.check.availability.find((x) => x.kind === kind)!;
    const info = AVAILABILITY[kind as keyof typeof AVAILABILITY];
    found.push({
      id: `avail-${info.rule}`, kind: 'availability', rule: info.rule, variants: k.variants, expected: true,
      headline: `${info.title} (${info.rule}), in ${k.variants.join(', ')}`,
      explanation: info.explanation, litmus: a.litmus, replay: `npx svacheck check ${cfg} --variant ${arg(k.check.variant)}`,
    });
  }
  for (const d of diffs) {
    if (!d.difference) continue;
    const last = plain(d.difference.lines[d.difference.lines.length - 1] ?? '').trim().replace(/\s+\[[^\]]*\]$/, '');
    const why = ruleDivergence(d.difference.litmus, variantNamed(d.a), variantNamed(d.b));
    const steps = d.difference.step;
    found.push({
      id: `diff-${d.a}-${d.b}`, kind: 'variant-difference', rule: why?.rule ?? '-', variants: [d.a, d.b], expected: true,
      headline: `${d.a} and ${d.b} differ after ${steps} step${steps === 1 ? '' : 's'}`,
      explanation: `Driven by the same operations (${OP_NAMES.every((op) => d.ops.includes(op)) ? 'all operations' : `the operations ${d.a} has`}), the two variants first give different results at step ${last}.${why ? ` ${why.sentence}` : ''}`,
      litmus: d.difference.litmus, replay: `npx svacheck diff ${arg(d.a)} ${arg(d.b)} ${cfg}`,
    });
  }
  found.push(...codeMessageMismatches(outcomes, variants));
  for (const c of conformance) {
    if (!c.failure) continue;
    found.push({
      id: `conform-${c.design ?? c.variant}`, kind: 'conformance-failure', rule: c.failure.invariant?.rule ?? '-', variants: [c.design ?? c.variant], expected: false,
      headline: `impl differs from the spec in ${c.design ?? c.variant} (${c.failure.check})`,
      explanation: c.failure.message, litmus: c.failure.litmusText, replay: c.failure.replay,
    });
  }
  for (const f of outcomes) for (const v of f.verdicts) {
    if (v.verdict === 'Ok') continue;
    found.push({
      id: `litmus-${v.variant}-${v.name}`, kind: 'litmus-failure', rule: v.failures[0]?.rule ?? '-', variants: [v.variant], expected: false,
      headline: `${v.name} does not hold in ${v.variant}`, explanation: v.failures.map((x) => x.reason).join('; '),
      litmus: readFileSync(join(root, f.file), 'utf8'), replay: `npx svacheck replay ${v.name} --variant ${arg(v.variant)}`,
    });
  }
  // Ids say what a finding is, so they do not move when other findings come or go (--variant).
  const seen = new Map<string, number>();
  return found.map((f) => {
    const n = (seen.get(f.id) ?? 0) + 1;
    seen.set(f.id, n);
    return n === 1 ? f : { ...f, id: `${f.id}-${n}` };
  });
}

