/** The spec's state seen through the observation every implementation gives (vocab Observation). */
import type { DmaProbe, Observation } from '../vocab/index.ts';
import { ObjectWorld } from './objectWorld.ts';
import { SlotMap } from './slotMap.ts';
import { act } from './ops.ts';
import type { Config, State } from './state.ts';
import { groupOfDev, maxPasidsOf } from './world.ts';
import type { SpecOp, Variant } from './step.ts';

/**
 * The DMA probes worth asking in a state: per device PASIDs 0..min(max, 8), the device's
 * first out-of-range PASID, and every PASID some slot, the allocator or a holder uses.
 */
/** defaultProbes asks PASIDs 0..ALWAYS_PROBED of every device (as far as it has them), in use or not. */
export const ALWAYS_PROBED = 8;

export function defaultProbes(cfg: Config, pasidsInUse: Iterable<number>): DmaProbe[] {
  // The PASIDs above 8 in use, ascending and once each (0..8 are probed on every device anyway).
  const high: number[] = [];
  for (const p of pasidsInUse) if (p > ALWAYS_PROBED) high.push(p);
  high.sort((a, b) => a - b);
  const probes: DmaProbe[] = [];
  for (let dev = 0; dev < cfg.devices.length; dev++) {
    const name = cfg.devices[dev].name, max = maxPasidsOf(cfg, dev);
    for (let p = 0; p <= Math.min(max, ALWAYS_PROBED); p++) probes.push({ dev: name, pasid: p });
    for (let i = 0; i < high.length && high[i] <= max; i++) if (i === 0 || high[i] !== high[i - 1]) probes.push({ dev: name, pasid: high[i] });
  }
  return probes;
}

/** Each PASID some slot, the allocator, a holder or an mm's data uses (some more than once). */
export function forEachPasidInUse(st: State, fn: (pasid: number) => void): void {
  for (const p of st.ida) fn(p);
  for (const p of st.kernelHeld) fn(p);
  for (const g of st.slots) {
    if (g instanceof SlotMap) for (const p of g.pasids()) fn(p);          // the map's own list: no iterator per slot
    else for (const p of g.keys()) fn(p);
  }
  for (const m of st.mms) if (m.data) fn(m.data.pasid);
}

export function pasidsInUse(st: State): number[] {
  const out: number[] = [];
  forEachPasidInUse(st, (p) => out.push(p));
  return out;
}

/** A probe list's DMAs as spec operations (devices by index). */
export function dmaOps(cfg: Config, probes: readonly DmaProbe[]): SpecOp[] {
  const index = new Map(cfg.devices.map((d, i) => [d.name, i]));
  return probes.map((p): SpecOp => ({ op: 'dma', dev: index.get(p.dev)!, pasid: p.pasid }));
}

/** An earlier observation whose DMA answers observeSpec may take (see there). */
export interface EarlierObservation { readonly st: State; readonly probes: readonly DmaProbe[]; readonly obs: Observation }

/**
 * The spec's observation of st. With `previous` (the observation of an earlier state, asked
 * with the same probe list), the DMA answers of a device whose inputs are unchanged are taken
 * from it, the very same objects, instead of asked again. What a DMA reads (ops.ts dma, the
 * only action of the 'dma' operation: no variant states it itself) is the configuration, the
 * slot at (the device's group, PASID), and the status of that slot's mm; observe.test.ts
 * holds every variant's DMA to these reads. So where a group's slot map is the same object
 * in both states (states are values: a step that writes a group makes a new map) and each mm
 * bound in it has the same status, every DMA of the group's devices answers alike in both.
 * `on`: a world to restart and the probes' DMAs already lowered (SpecDriver.observe keeps both).
 */
export function observeSpec(v: Variant, cfg: Config, st: State, probes?: readonly DmaProbe[], previous?: EarlierObservation,
  on?: { readonly world: ObjectWorld; readonly ops: readonly SpecOp[] }): Observation {
  const asked = probes ?? defaultProbes(cfg, pasidsInUse(st));
  const reuse = previous !== undefined && previous.probes === asked ? previous : null;
  const before = reuse?.st;
  /** Per group, with `reuse`: whether its DMAs read what they read in `before` (see above). */
  const unchanged: boolean[] = [];
  const bonds: { dev: string; pasid: number; mm: string; users: number }[] = [];
  const attaches: { dev: string; pasid: number }[] = [];
  for (let group = 0; group < st.slots.length; group++) {
    const g = st.slots[group];
    let same = before !== undefined && g === before.slots[group];
    g.forEach((slot, pasid) => {
      if (slot.kind === 'sva') {
        bonds.push({ dev: cfg.devices[slot.dev].name, pasid, mm: cfg.mms[slot.mm], users: slot.users });
        if (same && st.mms[slot.mm].status !== before!.mms[slot.mm].status) same = false;
      } else attaches.push({ dev: cfg.devices[slot.dev].name, pasid });
    });
    unchanged.push(same);
  }
  const ops = on?.ops ?? dmaOps(cfg, asked);
  const w = on === undefined ? new ObjectWorld(cfg, st) : on.world.start(cfg, st);   // a DMA only reads: one world answers every probe
  const dma = new Array<Observation['dma'][number]>(asked.length);
  let dev = -1, same = false;
  for (let i = 0; i < asked.length; i++) {
    const op = ops[i] as Extract<SpecOp, { op: 'dma' }>;
    if (op.dev !== dev) {
      dev = op.dev;
      const group = groupOfDev(cfg, dev);
      same = reuse !== null && (group === null || unchanged[group]);    // behind no IOMMU: the configuration alone
    }
    if (same) { dma[i] = reuse!.obs.dma[i]; continue; }
    w.effects = undefined;
    act(v, w, op);
    dma[i] = { dev: asked[i].dev, pasid: asked[i].pasid, result: w.result };
  }
  const mms = new Array<Observation['mms'][number]>(st.mms.length);
  for (let i = 0; i < st.mms.length; i++) {
    const m = st.mms[i], domains: { iommu: string; users: number }[] = [];
    for (let iommu = 0; iommu < m.domains.length; iommu++) if (m.domains[iommu] > 0) domains.push({ iommu: cfg.iommus[iommu].name, users: m.domains[iommu] });
    mms[i] = { mm: cfg.mms[i], state: m.status, pasid: m.data?.pasid ?? null, global: m.data ? m.data.global : null, domains };
  }
  return { bonds, attaches, mms, globalPasids: [...st.ida], dma };
}
