// Seeded random walks: deterministic per seed, each walk replayable alone, violations shrunk.
import { describe, expect, it } from 'vitest';
import { SpecDriver, checkInvariants } from '../spec/index.ts';
import { parseLitmus } from '../conformance/litmus/index.ts';
import { loadBundledConfig } from './config.ts';
import { v2NoV9 } from './planted.ts';
import { walk } from './walk.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? 20260525);
const seed = loadBundledConfig('seed-small');

describe(`walk (seed ${SEED}; replay: SVACHECK_SEED=${SEED} npx vitest run model/walk.test.ts)`, () => {
  it('the correct variants break nothing unexpected on long walks', () => {
    for (const v of ['upstream', 'v1', 'v2', 'per-device'] as const) {
      const r = walk(seed, v, { seed: SEED, walks: 30, length: 60 });
      expect(r.violations.filter((x) => !x.expected)).toEqual([]);
      expect(r.status).toBe('done');
      expect(r.stats.transitions).toBeGreaterThan(30 * 30);
    }
  });

  it('is deterministic for a seed', () => {
    const a = walk(seed, 'v2', { seed: SEED, walks: 5, length: 40 });
    const b = walk(seed, 'v2', { seed: SEED, walks: 5, length: 40 });
    expect(b.stats.transitions).toBe(a.stats.transitions);
    expect(b.stats.distinct).toBe(a.stats.distinct);
    expect(b.coverage).toEqual(a.coverage);
  });

  it('finds a planted bug, shrinks it, and the printed walk replays alone', () => {
    const r = walk(seed, v2NoV9, { seed: SEED, walks: 200, length: 60 });
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    expect(v.invariant).toBe('localPasidNeverFreedGlobally');
    expect(v.trace.length).toBeLessThanOrEqual(v.originalLength);
    expect(v.trace.length).toBeLessThanOrEqual(6);
    expect(v.replay).toContain(`--seed ${SEED}`);
    expect(v.replay).toContain(`--walk ${v.walk}`);
    const alone = walk(seed, v2NoV9, { seed: SEED, walks: 200, length: 60, only: v.walk });
    expect(alone.violations[0]?.originalLength).toBe(v.originalLength);
    // The shrunk trace, as printed, breaks the invariant when driven by name.
    const parsed = parseLitmus(v.litmus, 'walk.litmus');
    if (!parsed.ok) throw new Error(parsed.errors[0].reason);
    const d = new SpecDriver(seed.setup, v2NoV9);
    for (const s of parsed.litmus.doc.steps) d.apply(s.op);
    const broken = checkInvariants({ cfg: d.cfg, variant: d.variant, obs: d.observe(), kernelHeld: d.state.kernelHeld });
    expect(broken.map((x) => x.invariant)).toContain('localPasidNeverFreedGlobally');
  });
});
