/** The spec's state seen through the observation every implementation gives (vocab Observation). */
import type { DmaProbe, Observation } from '../vocab/index.ts';
import { ObjectWorld } from './objectWorld.ts';
import { act } from './ops.ts';
import type { Config, State } from './state.ts';
import { maxPasidsOf } from './world.ts';
import type { Variant } from './step.ts';

/**
 * The DMA probes worth asking in a state: per device PASIDs 0..min(max, 8), the device's
 * first out-of-range PASID, and every PASID some slot, the allocator or a holder uses.
 */
export function defaultProbes(cfg: Config, pasidsInUse: Iterable<number>): DmaProbe[] {
  const used = [...new Set(pasidsInUse)];
  const probes: DmaProbe[] = [];
  cfg.devices.forEach((d, dev) => {
    const max = maxPasidsOf(cfg, dev);
    const set = new Set<number>();
    for (let p = 0; p <= Math.min(max, 8); p++) set.add(p);
    for (const p of used) if (p <= max) set.add(p);
    for (const p of [...set].sort((a, b) => a - b)) probes.push({ dev: d.name, pasid: p });
  });
  return probes;
}

export function pasidsInUse(st: State): number[] {
  const out = [...st.ida, ...st.kernelHeld];
  for (const g of st.slots) for (const p of g.keys()) out.push(p);
  for (const m of st.mms) if (m.data) out.push(m.data.pasid);
  return out;
}

export function observeSpec(v: Variant, cfg: Config, st: State, probes?: readonly DmaProbe[]): Observation {
  const bonds: { dev: string; pasid: number; mm: string; users: number }[] = [];
  const attaches: { dev: string; pasid: number }[] = [];
  st.slots.forEach((g) => {
    for (const [pasid, slot] of g) {
      if (slot.kind === 'sva') bonds.push({ dev: cfg.devices[slot.dev].name, pasid, mm: cfg.mms[slot.mm], users: slot.users });
      else attaches.push({ dev: cfg.devices[slot.dev].name, pasid });
    }
  });
  const devIndex = new Map(cfg.devices.map((d, i) => [d.name, i]));
  const w = new ObjectWorld(cfg, st);                                    // a DMA only reads: one world answers every probe
  const dma = (dev: number, pasid: number) => { w.effects = undefined; act(v, w, { op: 'dma', dev, pasid }); return w.result; };
  return {
    bonds,
    attaches,
    mms: st.mms.map((m, i) => ({
      mm: cfg.mms[i],
      state: m.status,
      pasid: m.data?.pasid ?? null,
      global: m.data ? m.data.global : null,
      domains: m.domains.flatMap((users, iommu) => (users > 0 ? [{ iommu: cfg.iommus[iommu].name, users }] : [])),
    })),
    globalPasids: [...st.ida],
    dma: (probes ?? defaultProbes(cfg, pasidsInUse(st))).map((p) => ({
      dev: p.dev, pasid: p.pasid,
      result: dma(devIndex.get(p.dev)!, p.pasid),
    })),
  };
}
