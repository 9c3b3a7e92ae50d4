/**
 * The built-in adapter's observeUnlessSame shortcut: asked again with the very observation
 * it last matched, it skips the DMAs only while no CD was written and the DMAs are the
 * emulated hardware's own walk. Each test changes one thing the shortcut must notice.
 */
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, R, type DmaProbe, type Observation, type Result } from '../vocab/index.ts';
import { createBuiltinAdapter, createImpl } from './adapter.ts';
import type { IommuSvaCore } from './core.ts';
import { ArmSmmuMaster, ArmSmmuV3 } from './smmuv3/index.ts';

const probes: DmaProbe[] = SEED_SETUP.devices.flatMap((d) => [0, 1, 2, 3].map((pasid) => ({ dev: d.name, pasid })));

/** The adapter configured on the seed's setup, bound once, with its observation as the expected one. */
function bound() {
  let core: IommuSvaCore | null = null;
  // A patch that only keeps the instance: it overrides no DMA, so the shortcut stays on.
  const adapter = createBuiltinAdapter({ patch: (base) => class extends base { constructor(...args: ConstructorParameters<typeof base>) { super(...args); core = this; } } });
  adapter.configure(SEED_SETUP, 'v2');
  expect((adapter.apply({ op: 'bind', dev: SEED_SETUP.devices[0].name, mm: SEED_SETUP.mms[0], as: 'h' }) as Result).kind).toBe('pasid');
  const expected = adapter.observe(probes) as Observation;
  expect(adapter.observeUnlessSame(probes, expected)).toBeNull();
  return { adapter, expected, core: core! as IommuSvaCore };
}

describe('observesAs tells apart what only the global PASIDs tell apart', () => {
  it('the same count of other ids, ids out of order, one id twice: each differs', () => {
    const adapter = createBuiltinAdapter();
    adapter.configure(SEED_SETUP, 'v2');
    const dev = SEED_SETUP.devices[0].name;
    for (let i = 0; i < 2; i++) adapter.apply({ op: 'alloc_global', dev });
    const whole = adapter.observe(probes) as Observation;
    expect(whole.globalPasids).toEqual([1, 2]);
    expect(adapter.observeUnlessSame(probes, whole)).toBeNull();
    for (const ids of [[1, 3], [2, 1], [1, 1], [1], [1, 2, 3]]) expect(adapter.observeUnlessSame(probes, { ...whole, globalPasids: ids }), String(ids)).not.toBeNull();
  });
});

describe('observeUnlessSame asked again with the observation it last matched', () => {
  it('answers null again when nothing changed', () => {
    const { adapter, expected } = bound();
    expect(adapter.observeUnlessSame(probes, expected)).toBeNull();
  });

  it('notices a CD written since, although the bonds, mms and ids are unchanged', () => {
    const { adapter, expected, core: k } = bound();
    // Reach into the emulated hardware: zero the bound PASID's CD behind the kernel's back.
    const pasid = (expected.bonds[0] ?? { pasid: -1 }).pasid;
    const dev = k.devices.find((d) => d.name === expected.bonds[0].dev)!;
    dev.master!.ste.cdTable.write(pasid, null);
    const answer = adapter.observeUnlessSame(probes, expected);
    expect(answer).not.toBeNull();
    expect(answer!.dma.find((d) => d.dev === dev.name && d.pasid === pasid)!.result.kind).toBe('fault');
  });

  it('keeps asking every DMA of an implementation whose DMA is not the hardware walk', () => {
    let answer: 'walk' | 'fault' = 'walk';
    const adapter = createBuiltinAdapter({
      patch: (base) => class extends base {
        override dma(dev: string, pasid: number) { return answer === 'walk' ? super.dma(dev, pasid) : R.fault(); }
      },
    });
    adapter.configure(SEED_SETUP, 'v2');
    adapter.apply({ op: 'bind', dev: SEED_SETUP.devices[0].name, mm: SEED_SETUP.mms[0], as: 'h' });
    const expected = adapter.observe(probes) as Observation;
    expect(adapter.observeUnlessSame(probes, expected)).toBeNull();
    answer = 'fault';                                                   // no CD written: only the override changed its mind
    expect(adapter.observeUnlessSame(probes, expected)).not.toBeNull();
  });

  it('the STE, the master and the device cannot be changed in place, nor a CD written', () => {
    const k = createImpl(SEED_SETUP, 'v2');
    const dev = k.devices[0], master = dev.master as ArmSmmuMaster;
    expect(() => { (dev as { master: unknown }).master = null; }).toThrow(TypeError);
    expect(() => { (master as { ste: unknown }).ste = null; }).toThrow(TypeError);
    expect(() => { (master.ste as { s1cdmax: number }).s1cdmax = 0; }).toThrow(TypeError);
    const cd = master.ste.cdTable.read(0)!;
    expect(() => { (cd as { kind: string }).kind = 'sva'; }).toThrow(TypeError);
    expect(master.smmu).toBeInstanceOf(ArmSmmuV3);
  });
});

