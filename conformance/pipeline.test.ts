/**
 * The pipelined lockstep's two shortcuts check no less. A step sent ahead takes the spec's
 * result and the caller contract's verdict from the spec that ran ahead (the spec is not run a
 * second time): allows() and every step then say what a spec at the caller's point says. And
 * an adapter that takes a step as one call (AheadSender: answers written in, no promise per
 * request) reports a divergence at the step where it happens, as one op at a time does.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createBuiltinAdapter } from '../impl/index.ts';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { SEED_SETUP, type DmaProbe, type Observation, type Op, type Result, type SvaAdapter } from '../vocab/index.ts';
import { scenarioArb, scenarioOps } from './check.ts';
import { Lockstep, runTrace, type AheadSender, type StepAnswers } from './lockstep.ts';
import { observationDigest } from './protocol/digest.ts';
import { workload } from '../bench/conformance.bench.ts';

/**
 * The builtin implementation answering later (each answer on a later turn of the event loop,
 * as over a pipe), with a planted defect: the `wrongAt`-th op's result, or the observation
 * after the `staleAt`-th op, is wrong. With `sender`, it takes steps sent ahead as one call
 * (sendStep), writing the answers in; without, the runner asks apply() and observe().
 */
function later(options: { wrongAt?: number; staleAt?: number; digest?: boolean; sender?: boolean }): SvaAdapter {
  const inner = createBuiltinAdapter({ name: 'later' });
  let ops = 0, observes = 0, sendSteps = 0;
  const next = <T>(x: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(x)));
  const adapter = {
    contractVersion: 1 as const, name: 'later', variants: inner.variants, capabilities: options.digest ? { batch: 1, digest: 1 } : { batch: 1 },
    async configure(setup: Parameters<SvaAdapter['configure']>[0], variant: Parameters<SvaAdapter['configure']>[1]) { ops = 0; observes = 0; await inner.configure(setup, variant); await next(null); },
    apply(op: Op): Promise<Result> {
      ops++;
      const r = inner.apply(op) as Result;
      return next(ops === options.wrongAt ? (r.kind === 'ok' ? { kind: 'errno', errno: 'EINVAL' } : { kind: 'ok' }) as Result : r);
    },
    observe(probes: readonly DmaProbe[]): Promise<Observation> {
      const o = inner.observe(probes) as Observation;
      const n = observes++;                                               // observe 0 is the initial state's
      return next(n === options.staleAt ? { ...o, globalPasids: [...o.globalPasids, 4095] } : o);
    },
    async observeOrDigest(probes: readonly DmaProbe[], digest: string): Promise<Observation | null> {
      const o = await adapter.observe(probes);
      return observationDigest(o) === digest ? null : o;
    },
  };
  if (!options.sender) return adapter;
  const sender: AheadSender = {
    sendStep(op, probes, digest, into: StepAnswers) {
      sendSteps++;
      const settle = () => { into.settled++; into.wake?.(); };
      adapter.apply(op).then((r) => { into.result = r; settle(); }, (e: unknown) => { into.resultError = e; settle(); });
      (digest === null ? adapter.observe(probes) : adapter.observeOrDigest(probes, digest))
        .then((o) => { into.observation = o; settle(); }, (e: unknown) => { into.observationError = e; settle(); });
    },
  };
  return Object.assign(adapter, sender, { sendSteps: () => sendSteps });
}

const ops = workload(SEED_SETUP, 'v2', 60, 11);

describe('an adapter taking steps sent ahead as one call (AheadSender)', () => {
  for (const k of [1, 17, 60]) {
    test(`a wrong result planted at op ${k} is reported at step ${k}, as one op at a time reports it`, async () => {
      const a = later({ wrongAt: k, digest: true, sender: true });
      const batched = await runTrace(a, SEED_SETUP, 'v2', ops, { pipeline: true });
      expect((a as unknown as { sendSteps(): number }).sendSteps()).toBe(ops.length);   // all went through sendStep
      expect(batched.failure?.check).toBe('result');
      expect(batched.failure?.step).toBe(k);
      const single = await runTrace(later({ wrongAt: k }), SEED_SETUP, 'v2', ops, { digest: false });
      expect(batched.failure).toEqual(single.failure);
      expect(batched.trace).toEqual(single.trace);
    });
    test(`a wrong observation planted after op ${k} is reported at step ${k}, with digests and without, as one op at a time reports it`, async () => {
      const single = await runTrace(later({ staleAt: k }), SEED_SETUP, 'v2', ops, { digest: false });
      expect(single.failure?.step).toBe(k);
      for (const digest of [true, false]) {
        const batched = await runTrace(later({ staleAt: k, digest, sender: true }), SEED_SETUP, 'v2', ops, { pipeline: true, digest });
        expect(batched.failure).toEqual(single.failure);
        expect(batched.trace).toEqual(single.trace);
      }
    });
  }

  test('an op that throws when sent is a crash at its step, as when run alone', async () => {
    const a = later({ sender: true, digest: true });
    const failing = { ...a, sendStep(op: Op, probes: readonly DmaProbe[], digest: string | null, into: StepAnswers) {
      if (op === ops[4]) throw new Error('the pipe broke');
      (a as unknown as AheadSender).sendStep(op, probes, digest, into);
    } };
    const r = await runTrace(failing, SEED_SETUP, 'v2', ops, { pipeline: true });
    expect(r.failure?.check).toBe('crash');
    expect(r.failure?.step).toBe(5);
    expect(r.failure?.error).toBe('Error: the pipe broke');
  });
});

describe('a pipelined run takes results and verdicts from the spec that ran ahead', () => {
  // Each scenario is run pipelined while a spec of its own runs beside it at the caller's
  // point. Before some ops the caller also asks about another op of the scenario (a copy: not
  // the one issued there, which the spec at the caller's point must answer), and some it asks
  // about twice.
  test.prop([scenarioArb('v2', { maxSteps: 40 }), fc.infiniteStream(fc.nat())], { numRuns: 60 })(
    'allows() gives the verdict of the spec at the caller\'s point, every step passes, and the driver ends in its state',
    async ([setup, cmds], picks) => {
      const all = scenarioOps([setup, cmds]);
      const ls = new Lockstep(later({ sender: true, digest: true }), setup, 'v2');
      const here = new SpecDriver(setup, VARIANT_BY_NAME.v2);
      expect(await ls.start(all)).toBeNull();
      const pick = picks[Symbol.iterator]();
      for (const op of all) {
        const r = pick.next().value as number;
        if (r % 2 === 0) {
          const other = { ...all[r % all.length] } as Op;
          expect(ls.allows(other)).toBe(here.breach(other) === null);
        }
        const allowed = here.breach(op) === null;
        expect(ls.allows(op)).toBe(allowed);
        if (r % 3 === 0) expect(ls.allows(op)).toBe(allowed);
        if (!allowed) continue;
        here.apply(op);
        expect(await ls.step(op)).toBeNull();
      }
      expect(ls.trace).toHaveLength(ls.checked);
      expect(JSON.stringify(ls.driver.observe())).toBe(JSON.stringify(here.observe()));
    });
});
