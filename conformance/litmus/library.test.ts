import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createBuiltinAdapter, MUTANTS } from '../../impl/index.ts';
import { RULES, isScenarioRule } from '../../spec/index.ts';
import { VARIANTS } from '../../vocab/index.ts';
import { coverageOf } from './coverage.ts';
import { BUNDLED_DIR, bundledSources, exitCodeOf, loadLitmus, runSources, type FileOutcome } from './library.ts';


let outcomes: FileOutcome[] = [];
const run = async () => { if (outcomes.length === 0) outcomes = await runSources(await bundledSources()); return outcomes; };

describe('the bundled litmus library', () => {
  it('has at least 30 scenarios, one per *.litmus.yaml file, named after its file', async () => {
    const files = (await readdir(BUNDLED_DIR)).filter((f) => f.endsWith('.litmus.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const o of await run()) expect(o.file).toBe(`litmus/${o.name}.litmus.yaml`);
  });

  it('every file parses and holds in every variant it runs', async () => {
    const bad = (await run()).flatMap((o) => [
      ...o.errors.map((e) => `${o.file}:${e.line}: ${e.reason}`),
      ...o.verdicts.filter((v) => v.verdict !== 'Ok').map((v) => `${v.verdict} ${v.variant} ${v.name}: ${v.failures.map((f) => f.reason).join('; ')}`),
    ]);
    expect(bad).toEqual([]);
    expect(exitCodeOf(await run())).toBe(0);
  });

  it('lint: every bundled file says what it shows (doc) and cites a public source, never a file outside svacheck', async () => {
    const problems: string[] = [];
    for (const src of await bundledSources()) {
      const loaded = await loadLitmus(src);
      if (!loaded.ok) continue;                      // the parse test above reports it
      const { doc, source } = loaded.litmus.doc;
      if (!doc) problems.push(`${src.shown}: no doc`);
      if (!source) problems.push(`${src.shown}: no source`);
      else if (/DESIGN\.md|domain\.md|seeds\/|\b0\d\d_/.test(source)) problems.push(`${src.shown}: source cites a private note: ${source}`);
      else if (!/\.[ch]\b|\[PATCH|review|mail|\d{4}-\d{2}-\d{2}/.test(source)) problems.push(`${src.shown}: source names no kernel file or mail: ${source}`);
    }
    expect(problems).toEqual([]);
  });

  it('runs in every variant somewhere, and each scenario in at least one', async () => {
    for (const v of VARIANTS) expect((await run()).some((o) => o.verdicts.some((x) => x.variant === v)), v).toBe(true);
    for (const o of await run()) expect(o.verdicts.length, o.file).toBeGreaterThan(0);
  });

  it('exercises every API rule of the catalogue', async () => {
    const c = coverageOf(await run());
    const api = RULES.filter(isScenarioRule).map((r) => r.id);
    expect(c.rules.map((r) => r.id)).toEqual(api);
    // Listing what is missing makes the failure message the to-do list.
    expect(c.uncovered).toEqual([]);
  });

  it('produces every errno each variant can produce', async () => {
    const c = coverageOf(await run());
    for (const v of VARIANTS) {
      expect(c.errnos[v]!.possible.length, v).toBeGreaterThanOrEqual(5);
      expect(c.errnos[v]!.missing, v).toEqual([]);
    }
  });

  it('includes the scenarios the review needs, by name', async () => {
    const names = (await run()).map((o) => o.name);
    for (const n of [
      'seed-starvation-alloc-global', 'seed-fix-bind-pasid', 'v2-no-mixing-global-then-local', 'v2-no-mixing-local-then-global',
      'v2-second-device-different-pasid', 'v2-second-device-same-pasid', 'v2-sticky-local-mode', 'v1-reuse-bug',
      'refcounted-rebind', 'pasid-kept-after-unbind', 'exit-with-live-bonds', 'group-shared-slots', 'kernel-dma-pasid-collision',
      'failed-first-bind-sva-unsupported', 'v10-global-bind-hits-local-pasid', 'asid-exhaustion', 'device-without-iommu',
      'eoverflow-global', 'eoverflow-local', 'bind-pasid-zero', 'group-range-einval', 'dma-fault-kinds',
      'per-device-lifts-limits', 'per-device-enqcmd-reaches-other-mm',
    ]) expect(names).toContain(n);
  });

  it('the per-device ENQCMD finding is a documented violation that does occur', async () => {
    const o = (await run()).find((x) => x.name === 'per-device-enqcmd-reaches-other-mm')!;
    expect(o.verdicts.map((v) => [v.variant, v.verdict])).toEqual([['v1', 'Ok'], ['v2', 'Ok'], ['per-device', 'Ok']]);
  });
});

describe('the bundled library against the implementation (impl/)', () => {
  it('the builtin implementation holds every scenario in every variant it implements', async () => {
    const subject = createBuiltinAdapter();
    const out = await runSources(await bundledSources(), subject.variants, { subject });
    expect(out.flatMap((o) => o.verdicts.map((v) => v.variant))).toContain('per-device');
    expect(out.flatMap((o) => o.verdicts.filter((v) => v.verdict !== 'Ok').map((v) => `${v.variant} ${v.name}`))).toEqual([]);
  });

  it('every impl mutant fails at least one scenario', async () => {
    expect(MUTANTS.length).toBeGreaterThan(0);
    for (const m of MUTANTS) {
      const out = await runSources(await bundledSources(), m.variants, { subject: createBuiltinAdapter({ variants: m.variants, patch: m.patch }) });
      const killed = out.flatMap((o) => o.verdicts.filter((v) => v.verdict === 'No'));
      expect(killed.length, m.name).toBeGreaterThan(0);
    }
  });
});
