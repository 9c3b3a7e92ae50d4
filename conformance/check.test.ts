/**
 * The runner itself: it reports each kind of failure, its counterexample is a litmus file
 * that reproduces it, the seed and path replay it, and the preconditions drop only calls that
 * break the caller contract — calls that must fail with an errno still run.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createBuiltinAdapter } from '../impl/index.ts';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { formatOp, type Errno, type Op, type Result, type SvaAdapter } from '../vocab/index.ts';
import { parseLitmus, runLitmus } from './litmus/index.ts';
import { checkAdapter, scenarioArb, scenarioOps } from './check.ts';
import { mutantByName } from './mutants/index.ts';
import { SpecAdapter } from './specAdapter.ts';

const SEED = 424242;

/** The spec adapter with one deliberate defect in apply. */
function brokenSpec(name: string, apply: (op: Op, spec: SpecAdapter) => Result): SvaAdapter {
  const spec = new SpecAdapter(name);
  return { contractVersion: 1, name, variants: spec.variants, configure: (s, v) => spec.configure(s, v),
    apply: (op) => apply(op, spec), observe: (p) => spec.observe(p) };
}

describe('checkAdapter', () => {
  test('the spec adapter conforms to the spec in every variant', async () => {
    for (const variant of ['upstream', 'v1', 'v2', 'per-device'] as const) {
      const r = await checkAdapter(new SpecAdapter(), { variant, seed: SEED, runs: 40 });
      expect(r.ok, r.failure?.message ?? r.broke).toBe(true);
      expect(r.checked).toBeGreaterThan(40 * 5);
    }
  });

  test('a result mismatch is shrunk to a litmus file that passes on the spec and the builtin and fails on the mutant', async () => {
    const m = mutantByName('v2-keeps-idle-local-pasid')!;
    const r = await checkAdapter(m.create(), { variant: 'v2', seed: SEED, runs: 300 });
    const f = r.failure!;
    expect(f.check).toBe('result');
    expect(f.step).toBe(f.trace.length);
    expect(f.op).toEqual(f.trace[f.trace.length - 1]);
    expect(f.litmusText).toContain(`# seed: ${SEED}`);
    expect(f.litmusText).toContain(`# path: ${r.path}`);
    expect(f.litmusText).toContain(`SVACHECK_SEED=${SEED}`);
    const parsed = parseLitmus(f.litmusText, 'counterexample.litmus.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.litmus.doc.steps.map((s) => formatOp(s.op))).toEqual(f.trace.map(formatOp));
    expect((await runLitmus(parsed.litmus, 'v2')).verdict).toBe('Ok');
    expect((await runLitmus(parsed.litmus, 'v2', { subject: createBuiltinAdapter() })).verdict).toBe('Ok');
    expect((await runLitmus(parsed.litmus, 'v2', { subject: m.create() })).verdict).toBe('No');
  });

  test('a state-only failure gets witness DMA steps, so the litmus file still fails on the mutant', async () => {
    const m = mutantByName('exit-keeps-cds-live')!;
    const r = await checkAdapter(m.create(), { variant: 'upstream', seed: SEED, runs: 300 });
    const f = r.failure!;
    expect(f.check).toBe('invariant');
    expect(f.invariant?.invariant).toBe('dmaReachesOnlyBoundLiveMm');
    const parsed = parseLitmus(f.litmusText, 'counterexample.litmus.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.litmus.doc.steps.length).toBeGreaterThan(f.trace.length);
    expect(parsed.litmus.doc.steps.at(-1)?.op.op).toBe('dma');
    // The doc says what broke in words, not a cut of the message (the op's braces hold ': ').
    expect(parsed.litmus.doc.doc).toMatch(/^Shrunk counterexample: mutant:exit-keeps-cds-live breaks invariant dmaReachesOnlyBoundLiveMm \(\w+\): /);
    expect(f.rules?.length).toBeGreaterThan(0);
    expect(f.litmusText).toContain(`# rules: the spec decides step ${f.step} by ${f.rules!.join(', ')}`);
    expect((await runLitmus(parsed.litmus, 'upstream')).verdict).toBe('Ok');
    expect((await runLitmus(parsed.litmus, 'upstream', { subject: m.create() })).verdict).toBe('No');
  });

  test('seed and path replay the same shrunk counterexample', async () => {
    const m = mutantByName('no-handle-refcount')!;
    const first = await checkAdapter(m.create(), { variant: 'per-device', seed: SEED, runs: 300 });
    const again = await checkAdapter(m.create(), { variant: 'per-device', seed: SEED, path: first.path!, runs: 300 });
    expect(again.failure?.trace.map(formatOp)).toEqual(first.failure?.trace.map(formatOp));
    expect(again.failure?.check).toBe(first.failure?.check);
  });

  test('a throw is a crash, not a wrong result', async () => {
    const adapter = brokenSpec('throws', (op, spec) => {
      if (op.op === 'alloc_global') throw new Error('NULL pointer dereference');
      return spec.apply(op);
    });
    const r = await checkAdapter(adapter, { variant: 'v2', seed: SEED, runs: 100 });
    expect(r.failure?.check).toBe('crash');
    expect(r.failure?.error).toContain('NULL pointer dereference');
    expect(r.failure?.trace.map((o) => o.op)).toEqual(['alloc_global']);   // shrunk to the one call
  });

  test('a malformed result is a crash; a wrong errno is a result mismatch', async () => {
    const malformed = brokenSpec('malformed', (op, spec) => (op.op === 'get_pasid' ? ({ pasid: 1 } as unknown as Result) : spec.apply(op)));
    expect((await checkAdapter(malformed, { variant: 'v1', seed: SEED, runs: 200 })).failure?.check).toBe('crash');
    const wrong = brokenSpec('wrong-errno', (op, spec) => {
      const r = spec.apply(op);
      return r.kind === 'errno' && r.errno === 'EOVERFLOW' ? { kind: 'errno', errno: 'EINVAL' } : r;
    });
    const f = (await checkAdapter(wrong, { variant: 'v2', seed: SEED, runs: 300 })).failure!;
    expect(f.check).toBe('result');
    expect(f.expected).toEqual({ kind: 'errno', errno: 'EOVERFLOW' });
  });

  test('configure throwing is a crash at step 0 with an empty trace', async () => {
    const adapter: SvaAdapter = { ...new SpecAdapter('no-config'), contractVersion: 1, name: 'no-config', variants: ['v2'],
      configure() { throw new Error('probe failed'); }, apply: () => ({ kind: 'ok' }), observe: () => ({ bonds: [], attaches: [], mms: [], globalPasids: [], dma: [] }) };
    const f = (await checkAdapter(adapter, { variant: 'v2', seed: SEED, runs: 5 })).failure!;
    expect(f.check).toBe('crash');
    expect(f.step).toBe(0);
    expect(f.trace).toEqual([]);
  });

  test('a variant the adapter does not implement is reported, not run', async () => {
    const r = await checkAdapter(mutantByName('v2-mixing-allowed')!.create(), { variant: 'upstream', seed: SEED, runs: 5 });
    expect(r.ok).toBe(false);
    expect(r.broke).toContain('does not implement');
  });
});

describe('preconditions are the caller contract only', () => {
  test('calls that must fail still run: every errno and INVALID appear in generated traces', async () => {
    const seen = new Set<string>();
    let dropped = 0, ran = 0;
    for (const variant of ['upstream', 'v2', 'per-device'] as const) {
      for (const scenario of fc.sample(scenarioArb(variant), { seed: SEED, numRuns: 150 })) {
        const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME[variant]);
        for (const op of scenarioOps(scenario)) {
          if (driver.breach(op) !== null) { dropped++; continue; }
          ran++;
          const r = driver.apply(op).result;
          seen.add(r.kind === 'errno' ? r.errno : r.kind);
        }
      }
    }
    for (const e of ['EBUSY', 'ENOSPC', 'EOVERFLOW', 'EINVAL', 'ENODEV', 'EOPNOTSUPP'] satisfies Errno[]) expect(seen).toContain(e);
    for (const k of ['invalid', 'fault', 'kernel', 'mm', 'pasid', 'ok']) expect(seen).toContain(k);
    expect(ran).toBeGreaterThan(dropped);
  });
});
