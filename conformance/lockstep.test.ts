/**
 * The lockstep runner's fast paths check no less: issued ahead (batching on), a divergence is
 * still reported at the step where it happens, with the same verdict as one op at a time; the
 * spec observation it reuses between steps is the one the spec would give; and the cheap
 * observation test only ever says "equal" where the full diff finds nothing.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createBuiltinAdapter } from '../impl/index.ts';
import { SpecDriver, VARIANT_BY_NAME, defaultProbes, observeSpec, pasidsInUse } from '../spec/index.ts';
import { formatOp, SEED_SETUP, type DmaProbe, type Observation, type Op, type Result, type SvaAdapter } from '../vocab/index.ts';
import { diffObservations, sameAsSpec } from './abstraction.ts';
import { checkAdapter, scenarioArb, scenarioOps } from './check.ts';
import { MUTANT_FIXTURES } from './mutants/index.ts';
import { ProbeCache, runTrace, servesBatches, servesDigest } from './lockstep.ts';
import { observationDigest } from './protocol/digest.ts';
import { checkInvariants } from '../spec/index.ts';
import { workload } from '../bench/conformance.bench.ts';

/**
 * The builtin implementation behind an adapter that announces batches and answers later (each
 * answer a promise, as over a pipe), with one planted defect: the `wrongAt`-th op's result, or
 * the observation after the `staleAt`-th op, is wrong. It counts how far ahead the runner sent.
 */
function planted(options: { wrongAt?: number; staleAt?: number; digest?: boolean }) {
  const inner = createBuiltinAdapter({ name: 'planted' });
  let ops = 0, observes = 0, checkedUpTo = 0, sentAheadMax = 0, digestsOnly = 0;
  const later = <T>(x: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(x)));
  const adapter: SvaAdapter & { capabilities: Record<string, number>; observeOrDigest(probes: readonly DmaProbe[], digest: string): Promise<Observation | null> } = {
    contractVersion: 1, name: 'planted', variants: inner.variants, capabilities: options.digest ? { batch: 1, digest: 1 } : { batch: 1 },
    async configure(setup, variant) { ops = 0; observes = 0; checkedUpTo = 0; await inner.configure(setup, variant); await later(null); },
    apply(op: Op): Promise<Result> {
      ops++;
      sentAheadMax = Math.max(sentAheadMax, ops - checkedUpTo);
      const r = inner.apply(op) as Result;
      return later(ops === options.wrongAt ? (r.kind === 'ok' ? { kind: 'errno', errno: 'EINVAL' } : { kind: 'ok' }) : r);
    },
    observe(probes: readonly DmaProbe[]): Promise<Observation> {
      const o = inner.observe(probes) as Observation;
      const n = observes++;                                             // observe 0 is the initial state's
      const stale = n === options.staleAt ? { ...o, globalPasids: [...o.globalPasids, 4095] } : o;
      return later(stale).then((x) => { checkedUpTo = Math.max(checkedUpTo, n); return x; });
    },
    /** PROTOCOL.md §12 as an implementation serves it: the digest alone when it is the one expected. */
    async observeOrDigest(probes: readonly DmaProbe[], digest: string): Promise<Observation | null> {
      const o = await adapter.observe(probes);
      if (observationDigest(o) !== digest) return o;
      digestsOnly++;
      return null;
    },
  };
  return { adapter, sentAhead: () => sentAheadMax, digestsOnly: () => digestsOnly };
}

const ops = workload(SEED_SETUP, 'v2', 60, 7);

describe('pipelined lockstep (batching on)', () => {
  test('the test adapter announces batches', () => {
    expect(servesBatches(planted({}).adapter)).toBe(true);
    expect(servesBatches(createBuiltinAdapter())).toBe(false);
  });

  for (const k of [1, 17, 60]) {
    test(`a wrong result planted at op ${k} is reported at step ${k}, as one op at a time reports it`, async () => {
      const p = planted({ wrongAt: k });
      const batched = await runTrace(p.adapter, SEED_SETUP, 'v2', ops, { pipeline: true });
      expect(p.sentAhead()).toBe(ops.length);                             // every op went out before the first answer was checked
      expect(batched.failure?.check).toBe('result');
      expect(batched.failure?.step).toBe(k);
      expect(formatOp(batched.failure!.op!)).toBe(formatOp(ops[k - 1]));
      const one = planted({ wrongAt: k });
      const single = await runTrace(one.adapter, SEED_SETUP, 'v2', ops);
      expect(one.sentAhead()).toBe(1);
      expect(batched.failure).toEqual(single.failure);
      expect(batched.trace).toEqual(single.trace);
    });
  }

  test('a wrong observation planted after op 23 is reported at step 23', async () => {
    const batched = await runTrace(planted({ staleAt: 23 }).adapter, SEED_SETUP, 'v2', ops, { pipeline: true });
    expect(batched.failure?.step).toBe(23);
    expect(['invariant', 'observation']).toContain(batched.failure?.check);
    const single = await runTrace(planted({ staleAt: 23 }).adapter, SEED_SETUP, 'v2', ops);
    expect(batched.failure).toEqual(single.failure);
  });

  for (const k of [1, 23, 60]) {
    test(`with digests (PROTOCOL.md §12), a wrong observation planted after op ${k} is reported at step ${k}, with the same failure as whole observations one op at a time`, async () => {
      const p = planted({ staleAt: k, digest: true });
      expect(servesDigest(p.adapter)).toBe(true);
      const batched = await runTrace(p.adapter, SEED_SETUP, 'v2', ops, { pipeline: true });
      expect(p.sentAhead()).toBe(ops.length);
      expect(p.digestsOnly()).toBe(ops.length);                            // all sent ahead; every observe but the planted one answered by its digest
      expect(batched.failure?.step).toBe(k);
      const single = await runTrace(planted({ staleAt: k }).adapter, SEED_SETUP, 'v2', ops, { digest: false });
      expect(batched.failure).toEqual(single.failure);
      expect(batched.trace).toEqual(single.trace);
    });
  }

  test('with digests, a wrong result planted at op 17 is reported at step 17 as without', async () => {
    const batched = await runTrace(planted({ wrongAt: 17, digest: true }).adapter, SEED_SETUP, 'v2', ops, { pipeline: true });
    const single = await runTrace(planted({ wrongAt: 17 }).adapter, SEED_SETUP, 'v2', ops);
    expect(batched.failure?.step).toBe(17);
    expect(batched.failure).toEqual(single.failure);
  });

  test('with digests and no planted defect, every observe is answered by its digest alone', async () => {
    const p = planted({ digest: true });
    const r = await runTrace(p.adapter, SEED_SETUP, 'v2', ops, { pipeline: true });
    expect(r.failure).toBeNull();
    expect(p.digestsOnly()).toBe(r.checked + 1);
  });

  test('asked to, the property loop pipelines for such an adapter and shrinks to the same counterexample and path', async () => {
    const p = planted({ wrongAt: 3 });
    const r = await checkAdapter(p.adapter, { variant: 'v2', seed: 99, runs: 50, pipeline: true });
    expect(p.sentAhead()).toBeGreaterThan(3);
    expect(r.failure?.check).toBe('result');
    expect(r.failure?.step).toBe(3);
    expect(r.failure?.trace).toHaveLength(3);
    const plain = await checkAdapter(planted({ wrongAt: 3 }).adapter, { variant: 'v2', seed: 99, runs: 50 });
    expect(r.failure?.trace).toEqual(plain.failure?.trace);
    expect(r.path).toBe(plain.path);
  });
});

describe('what the fast paths rely on', () => {
  test.prop([scenarioArb('v2', { maxSteps: 30 })], { numRuns: 40 })('a spec step that keeps its State object keeps its observation', (scenario) => {
    const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME.v2);
    for (const op of scenarioOps(scenario)) {
      if (driver.breach(op) !== null) continue;
      const before = driver.state;
      const probes = defaultProbes(driver.cfg, pasidsInUse(before));
      const seen = JSON.stringify(driver.observe(probes));
      driver.apply(op);
      if (driver.state === before) expect(JSON.stringify(driver.observe(probes))).toBe(seen);
      expect(JSON.stringify(observeSpec(VARIANT_BY_NAME.v2, driver.cfg, before, probes))).toBe(seen);   // nor was the old one edited
    }
  });

  test.prop([scenarioArb('upstream', { maxSteps: 40 })], { numRuns: 40 })('the probes cached per set of PASIDs in use are defaultProbes of every state', (scenario) => {
    const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME.upstream);
    const cache = new ProbeCache(driver.cfg);
    for (const op of scenarioOps(scenario)) {
      if (driver.breach(op) !== null) continue;
      driver.apply(op);
      expect(cache.of(driver.state)).toEqual(defaultProbes(driver.cfg, pasidsInUse(driver.state)));
    }
  });

  // The built-in adapter compares its observation with the spec's itself (observeUnlessSame)
  // and builds none where they match: that answer must mean what sameAsSpec means.
  const v2Mutants = MUTANT_FIXTURES.filter((m) => m.variants.includes('v2'));
  test.prop([scenarioArb('v2', { maxSteps: 40 }), fc.integer({ min: -1, max: v2Mutants.length - 1 })], { numRuns: 60 })(
    'observeUnlessSame answers null only where the whole observation shows no difference, and always for the correct implementation', ([setup, cmds], which) => {
      const adapter = (which < 0 ? createBuiltinAdapter() : v2Mutants[which].create()) as ReturnType<typeof createBuiltinAdapter>;
      const driver = new SpecDriver(setup, VARIANT_BY_NAME.v2);
      adapter.configure(setup, 'v2');
      // As the runner does: the spec's observation of an unchanged state is the same object, and
      // a new one keeps the answer objects of devices whose DMAs read nothing changed (the
      // adapter's DMA shortcut keys on both).
      const cache = new ProbeCache(driver.cfg);
      let state = driver.state, probes = cache.of(state), spec = driver.observe(probes);
      for (const op of scenarioOps([setup, cmds])) {
        if (driver.breach(op) !== null) continue;
        driver.apply(op);
        try { adapter.apply(op); } catch { return; }                     // a mutant may throw: a crash, not this test's business
        if (driver.state !== state) {
          const was = { st: state, probes, obs: spec };
          state = driver.state;
          probes = cache.of(state);
          spec = driver.observe(probes, was);                               // as viewOf: DMA answers of unchanged devices reused
        }
        const whole = adapter.observe(probes) as Observation;
        const answer = adapter.observeUnlessSame(probes, spec);
        if (answer === null) expect(diffObservations(spec, whole)).toEqual([]);
        else expect(answer).toEqual(whole);
        if (which < 0) expect(answer).toBeNull();
      }
    });

  test('the property loop finds the same counterexamples with the built-in adapter comparing and without (digest off)', async () => {
    for (const m of MUTANT_FIXTURES.slice(0, 8)) {
      for (const variant of m.variants.slice(0, 2)) {
        const fast = await checkAdapter(m.create(), { variant, seed: 7, runs: 100 });
        const whole = await checkAdapter(m.create(), { variant, seed: 7, runs: 100, digest: false });
        expect(fast.path, `${m.name} ${variant}`).toBe(whole.path);
        expect(fast.failure?.message).toBe(whole.failure?.message);
        expect(fast.failure?.trace.map(formatOp)).toEqual(whole.failure?.trace.map(formatOp));
      }
    }
  });

  const observationArb = scenarioArb('per-device', { maxSteps: 25 }).map((scenario): Observation => {
    const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME['per-device']);
    for (const op of scenarioOps(scenario)) if (driver.breach(op) === null) driver.apply(op);
    return driver.observe(defaultProbes(driver.cfg, pasidsInUse(driver.state)));
  });
  const reorder = <T>(xs: readonly T[], seed: number): T[] => xs.map((x, i) => [x, (i * 7919 + seed) % 101] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);
  const faultKinds = (o: Observation, seed: number): Observation =>
    ({ ...o, dma: o.dma.map((x, i) => (x.result.kind === 'fault' ? { ...x, result: { kind: 'fault' as const, ...((i + seed) % 3 === 0 ? {} : { fault: (['bad_cd', 'translation'] as const)[(i + seed) % 2] }) } } : x)) });

  // The lockstep skips the invariants on an observation equal to the spec's (sameAsSpec, or the
  // digest): that is sound because the invariants see an observation as the abstraction does.
  const stateArb = (variant: 'v2' | 'per-device' | 'upstream') => scenarioArb(variant, { maxSteps: 25 }).map((scenario) => {
    const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME[variant]);
    for (const op of scenarioOps(scenario)) if (driver.breach(op) === null) driver.apply(op);
    return { driver, obs: driver.observe(defaultProbes(driver.cfg, pasidsInUse(driver.state))) };
  });
  for (const variant of ['v2', 'per-device', 'upstream'] as const) {
    test.prop([stateArb(variant), fc.nat()], { numRuns: 60 })(`${variant}: every invariant gives the same verdict on an observation in another order and with other fault kinds`, ({ driver, obs }, seed) => {
      const ctx = { cfg: driver.cfg, variant: driver.variant, kernelHeld: driver.state.kernelHeld };
      const names = (o: Observation) => checkInvariants({ ...ctx, obs: o }).map((v) => v.invariant);
      const other: Observation = faultKinds({ ...obs, bonds: reorder(obs.bonds, seed), attaches: reorder(obs.attaches, seed), mms: reorder(obs.mms, seed).map((m) => ({ ...m, domains: reorder(m.domains, seed) })), globalPasids: reorder(obs.globalPasids, seed), dma: reorder(obs.dma, seed) }, seed);
      expect(sameAsSpec(obs, other) || diffObservations(obs, other).length === 0).toBe(true);
      expect(names(other)).toEqual(names(obs));
    });
  }

  test.prop([observationArb, fc.nat(), fc.integer({ min: 0, max: 6 })], { numRuns: 150 })('sameAsSpec says equal only where diffObservations finds nothing', (spec, seed, change) => {
    const b = spec.bonds[0], d = spec.dma[seed % Math.max(1, spec.dma.length)];
    const impl: Observation = [
      { ...spec, bonds: reorder(spec.bonds, seed), attaches: reorder(spec.attaches, seed), mms: reorder(spec.mms, seed), dma: reorder(spec.dma, seed) },
      { ...spec, bonds: b ? [{ ...b, users: b.users + 1 }, ...spec.bonds.slice(1)] : [] },
      { ...spec, bonds: b ? [b, ...spec.bonds] : spec.bonds, attaches: spec.attaches.slice(1) },
      { ...spec, globalPasids: [...spec.globalPasids, 1 + (seed % 8)] },
      { ...spec, dma: d ? spec.dma.map((x) => (x === d ? { ...x, result: x.result.kind === 'fault' ? { kind: 'kernel' as const } : { kind: 'fault' as const } } : x)) : spec.dma },
      { ...spec, mms: spec.mms.map((m, i) => (i === 0 ? { ...m, state: m.state === 'live' ? 'exited' as const : 'live' as const } : m)) },
      { ...spec, dma: spec.dma.map((x) => (x.result.kind === 'fault' ? { ...x, result: { kind: 'fault' as const } } : x)) },
    ][change];
    const equal = sameAsSpec(spec, impl);
    if (equal) expect(diffObservations(spec, impl)).toEqual([]);
    if (change === 0 || change === 6) expect(equal).toBe(true);            // order and fault kinds do not matter
  });
});
