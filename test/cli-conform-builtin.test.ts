/**
 * `svacheck conform --impl builtin` runs the built-in adapter behind the CLI's interruptible
 * wrapper: what the runner asks of the adapter itself must pass through it, or the run
 * silently takes the slow path (the built-in's own comparison, SameObserver).
 */
import { expect, it } from 'vitest';
import { interruptible } from '../cli/commands/conform.ts';
import { createBuiltinAdapter } from '../impl/index.ts';
import { SpecDriver, VARIANT_BY_NAME, defaultProbes, pasidsInUse } from '../spec/index.ts';
import { SEED_SETUP, type Observation } from '../vocab/index.ts';

it('the wrapped built-in adapter still compares its observation with the spec\'s itself', () => {
  const inner = createBuiltinAdapter();
  let asked = 0;
  const counting = Object.assign(Object.create(null), inner, {
    observeUnlessSame: (probes: never, expected: Observation) => { asked++; return inner.observeUnlessSame(probes, expected); },
  });
  const wrapped = interruptible(counting) as ReturnType<typeof createBuiltinAdapter>;
  expect(typeof wrapped.observeUnlessSame).toBe('function');
  const spec = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2);
  wrapped.configure(SEED_SETUP, 'v2');
  const probes = defaultProbes(spec.cfg, pasidsInUse(spec.state));
  expect(wrapped.observeUnlessSame(probes, spec.observe(probes))).toBeNull();
  expect(asked).toBe(1);
  // A difference still comes back whole: the spec's observation with one DMA changed.
  const expected = spec.observe(probes);
  const changed = { ...expected, dma: expected.dma.map((d, i) => (i === 0 ? { ...d, result: { kind: 'mm', mm: 'nobody' } as const } : d)) };
  expect(wrapped.observeUnlessSame(probes, changed)).toEqual(wrapped.observe(probes));
});

it('every optional call the runner looks for passes through the wrapper, and stops with it', () => {
  const calls: string[] = [];
  const inner = Object.assign(createBuiltinAdapter(), {
    capabilities: { batch: 1, digest: 1 },
    observeOrDigest: () => { calls.push('observeOrDigest'); return null; },
    sendStep: () => { calls.push('sendStep'); },
  });
  const wrapped = interruptible(inner) as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['observeOrDigest', 'observeUnlessSame', 'sendStep']) expect(typeof wrapped[name], name).toBe('function');
  wrapped.sendStep({ op: 'dma', dev: 'x', pasid: 0 }, [], null, {});
  wrapped.observeOrDigest([], 'd');
  expect(calls).toEqual(['sendStep', 'observeOrDigest']);
  expect((wrapped as unknown as { capabilities: unknown }).capabilities).toEqual({ batch: 1, digest: 1 });
});
