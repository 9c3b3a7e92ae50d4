/**
 * The observation backend of the state reads (world.ts): an implementation's report (vocab
 * Observation: names, not indices) and the caller's ghost state (the ids alloc_global returned
 * and not yet freed), read as a spec state, so the state invariants (invariants.ts), written
 * once against `Reads`, judge an implementation as they judge the spec.
 *
 * What the report cannot say, and how it reads:
 * - Two owners listed at one slot (group, PASID): the first bond listed holds it, else the
 *   first attach; the observation invariant noTwoOwnersShareADeviceSlot reports the others.
 * - An attach reads as a bare non-SVA domain ('kernel'): the report does not say whether it
 *   came with an attach handle, and no invariant asks.
 * - Two SVA domains of one mm behind one IOMMU (N6): their users are summed.
 * - An mm of the setup it does not list: as the mm starts, live with no PASID and no SVA
 *   domain (the report is compared with the spec's, which lists every mm, elsewhere).
 * - ASIDs: not reported; `asid` and `asidUsed` throw, as no invariant needs one.
 * A report that names what the setup does not have — an unknown device, mm or IOMMU, a bond
 * or attach on a device behind no IOMMU (it has no group) — is malformed: the constructor
 * throws a TypeError saying which.
 */
import type { Observation } from '../vocab/index.ts';
import type { Config } from './state.ts';
import { NONE, scanFirstUnallocated, scanSvaPasids, type MmStatus, type Reads, type SlotKind } from './world.ts';

interface ObservedSlot { readonly kind: SlotKind; readonly mm: number; readonly dev: number; readonly users: number }
interface ObservedMm { readonly status: MmStatus; readonly pasid: number; readonly global: boolean; readonly domains: readonly number[] }

/** Name → index lookups of a configuration, built once per configuration. */
interface Names { readonly devices: ReadonlyMap<string, number>; readonly mms: ReadonlyMap<string, number>; readonly iommus: ReadonlyMap<string, number> }
const namesOf = new WeakMap<Config, Names>();
function names(cfg: Config): Names {
  let n = namesOf.get(cfg);
  if (n === undefined) {
    n = {
      devices: new Map(cfg.devices.map((d, i) => [d.name, i])),
      mms: new Map(cfg.mms.map((m, i) => [m, i])),
      iommus: new Map(cfg.iommus.map((x, i) => [x.name, i])),
    };
    namesOf.set(cfg, n);
  }
  return n;
}

export class ObservationReads implements Reads {
  private readonly mms: readonly ObservedMm[];
  private readonly slots: readonly Map<number, ObservedSlot>[];
  private readonly pasidsOf: readonly (readonly number[])[];
  private readonly ida: ReadonlySet<number>;
  private readonly holders: ReadonlySet<number>;
  private readonly ids: readonly number[];

  constructor(readonly cfg: Config, obs: Observation, private readonly kernelHeld: readonly number[]) {
    const n = names(cfg);
    const mmIndex = (mm: string, what: string): number => {
      const i = n.mms.get(mm);
      if (i === undefined) throw new TypeError(`${what} unknown mm '${mm}'`);
      return i;
    };
    const groupOf = (dev: string, what: string): { dev: number; group: number } => {
      const d = n.devices.get(dev);
      if (d === undefined) throw new TypeError(`unknown device '${dev}'`);
      if (cfg.devices[d].iommu === null) throw new TypeError(`${what} on ${dev}, which sits behind no IOMMU`);
      return { dev: d, group: cfg.devices[d].group };
    };

    const mms: (ObservedMm | undefined)[] = cfg.mms.map(() => undefined);
    for (const m of obs.mms) {
      const i = mmIndex(m.mm, 'an observation of');
      if (mms[i] !== undefined) continue;                                // the first listed, as a lookup by name finds
      const domains = cfg.iommus.map(() => 0);
      for (const d of m.domains) {
        const j = n.iommus.get(d.iommu);
        if (j === undefined) throw new TypeError(`mm ${m.mm} has an SVA domain on unknown IOMMU '${d.iommu}'`);
        domains[j] += d.users;
      }
      mms[i] = { status: m.state, pasid: m.pasid ?? NONE, global: m.pasid !== null && m.global === true, domains };
    }
    this.mms = mms.map((m) => m ?? { status: 'live', pasid: NONE, global: false, domains: cfg.iommus.map(() => 0) });

    const slots = cfg.groups.map(() => new Map<number, ObservedSlot>());
    for (const b of obs.bonds) {
      const at = groupOf(b.dev, 'a bond');
      const mm = mmIndex(b.mm, 'a bond of');
      if (!slots[at.group].has(b.pasid)) slots[at.group].set(b.pasid, { kind: 'sva', mm, dev: at.dev, users: b.users });
    }
    for (const a of obs.attaches) {
      const at = groupOf(a.dev, 'an attach');
      if (!slots[at.group].has(a.pasid)) slots[at.group].set(a.pasid, { kind: 'kernel', mm: NONE, dev: at.dev, users: 0 });
    }
    this.slots = slots;
    this.pasidsOf = slots.map((m) => [...m.keys()].sort((a, b) => a - b));
    this.ida = new Set(obs.globalPasids);
    this.holders = new Set(kernelHeld);
    this.ids = [...new Set([...obs.globalPasids, ...kernelHeld])].sort((a, b) => a - b);
  }

  status(mm: number): MmStatus { return this.mms[mm].status; }
  pasid(mm: number): number { return this.mms[mm].pasid; }
  isGlobal(mm: number): boolean { return this.mms[mm].global; }
  domainUsers(mm: number, iommu: number): number { return this.mms[mm].domains[iommu]; }
  asid(): number { throw new Error('an observation reports no ASIDs'); }
  asidUsed(): boolean { throw new Error('an observation reports no ASIDs'); }
  slotKind(group: number, pasid: number): SlotKind { return this.slots[group].get(pasid)?.kind ?? 'empty'; }
  slotDev(group: number, pasid: number): number { return this.slots[group].get(pasid)!.dev; }
  slotMm(group: number, pasid: number): number { return this.slots[group].get(pasid)!.mm; }
  slotUsers(group: number, pasid: number): number { return this.slots[group].get(pasid)!.users; }
  slotPasids(group: number): readonly number[] { return this.pasidsOf[group]; }
  svaPasids(group: number, mm: number): readonly number[] { return scanSvaPasids(this, group, mm); }
  allocated(pasid: number): boolean { return this.ida.has(pasid); }
  firstUnallocated(from: number): number { return scanFirstUnallocated(this, from); }
  idaPasids(): readonly number[] { return this.ids; }
  held(pasid: number): boolean { return this.holders.has(pasid); }
  heldCount(): number { return this.kernelHeld.length; }
  /** An observation carries no IOASID sets (ioasid-2020 is spec-only): the setup's quotas, nothing held. */
  setQuota(set: number): number { return this.cfg.ioasid.sets[set].quota; }
  setHolds(): boolean { return false; }
}
