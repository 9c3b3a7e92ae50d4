// The checker finds planted bugs with their shortest traces, its counterexamples replay
// (through the spec driver and through the litmus runner), and bounded runs say so.
import { describe, expect, it } from 'vitest';
import { SpecDriver, checkInvariants, variantByName, type Variant } from '../spec/index.ts';
import { formatResult, type Op, type Setup } from '../vocab/index.ts';
import { parseLitmus, runLitmus } from '../conformance/litmus/index.ts';
import { check } from './check.ts';
import { loadBundledConfig, parseConfig, type ModelConfig } from './config.ts';
import { v2Leaky, v2NoV9 } from './planted.ts';

const seed = loadBundledConfig('seed-small');
const withDepth = (mc: ModelConfig, depth: number): ModelConfig => ({ ...mc, bounds: { ...mc.bounds, depth } });

/** Drive the spec by name with the printed ops; the results and the invariants broken at the end. */
function replay(setup: Setup, v: Variant, ops: readonly Op[]) {
  const d = new SpecDriver(setup, v);
  const results = ops.map((o) => formatResult(d.apply(o).result));
  const broken = checkInvariants({ cfg: d.cfg, variant: d.variant, obs: d.observe(), kernelHeld: d.state.kernelHeld }).map((x) => x.invariant);
  return { results, broken };
}
const opsOf = (litmus: string): Op[] => {
  const parsed = parseLitmus(litmus, 'printed.litmus');
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.reason).join('; '));
  return parsed.litmus.doc.steps.map((s) => s.op);
};

describe('planted bugs', () => {
  it.each([
    [v2Leaky, 'globalPasidHasExactlyOneOwner', 3],
    [v2NoV9, 'localPasidNeverFreedGlobally', 4],
  ] as const)('%s: finds %s with the shortest trace (%i steps)', (variant, invariant, length) => {
    const r = check(seed, variant);
    expect(r.status).toBe('violation');
    const v = r.violations.find((x) => x.invariant === invariant)!;
    expect(v).toBeDefined();
    expect(v.expected).toBe(false);
    expect(v.trace).toHaveLength(length);
    // Shortest: with one step less the whole space is clean.
    const shorter = check(withDepth(seed, length - 1), variant);
    expect(shorter.violations.map((x) => x.invariant)).not.toContain(invariant);
    expect(shorter.status).toBe('done');
    // The printed litmus replays on the planted variant: same results, same invariant broken.
    const ops = opsOf(v.litmus);
    const again = replay(seed.setup, variant, ops);
    expect(again.results).toEqual(v.trace.map((s) => formatResult(Object.values(s.results)[0]!)));
    expect(again.broken).toContain(invariant);
    // And the correct v2 does not break it on the same sequence.
    expect(replay(seed.setup, variantByName('v2')!, ops).broken).not.toContain(invariant);
  });
});

describe('bundled configuration seed-small', () => {
  it('per-device breaks only the documented ENQCMD invariant, with a replayable litmus file', async () => {
    const r = check(seed, 'per-device', { continue: true });
    expect(r.status).toBe('done');
    expect(r.violations.map((x) => [x.invariant, x.expected])).toEqual([['enqcmdPasidIsGlobalAndMeansItsMm', true]]);
    const v = r.violations[0];
    expect(v.trace.length).toBe(3);
    const parsed = parseLitmus(v.litmus, 'printed.litmus');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const verdict = await runLitmus(parsed.litmus, 'per-device');
    expect(verdict.failures).toEqual([]);
    expect(verdict.verdict).toBe('Ok');
  });

  it('availability findings: V10 collision in v2, the v1 idle-PASID bug only in v1, starvation everywhere', async () => {
    const kinds = (v: string) => check(seed, v as 'v2').availability.map((a) => a.kind).sort();
    expect(kinds('v1')).toContain('idle-local-kept');
    expect(kinds('v2')).not.toContain('idle-local-kept');
    expect(kinds('v2')).toContain('local-collision');
    expect(kinds('upstream')).not.toContain('local-collision');
    for (const v of ['upstream', 'v1', 'v2', 'per-device']) expect(kinds(v)).toContain('starved');
    const v2 = check(seed, 'v2');
    const collision = v2.availability.find((a) => a.kind === 'local-collision')!;
    expect(collision.lines.join('\n')).toMatch(/bind_pasid .* as h1 → 1[\s\S]*bind \{dev: accel, mm: B\} → EBUSY/);
    const parsed = parseLitmus(collision.litmus, 'collision.litmus');
    expect(parsed.ok && (await runLitmus(parsed.litmus, 'v2')).verdict).toBe('Ok');
  });

  it('stops at --max-states, says it is not exhaustive, and keeps its statistics', () => {
    const r = check(seed, 'v2', { maxStates: 500 });
    expect(r.status).toBe('bound');
    expect(r.exhaustive).toBe(false);
    expect(r.stop).toBe('max-states');
    expect(r.stats.distinct).toBe(500);
    expect(r.stats.transitions).toBeGreaterThan(0);
    expect(r.missingExpected).toEqual([]);
  });

  it('coverage counts operations and errnos that fired', () => {
    const r = check(seed, 'v2');
    expect(r.coverage.ops.bind_pasid?.results.EINVAL).toBeGreaterThan(0);
    expect(r.coverage.ops.bind_pasid?.results.ENOSPC).toBeGreaterThan(0);
    expect(r.coverage.ops.bind?.results.EBUSY).toBeGreaterThan(0);
    expect(r.coverage.rules.V7).toBeGreaterThan(0);
    expect(r.coverage.rules.S6).toBeUndefined();
    const total = Object.values(r.coverage.ops).reduce((n, e) => n + e!.count, 0);
    expect(total).toBe(r.stats.transitions);
  });
});

describe('configuration errors', () => {
  it('names the file and line', () => {
    const text = 'name: x\ndevices:\n  a: { ssid_bits: 2 }\nprocesses: 2\nbounds:\n  handle_users: 0\n';
    expect(() => parseConfig(text, 'bad.yaml')).toThrow(/^bad\.yaml:6: bounds\.handle_users must be an integer in 1\.\.15/);
    expect(() => parseConfig('name: x\ndevices:\n  a: { ssid_bits: 30 }\n', 'b.yaml')).toThrow(/^b\.yaml:3: device a: ssid_bits/);
    expect(() => parseConfig('name: x\ndevices: {a: {ssid_bits: 1}}\nops: [bind, frob]\n', 'c.yaml')).toThrow(/^c\.yaml:3: unknown operation 'frob'/);
    expect(() => parseConfig('name: [\n', 'd.yaml')).toThrow(/^d\.yaml:\d+: not valid YAML/);
  });
});
