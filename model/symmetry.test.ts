// Symmetry reduction is sound and exact: on small configurations the reachable states without
// it, each mapped to its canonical form, are exactly the states found with it.
import { describe, expect, it } from 'vitest';
import { variantByName } from '../spec/index.ts';
import { loadBundledConfig, type ModelConfig } from './config.ts';
import { explore } from './explore.ts';
import { buildSpace, decode, encode } from './space.ts';

function reachable(mc: ModelConfig, variant: string, symmetry: boolean): { keys: Set<string>; count: number } {
  const v = variantByName(variant)!;
  const sym = buildSpace(mc, [v], { symmetry: true });
  const space = buildSpace(mc, [v], { symmetry });
  const ex = explore(space, [v], {});
  const keys = new Set<string>();
  const buf = new Uint32Array(sym.words);
  for (let i = 0; i < ex.store.size; i++) {
    const st = decode(space, ex.store.get(i), 0);
    encode(sym, [st], buf);
    keys.add(buf.join(','));
  }
  return { keys, count: ex.store.size };
}

describe('symmetry reduction', () => {
  // twins has two interchangeable devices and two processes (group order 2! x 2! = 4);
  // seed-small has two processes only. Bounds are trimmed so the unreduced run stays quick.
  const cases: [string, string, Partial<ModelConfig['bounds']>][] = [
    ['twins', 'v2', {}],
    ['twins', 'per-device', {}],
    ['twins', 'upstream', {}],
    ['seed-small', 'v1', { depth: 6 }],
  ];
  it.each(cases)('%s / %s: canonical images of all reachable states = states found with symmetry', (name, variant, bounds) => {
    const base = loadBundledConfig(name);
    const mc = { ...base, bounds: { ...base.bounds, ...bounds } };
    const full = reachable(mc, variant, false);
    const reduced = reachable(mc, variant, true);
    expect(reduced.keys.size).toBe(reduced.count);                     // stored states are canonical
    expect([...full.keys].sort()).toEqual([...reduced.keys].sort());
    const order = buildSpace(mc, [variantByName(variant)!]).symmetryOrder;
    const factor = full.count / reduced.count;
    expect(factor).toBeGreaterThan(1.5);                                // it pays
    expect(factor).toBeLessThanOrEqual(order);
  });

  it('canonical form is invariant under renaming processes and swapping identical devices', () => {
    const mc = loadBundledConfig('twins');
    const v = variantByName('v2')!;
    const space = buildSpace(mc, [v]);
    const plain = buildSpace(mc, [v], { symmetry: false });
    const ex = explore(plain, [v], {});
    const a = new Uint32Array(space.words), b = new Uint32Array(space.words);
    let checked = 0;
    for (let i = 0; i < ex.store.size; i += 7) {
      const st = decode(plain, ex.store.get(i), 0);
      // Swap mms 0 and 1 and devices dsp0/dsp1 (groups 0 and 1) by hand.
      const swapMm = (m: number) => (m === 0 ? 1 : m === 1 ? 0 : m);
      const swapDev = (d: number) => (d === 0 ? 1 : d === 1 ? 0 : d);
      const perm = {
        ...st,
        mms: [st.mms[1], st.mms[0]],
        slots: [st.slots[1], st.slots[0], st.slots[2]].map((g) => new Map([...g].map(([p, s]) =>
          [p, s.kind === 'sva' ? { ...s, mm: swapMm(s.mm), dev: swapDev(s.dev) } : { ...s, dev: swapDev(s.dev) }]))),
      };
      encode(space, [st], a);
      encode(space, [perm], b);
      expect([...b]).toEqual([...a]);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
