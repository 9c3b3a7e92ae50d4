/**
 * The conformance property tests as vitest tests, through @fast-check/vitest: one test per
 * variant, each a fast-check property over random scenarios (check.ts). A failure is shrunk,
 * replayed, printed as a litmus file (also written to a temporary file) with the seed, the
 * replay path and the command that replays it.
 *
 * Seeds: SVACHECK_SEED if set (with SVACHECK_PATH to jump to a known counterexample), a fixed
 * seed in CI (process.env.CI), a fresh one otherwise; always printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '@fast-check/vitest';
import { afterAll } from 'vitest';
import { VARIANTS, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import { conformanceProperty, counterexampleOf, defaultReplay, freshSeed, scenarioArb, splitPath } from './check.ts';

/** The seed CI runs with (fixed so a red CI run reproduces anywhere). */
export const CI_SEED = 20260521;

export interface SeedChoice { readonly seed: number; readonly path?: string; readonly why: 'SVACHECK_SEED' | 'CI' | 'fresh' }

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
  readonly variants?: readonly VariantName[];
  /** Sequences per variant (fast-check numRuns), or per variant. Scaled by SVACHECK_RUNS_SCALE. */
  readonly runs?: number | Partial<Record<VariantName, number>>;
  readonly maxSteps?: number;
  readonly setup?: Setup;
  readonly seed?: SeedChoice;
}

let announced = false;
/** One seed per test process, so every registered suite and its printed replay line agree. */
let processSeed: SeedChoice | null = null;

/**
 * Register `<name> conforms: <variant>` tests for every variant the adapter implements (or the
 * given ones). makeAdapter is called once, lazily, and closed after the file's tests.
 */
export function registerConformanceTests(name: string, makeAdapter: () => SvaAdapter, options: RegisterOptions = {}): void {
  const choice = options.seed ?? (processSeed ??= resolveSeed());
  if (!announced) {
    announced = true;
    console.info(`svacheck conformance: seed ${choice.seed} (${choice.why}); replay with SVACHECK_SEED=${choice.seed} npx vitest run conformance`);
  }
  let adapter: SvaAdapter | null = null;
  const get = (): SvaAdapter => (adapter ??= makeAdapter());
  afterAll(async () => { await adapter?.close?.(); });
  const scale = Number(process.env.SVACHECK_RUNS_SCALE ?? '1') || 1;
  for (const variant of options.variants ?? VARIANTS) {
    const runs = typeof options.runs === 'number' ? options.runs : options.runs?.[variant] ?? 100;
    const replay = defaultReplay(name, variant);
    test.prop([scenarioArb(variant, { ...options, path: choice.path })], {
      seed: choice.seed, path: splitPath(choice.path).path, numRuns: Math.max(1, Math.round(runs * scale)),
      asyncReporter: async (details) => {
        if (!details.failed) return;
        const found = await counterexampleOf(get(), variant, details, replay);
        if ('broke' in found.report) throw new Error(`${name} ${variant}: ${found.report.broke}\nreplay: ${replay(details.seed, details.counterexamplePath)}`);
        const f = found.report.failure;
        const file = join(tmpdir(), 'svacheck-failures', `${f.litmus.name}.litmus.yaml`);
        try { mkdirSync(join(tmpdir(), 'svacheck-failures'), { recursive: true }); writeFileSync(file, f.litmusText); } catch { /* printing is enough */ }
        throw new Error(`${name} does not conform (${variant}): ${f.message}\n` +
          `shrunk to ${f.trace.length} operations; litmus file ${file}:\n\n${f.litmusText}\nreplay: ${f.replay}`);
      },
    })(`${name} conforms: ${variant}`, async (scenario) => {
      if (!get().variants.includes(variant)) throw new Error(`${name} does not implement variant ${variant}`);
      await conformanceProperty(get(), variant)(scenario);
    });
  }
}
