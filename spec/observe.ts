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
export function defaultProbes(cfg: Config, pasidsInUse: Iterable<number>): DmaProbe[] {
  // The PASIDs above 8 in use, ascending and once each (0..8 are probed on every device anyway).
  const high: number[] = [];
  for (const p of pasidsInUse) if (p > 8) high.push(p);
  high.sort((a, b) => a - b);
  const probes: DmaProbe[] = [];
  for (let dev = 0; dev < cfg.devices.length; dev++) {
    const name = cfg.devices[dev].name, max = maxPasidsOf(cfg, dev);
    for (let p = 0; p <= Math.min(max, 8); p++) probes.push({ dev: name, pasid: p });
    for (let i = 0; i < high.length && high[i] <= max; i++) if (i === 0 || high[i] !== high[i - 1]) probes.push({ dev: name, pasid: high[i] });
  }
  return probes;
}

export function pasidsInUse(st: State): number[] {
  const out = st.ida.concat(st.kernelHeld);
  for (const g of st.slots) {
    if (g instanceof SlotMap) for (const p of g.pasids()) out.push(p);   // the map's own list: no iterator per slot
    else for (const p of g.keys()) out.push(p);
  }
  for (const m of st.mms) if (m.data) out.push(m.data.pasid);
  return out;
}

/** Device names to indices, once per configuration. */
const deviceIndexOf = new WeakMap<Config, ReadonlyMap<string, number>>();
/** A probe list's DMAs as spec operations, once per list (the runner asks the same list of many states). */
const dmaOpsOf = new WeakMap<readonly DmaProbe[], readonly SpecOp[]>();
/** One world answers every probe of every observation (a DMA only reads; observations never nest). */
let reader: ObjectWorld | null = null;

function dmaOps(cfg: Config, probes: readonly DmaProbe[]): readonly SpecOp[] {
  let ops = dmaOpsOf.get(probes);
  if (ops === undefined) {
    let devIndex = deviceIndexOf.get(cfg);
    if (devIndex === undefined) deviceIndexOf.set(cfg, devIndex = new Map(cfg.devices.map((d, i) => [d.name, i])));
    const index = devIndex;
    ops = probes.map((p): SpecOp => ({ op: 'dma', dev: index.get(p.dev)!, pasid: p.pasid }));
    dmaOpsOf.set(probes, ops);
  }
  return ops;
}

/**
 * What a DMA reads (ops.ts dma, the only action of the 'dma' operation: no variant states it
 * itself): the configuration, the slot at (the device's group, PASID), and the status of that
 * slot's mm. observe.test.ts holds every variant's DMA to these reads. So where a group's
 * slot map is the same object in two states (states are values: a step that writes a group
 * makes a new map) and each mm bound in it has the same status, every DMA of the group's
 * devices answers alike in both.
 */
function dmaAsBefore(cfg: Config, st: State, before: State, dev: number): boolean {
  const group = groupOfDev(cfg, dev);
  if (group === null) return true;                                       // behind no IOMMU: the configuration alone
  const slots = st.slots[group];
  if (slots !== before.slots[group]) return false;
  for (const slot of slots.values()) if (slot.kind === 'sva' && st.mms[slot.mm].status !== before.mms[slot.mm].status) return false;
  return true;
}

/**
 * The spec's observation of st. With `previous` (the observation of an earlier state, asked
 * with the same probe list), the DMA answers of a device whose inputs are unchanged
 * (dmaAsBefore) are taken from it, the very same objects, instead of asked again.
 */
export function observeSpec(v: Variant, cfg: Config, st: State, probes?: readonly DmaProbe[],
  previous?: { readonly st: State; readonly probes: readonly DmaProbe[]; readonly obs: Observation }): Observation {
  const bonds: { dev: string; pasid: number; mm: string; users: number }[] = [];
  const attaches: { dev: string; pasid: number }[] = [];
  st.slots.forEach((g) => {
    for (const [pasid, slot] of g) {
      if (slot.kind === 'sva') bonds.push({ dev: cfg.devices[slot.dev].name, pasid, mm: cfg.mms[slot.mm], users: slot.users });
      else attaches.push({ dev: cfg.devices[slot.dev].name, pasid });
    }
  });
  const asked = probes ?? defaultProbes(cfg, pasidsInUse(st));
  const ops = dmaOps(cfg, asked);
  const w = reader = reader === null ? new ObjectWorld(cfg, st) : reader.start(cfg, st);
  const dma = new Array<Observation['dma'][number]>(asked.length);
  const reuse = previous !== undefined && previous.probes === asked ? previous : null;
  let dev = -1, same = false;
  for (let i = 0; i < asked.length; i++) {
    const op = ops[i] as Extract<SpecOp, { op: 'dma' }>;
    if (op.dev !== dev) { dev = op.dev; same = reuse !== null && dmaAsBefore(cfg, st, reuse.st, dev); }
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
