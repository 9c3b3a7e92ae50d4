/**
 * The conformance checks as vitest tests, per variant: the bundled litmus library run on the
 * implementation (`<name> litmus: <variant>`), and a fast-check property over random scenarios
 * (check.ts) through @fast-check/vitest (`<name> conforms: <variant>`). A failure is shrunk,
 * replayed, printed as a litmus file (also written to a temporary file) with the seed, the
 * replay path and the command that replays it, naming the test file it ran in.
 *
 * Seeds: SVACHECK_SEED if set (with SVACHECK_PATH to jump to a known counterexample), the
 * `seed` option, a fixed seed in CI (process.env.CI), a fresh one otherwise; always printed.
 *
 * vitest and @fast-check/vitest are optional peer dependencies of svacheck: only this entry
 * point (`svacheck/vitest`) needs them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DESIGNS_2026, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import { conformanceProperty, counterexampleOf, freshSeed, scenarioArb, splitPath } from './check.ts';
import { bundledSources, renderOutcome, runSources } from './litmus/index.ts';
import { RULE_BY_ID } from '../spec/index.ts';

const { test } = await import('@fast-check/vitest').catch((e: unknown) => { throw peerMissing('@fast-check/vitest', e); });
const { afterAll, expect, test: plainTest } = await import('vitest').catch((e: unknown) => { throw peerMissing('vitest', e); });

function peerMissing(name: string, e: unknown): Error {
  return new Error(`svacheck/vitest needs ${name} in your project: npm install --save-dev vitest @fast-check/vitest `
    + `(${(e as Error).message.split('\n')[0]})`);
}

/** The seed CI runs with (fixed so a red CI run reproduces anywhere). */
export const CI_SEED = 20260521;

export interface SeedChoice { readonly seed: number; readonly path?: string; readonly why: 'SVACHECK_SEED' | 'option' | 'CI' | 'fresh' }

export function resolveSeed(env: NodeJS.ProcessEnv = process.env): SeedChoice {
  const given = env.SVACHECK_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`SVACHECK_SEED must be an integer, got '${given}'`);
    return { seed, path: env.SVACHECK_PATH || undefined, why: 'SVACHECK_SEED' };
  }
  if (env.CI) return { seed: CI_SEED, why: 'CI' };
  return { seed: freshSeed(), why: 'fresh' };
}

export interface RegisterOptions {
  /** The variants the implementation claims; default the 2026 designs (earlier ones by name). */
  readonly variants?: readonly VariantName[];
  /** Sequences per variant (fast-check numRuns), or per variant. Scaled by SVACHECK_RUNS_SCALE. */
  readonly runs?: number | Partial<Record<VariantName, number>>;
  /** fast-check's name for `runs`; `runs` wins when both are given. */
  readonly numRuns?: number;
  /** Most operations generated per sequence; default 100 (CheckOptions.maxSteps). */
  readonly maxSteps?: number;
  readonly setup?: Setup;
  /** A fixed seed (SVACHECK_SEED still overrides it, so a printed replay line works). */
  readonly seed?: number | SeedChoice;
  /** Also run the bundled litmus library on the implementation (default true). */
  readonly litmus?: boolean;
}

/** The seed a suite runs with: SVACHECK_SEED, then the option, then CI's or a fresh one. */
export function seedFor(option: RegisterOptions['seed'], env: NodeJS.ProcessEnv = process.env): SeedChoice {
  if (env.SVACHECK_SEED !== undefined && env.SVACHECK_SEED !== '') return resolveSeed(env);
  if (typeof option === 'number') {
    if (!Number.isInteger(option)) throw new Error(`registerConformanceTests: seed must be an integer, got ${option}`);
    return { seed: option, why: 'option' };
  }
  return option ?? resolveSeed(env);
}

/** The test file being collected, relative to the working directory (vitest's root). */
function testFile(): string {
  const p = expect.getState().testPath;
  if (!p) return '';
  const rel = relative(process.cwd(), p).split('\\').join('/');
  return rel.startsWith('..') ? p : rel;
}

let announced = false;
/** One seed per test process, so every registered suite and its printed replay line agree. */
let processSeed: SeedChoice | null = null;

/** How a person replays one failing test: the seed, the path, this test file, this test. */
function vitestReplay(file: string, name: string, variant: VariantName) {
  return (seed: number, path: string | null): string =>
    `SVACHECK_SEED=${seed}${path ? ` SVACHECK_PATH='${path}'` : ''} npx vitest run ${file || 'conformance'} -t '${name} conforms: ${variant}'`;
}

/**
 * Register, for every variant the adapter implements (or the given ones), the tests
 * `<name> litmus: <variant>` (the bundled litmus library on the implementation) and
 * `<name> conforms: <variant>` (random runs in lockstep with the spec). makeAdapter is called
 * once, lazily, and closed after the file's tests.
 */
export function registerConformanceTests(name: string, makeAdapter: () => SvaAdapter, options: RegisterOptions = {}): void {
  const choice = options.seed === undefined ? (processSeed ??= resolveSeed()) : seedFor(options.seed);
  const file = testFile();
  if (!announced) {
    announced = true;
    console.info(`svacheck conformance: seed ${choice.seed} (${choice.why}); replay with SVACHECK_SEED=${choice.seed} npx vitest run ${file || 'conformance'}`);
  }
  let adapter: SvaAdapter | null = null;
  const get = (): SvaAdapter => (adapter ??= makeAdapter());
  afterAll(async () => { await adapter?.close?.(); });
  const scale = Number(process.env.SVACHECK_RUNS_SCALE ?? '1') || 1;
  for (const variant of options.variants ?? DESIGNS_2026) {
    const runs = typeof options.runs === 'number' ? options.runs : options.runs?.[variant] ?? options.numRuns ?? 100;
    if (options.litmus !== false) {
      plainTest(`${name} litmus: ${variant}`, async () => {
        if (!get().variants.includes(variant)) throw new Error(`${name} does not implement variant ${variant}`);
        const outcomes = await runSources(await bundledSources(), [variant], { subject: get() });
        const bad = outcomes.filter((o) => o.errors.length > 0 || o.verdicts.some((v) => v.verdict !== 'Ok'));
        if (bad.length > 0) {
          throw new Error(`${name} fails ${bad.length} litmus scenario${bad.length === 1 ? '' : 's'} in ${variant}:\n`
            + bad.flatMap((o) => [...renderOutcome(o), ...(o.name ? [`  explain it: npx svacheck replay ${o.name} --variant ${variant}`] : [])]).join('\n'));
        }
      });
    }
    const replay = vitestReplay(file, name, variant);
    test.prop([scenarioArb(variant, { ...options, path: choice.path })], {
      seed: choice.seed, path: splitPath(choice.path).path, numRuns: Math.max(1, Math.round(runs * scale)),
      asyncReporter: async (details) => {
        if (!details.failed) return;
        const found = await counterexampleOf(get(), variant, details, replay);
        if ('broke' in found.report) throw new Error(`${name} ${variant}: ${found.report.broke}\nreplay: ${replay(details.seed, details.counterexamplePath)}`);
        const f = found.report.failure;
        const saved = join(tmpdir(), 'svacheck-failures', `${f.litmus.name}.litmus.yaml`);
        try { mkdirSync(join(tmpdir(), 'svacheck-failures'), { recursive: true }); writeFileSync(saved, f.litmusText); } catch { /* printing is enough */ }
        const rules = (f.rules ?? []).map((id) => `  ${id}: ${RULE_BY_ID.get(id)?.statement ?? '?'}\n`).join('');
        throw new Error(`${name} does not conform (${variant}): ${f.message}\n`
          + (rules ? `the spec's result at step ${f.step} comes from:\n${rules}` : '')
          + `shrunk to ${f.trace.length} operation${f.trace.length === 1 ? '' : 's'}; litmus file ${saved}:\n\n${f.litmusText}\n`
          + `explain it step by step: npx svacheck replay ${saved}\n`
          + `replay the test: ${f.replay}`);
      },
    })(`${name} conforms: ${variant}`, async (scenario) => {
      if (!get().variants.includes(variant)) throw new Error(`${name} does not implement variant ${variant}`);
      await conformanceProperty(get(), variant)(scenario);
    });
  }
}
