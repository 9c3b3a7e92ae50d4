// The visited set on a second thread (parallel.ts): a run that hands it over gives exactly what
// a one-thread run gives. Tiny chunks (chunkStates) let every bundled configuration hand over
// after a few hundred states, so the second thread's path is exercised on all of them.
import { describe, expect, it } from 'vitest';
import { VARIANT_BY_NAME } from '../spec/index.ts';
import { check, type CheckResult } from './check.ts';
import { bundledConfigNames, loadBundledConfig } from './config.ts';
import { explore } from './explore.ts';
import { v2Leaky } from './planted.ts';
import { buildSpace } from './space.ts';

const TINY = { chunkStates: 64, parallelFrom: 64 } as const;

/** What a run reports, without the wall-clock figures and the thread count. */
function verdicts(r: CheckResult) {
  const { seconds: _s, transitionsPerSecond: _t, distinctPerSecond: _d, bytesPerState: _b, threads: _n, ...stats } = r.stats;
  return {
    status: r.status, stop: r.stop, exhaustive: r.exhaustive, stats, coverage: r.coverage,
    violations: r.violations.map((v) => ({ invariant: v.invariant, states: v.states, litmus: v.litmus })),
    availability: r.availability.map((a) => ({ kind: a.kind, transitions: a.transitions, litmus: a.litmus })),
  };
}

describe('the visited set on a second thread', () => {
  // Each configuration as it is checked (its symmetry setting), and one without symmetry.
  const cases = [
    ...bundledConfigNames().flatMap((name) => loadBundledConfig(name).variants.map((v) => [name, v, loadBundledConfig(name).symmetry] as const)),
    ['seed-small', 'v2', false] as const,
  ];
  it.each(cases)('%s / %s (symmetry %s): two threads give what one gives, state for state', (name, variant, symmetry) => {
    const mc = loadBundledConfig(name);
    const one = check(mc, variant, { symmetry, continue: true, threads: 1, chunkStates: TINY.chunkStates });
    const two = check(mc, variant, { symmetry, continue: true, threads: 2, ...TINY });
    expect(verdicts(two)).toEqual(verdicts(one));
    expect(one.stats.threads).toBe(1);
    expect(two.stats.threads).toBe(one.stats.distinct > TINY.parallelFrom ? 2 : 1);
  });

  it('a run stopped by a violation found on the second thread is run again on one: the same trace and statistics', () => {
    const mc = loadBundledConfig('seed-small');
    const one = check(mc, v2Leaky, { symmetry: false, threads: 1, chunkStates: 16 });
    const two = check(mc, v2Leaky, { symmetry: false, threads: 2, chunkStates: 16, parallelFrom: 16 });
    expect(one.status).toBe('violation');
    expect(one.stats.distinct).toBeGreaterThan(16);                      // the violation is found after the handover
    expect(verdicts(two)).toEqual(verdicts(one));
  });

  it('hands every state to the newState hook once, in index order, also those a stopped run never expanded', () => {
    const mc = loadBundledConfig('seed-small');
    const space = buildSpace(mc, [VARIANT_BY_NAME.v2], { symmetry: false });
    const seen: number[] = [];
    const ex = explore(space, [VARIANT_BY_NAME.v2], {
      newState: (idx) => { seen.push(idx); return false; },
      transition: (parent) => parent === 500,                           // stop on a transition from the 500th state
    }, { threads: 2, ...TINY });
    expect(ex.parallel).toBe(true);
    expect(ex.stop).toBe('hook');
    expect(ex.store.size).toBeGreaterThan(600);                          // what was sent before the stop is added
    expect(seen).toEqual(Array.from({ length: ex.store.size }, (_, i) => i));
  });
});
