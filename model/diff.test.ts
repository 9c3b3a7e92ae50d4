// diff finds the shortest sequence after which two variants differ, and its litmus file
// replays on both variants with the per-variant expectations.
import { describe, expect, it } from 'vitest';
import { parseLitmus, runLitmus } from '../conformance/litmus/index.ts';
import { diff } from './diff.ts';
import { loadBundledConfig } from './config.ts';

const seed = loadBundledConfig('seed-small');

describe('diff', () => {
  it('v2 vs upstream: the failure path differs (upstream keeps the PASID after a failed first bind, S6; v2 rolls back, V7)', async () => {
    const r = diff(seed, 'v2', 'upstream');
    expect(r.status).toBe('different');
    expect(r.ops).not.toContain('bind_pasid');                          // upstream has none
    const d = r.difference!;
    expect(d.step).toBe(3);
    // The first differing result follows a bind that failed in both.
    const failedFirst = d.trace.slice(0, -1).some((s) => s.op.op === 'bind' && s.results.v2?.kind === 'errno' && s.results.upstream?.kind === 'errno');
    expect(failedFirst).toBe(true);
    expect(d.trace.map((s) => s.rule)).toContain('B1-busy');
    expect(d.a).not.toBe(d.b);
    const parsed = parseLitmus(d.litmus, 'diff.litmus');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    for (const v of ['v2', 'upstream'] as const) expect((await runLitmus(parsed.litmus, v)).verdict).toBe('Ok');
  });

  it('with only bind, unbind and enqcmd_pasid the difference shows through mm_get_enqcmd_pasid', () => {
    const mc = { ...seed, setup: { ...seed.setup, iommus: [{ name: 'smmu0', asidBits: 1 }] } };
    const r = diff(mc, 'v2', 'upstream', { ops: ['bind', 'unbind', 'enqcmd_pasid'] });
    expect(r.status).toBe('different');
    const last = r.difference!.trace.at(-1)!;
    expect(last.op.op === 'enqcmd_pasid' || last.op.op === 'bind').toBe(true);
  });

  it('v1 vs v2: the V4 fix (reuse after unbind) is the first difference', () => {
    const r = diff(seed, 'v1', 'v2');
    expect(r.difference!.lines.join('\n')).toMatch(/unbind h1[\s\S]*bind_pasid .* → v1: ENOSPC, v2: \d/);
  });

  it('a variant against itself is equivalent within the bounds, exhaustively', () => {
    const r = diff(loadBundledConfig('twins'), 'v2', 'v2');
    expect(r.status).toBe('equivalent');
    expect(r.exhaustive).toBe(true);
    expect(r.stats.distinct).toBeGreaterThan(100);
  });

  it('a bounded diff says so', () => {
    const r = diff(seed, 'v2', 'v2', { maxStates: 50 });
    expect(r.status).toBe('bound');
    expect(r.exhaustive).toBe(false);
  });
});
