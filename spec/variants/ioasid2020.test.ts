/**
 * ioasid-2020 ("[PATCH 00/10] IOASID extensions for guest SVA", 2020-03-25): its bundled
 * configuration checked exhaustively; the quotas held in every reachable state (a search over
 * the spec's own states, which also catches a planted adjust that ignores the set's use); the
 * caller contract and setup errors; its differences from the 2026 designs. The mail's claims
 * as scenarios are litmus/ioasid-2020-*.litmus.yaml.
 */
import { describe, expect, it } from 'vitest';
import { check, diff, loadBundledConfig, parseConfig, type ModelConfig } from '../../model/index.ts';
import { beyondBounds, buildSpace, enabled, encode } from '../../model/space.ts';
import { parseLitmus } from '../../conformance/litmus/parse.ts';
import { DESIGNS_2026, R } from '../../vocab/index.ts';
import { SpecDriver } from '../driver.ts';
import { step } from '../objectWorld.ts';
import { initialState, type State } from '../state.ts';
import type { Variant } from '../step.ts';
import { BUILTIN_VARIANTS } from './index.ts';
import { ioasid2020 } from './ioasid2020.ts';

/** Every state reachable in mc under v (unreduced, within the bounds); the first that `bad` names, or null. */
function search(mc: ModelConfig, v: Variant, bad: (st: State) => string | null): { states: number; found: string | null } {
  const space = buildSpace(mc, [v], { symmetry: false });
  const key = new Uint32Array(space.words);
  const seen = new Set<string>();
  const queue: State[] = [initialState(space.cfg)];
  for (let i = 0; i < queue.length; i++) {
    const st = queue[i];
    const why = bad(st);
    if (why !== null) return { states: seen.size, found: why };
    for (const t of space.templates) {
      if (!enabled(space, v, st, t)) continue;
      const next = step(v, space.cfg, st, t).state;
      if (beyondBounds(space, next)) continue;
      encode(space, [next], key);
      const k = key.join();
      if (!seen.has(k)) { seen.add(k); queue.push(next); }
    }
  }
  return { states: seen.size, found: null };
}

/** The quotas: no set holds more than its quota, the system set no more than its own. */
const overQuota = (mc: ModelConfig) => (st: State): string | null => {
  const cfg = buildSpace(mc, [ioasid2020]).cfg;
  const sets = st.ioasidSets ?? [];
  for (const [i, s] of sets.entries()) if (s.held.length > s.quota) return `set ${cfg.ioasid.sets[i].name} holds ${s.held.length} > quota ${s.quota}`;
  const system = st.ida.length - sets.reduce((n, s) => n + s.held.length, 0);
  return system > cfg.ioasid.systemQuota ? `the system set holds ${system} > quota ${cfg.ioasid.systemQuota}` : null;
};

/** ioasid_adjust_set without its check against the set's use. */
const adjustIgnoresUse: Variant = {
  ...ioasid2020,
  name: 'ioasid-2020-adjust-ignores-use',
  own(w, op) {
    if (op.op !== 'ioasid_adjust_set') return ioasid2020.own!(w, op);
    w.putSetQuota(op.set, op.quota);
    w.ok('Q4-ok');
    return true;
  },
};

describe('ioasid-2020 on the model checker', () => {
  const mc = loadBundledConfig('ioasid-2020');

  it('its bundled configuration, exhaustively: every invariant that applies holds; the state count is pinned', () => {
    const r = check(mc, ioasid2020, { continue: true });
    expect(r.exhaustive).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.stats.distinct).toBe(377);
    expect(Object.keys(r.coverage.ops)).toEqual(expect.arrayContaining(['ioasid_alloc', 'ioasid_free_set', 'ioasid_adjust_set']));
  });

  it('in every reachable state each set, the system set included, holds at most its quota', () => {
    const r = search(mc, ioasid2020, overQuota(mc));
    expect(r.found).toBeNull();
    expect(r.states).toBe(734);                                        // as check --no-symmetry counts them
  });

  it('an adjust that ignored the set\'s use would let a set hold more than its quota', () => {
    expect(search(mc, adjustIgnoresUse, overQuota(mc)).found).toBe('set vm1 holds 1 > quota 0');
  });

  it('differs from every 2026 design on its configuration; on seed-small (no sets, a system quota as large as the capacity) it is upstream', () => {
    for (const name of DESIGNS_2026) expect(diff(mc, BUILTIN_VARIANTS[name], ioasid2020).status, name).toBe('different');
    const d = diff(mc, BUILTIN_VARIANTS.upstream, ioasid2020);
    expect(d.difference).toMatchObject({ a: '3', b: 'INVALID' });        // alloc_global beyond the system set's quota of 2
    expect(diff(loadBundledConfig('seed-small'), BUILTIN_VARIANTS.upstream, ioasid2020).status).toBe('equivalent');
  });
});

describe('ioasid-2020: contract and setups', () => {
  const setup = { devices: [{ name: 'nic', ssidBits: 8 }], mms: ['A'], ioasid: { capacity: 8, systemQuota: 4, sets: [{ name: 'vm1', quota: 2 }] } };

  it("free_global of a set's IOASID breaks the contract (C8); ioasid_free_set frees it", () => {
    const d = new SpecDriver(setup, ioasid2020);
    expect(d.apply({ op: 'ioasid_alloc', set: 'vm1', dev: 'nic' }).result).toEqual(R.pasid(1));
    expect(d.breach({ op: 'free_global', pasid: 1 })).toMatchObject({ rule: 'C8' });
    expect(d.apply({ op: 'ioasid_free_set', set: 'vm1' }).rule).toBe('Q3');
    expect(d.state.ida).toEqual([]);
  });

  it('quotas beyond the capacity, and unknown sets, are refused with a location', () => {
    expect(() => new SpecDriver({ ...setup, ioasid: { capacity: 4, systemQuota: 4, sets: [{ name: 'vm1', quota: 1 }] } }, ioasid2020))
      .toThrow('ioasid: the quotas (5 in all, system set included) exceed the capacity 4');
    const r = parseLitmus('name: x\ndevices:\n  nic: { ssid_bits: 8 }\nioasid: { sets: { vm1: 1 } }\nsteps:\n  - ioasid_alloc: { set: vm9, dev: nic }\n', 'x.litmus.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ line: 6, reason: "ioasid_alloc: unknown IOASID set 'vm9' (sets under ioasid: vm1)" });
    expect(() => parseConfig('name: c\ndevices:\n  nic: { ssid_bits: 2 }\nioasid: { quota: 3 }\n', 'c.yaml')).toThrow(/c\.yaml:4.*unknown key 'quota'/);
  });
});
