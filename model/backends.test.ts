// spec/ runs on two backends of its state interface (spec/world.ts): the object states of
// spec/objectWorld.ts and the flat states of flatWorld.ts. The verify engine runs both in
// lockstep; these tests hold them to each other on every reachable state of the bundled
// configurations (enabledness, result, rules, successor), and show a divergence is caught.
import { describe, expect, it, vi } from 'vitest';
import { initialState, variantByName } from '../spec/index.ts';
import { check } from './check.ts';
import { bundledConfigNames, loadBundledConfig, loadConfigFile, loadManifest } from './config.ts';
import { diff } from './diff.ts';
import { DivergenceError, FlatEngine } from './engine.ts';
import { FlatWorld } from './flatWorld.ts';
import { Packer, buildSpace, toFlat } from './space.ts';
import { StateStore } from './store.ts';

const manifest = loadManifest().configs;

describe('verify engine: the flat and the object backend agree on every transition', () => {
  const cases = bundledConfigNames().flatMap((name) => loadBundledConfig(name).variants.map((v) => [name, v] as const));
  it.each(cases)('%s / %s, exhaustively', (name, variant) => {
    const r = check(loadBundledConfig(name), variant, { engine: 'verify', continue: true });
    expect(r.engine).toBe('verify');
    expect(r.status).toBe('done');
    expect(r.stats.distinct).toBe(manifest[name][variant]!.distinct);
  });

  it.each(['v2', 'per-device'] as const)('large benchmark configuration / %s, its first 4000 states (two SMMUs, a shared group, attaches)', (variant) => {
    const large = loadConfigFile(new URL('../bench/configs/large.yaml', import.meta.url).pathname);
    const r = check(large, variant, { engine: 'verify', continue: true, maxStates: 4000 });
    expect(r.stats.distinct).toBe(4000);
    expect(Object.keys(r.coverage.ops)).toEqual(expect.arrayContaining(['attach_pasid', 'detach_pasid', 'alloc_global', 'free_global', 'dma', 'get_pasid']));
  });

  it('diff over pairs of states: the same shortest difference on either backend', () => {
    const seed = loadBundledConfig('seed-small');
    for (const [a, b] of [['v2', 'upstream'], ['v2', 'per-device'], ['v1', 'v2']] as const) {
      const fast = diff(seed, a, b, { engine: 'verify' });
      const slow = diff(seed, a, b, { engine: 'object' });
      expect(fast.status).toBe('different');
      expect(fast.difference!.litmus).toBe(slow.difference!.litmus);
      expect(fast.stats.transitions).toBe(slow.stats.transitions);
    }
  });

  it('stops at the first divergence: a flat backend whose mm_exit write is lost is caught', () => {
    const original = FlatWorld.prototype.setStatus;
    const spy = vi.spyOn(FlatWorld.prototype, 'setStatus').mockImplementation(function (this: FlatWorld, mm, status) {
      if (status !== 'exited') original.call(this, mm, status);
    });
    try {
      expect(() => check(loadBundledConfig('twins'), 'v2', { engine: 'verify' })).toThrow(DivergenceError);
      expect(() => check(loadBundledConfig('twins'), 'v2', { engine: 'verify' })).toThrow(/mm_exit/);
    } finally {
      spy.mockRestore();
    }
    expect(check(loadBundledConfig('twins'), 'v2', { engine: 'flat' }).stats.distinct).toBe(manifest.twins.v2!.distinct);
  });
});

describe('incremental packing: a successor packed from its parent\'s words equals its full packing', () => {
  it.each(bundledConfigNames().flatMap((name) => loadBundledConfig(name).variants.map((v) => [name, v] as const)))('%s / %s, every successor of every reachable state (symmetry off)', (name, variant) => {
    const v = variantByName(variant)!;
    const space = buildSpace(loadBundledConfig(name), [v], { symmetry: false });
    const engine = new FlatEngine(space, [v]), packer = new Packer(space), store = new StateStore(space.words);
    const init = new Int32Array(space.layout.n), whole = new Uint32Array(space.words), part = new Uint32Array(space.words);
    toFlat(space, initialState(space.cfg), init, 0);
    packer.pack(init, whole);
    store.add(whole, -1);
    let compared = 0, differing = 0, refused = 0, first = '';
    for (let i = 0; i < store.size; i++) {
      const words = store.get(i);
      engine.load(words, 0);
      for (let t = 0; t < space.templates.length; t++) {
        if (!engine.fire(t) || !engine.changed()) continue;
        engine.settle();
        if (engine.cut()) continue;
        packer.pack(engine.after, whole);
        if (!engine.repack(packer, words, part)) refused++;
        else if (part.some((x, j) => x !== whole[j])) { differing++; first ||= `${JSON.stringify(space.templates[t])} from state ${i}`; }
        compared++;
        store.add(whole, i);
      }
    }
    expect({ differing, refused, first }).toEqual({ differing: 0, refused: 0, first: '' });
    expect(store.size).toBe(check(loadBundledConfig(name), variant, { symmetry: false, continue: true }).stats.distinct);
    expect(compared).toBeGreaterThan(100);
  });
});
