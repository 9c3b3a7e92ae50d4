/**
 * Invariants: named sentences about a bad state that never occurs. Each looks at an
 * observation (the spec's own, or an implementation's) and returns a reason, or null.
 * They live in one ordered list; each has the rule id it protects.
 */
import type { RuleId } from './rules.ts';
import type { Variant } from './step.ts';
import { formatResult, type Observation, type VariantName } from '../vocab/index.ts';
import type { ResolvedSetup } from '../vocab/setup.ts';

export interface InvariantContext {
  readonly cfg: ResolvedSetup;
  readonly variant: Variant;
  readonly obs: Observation;
  /** Ghost state from the caller's side: ids alloc_global returned and not yet freed. */
  readonly kernelHeld: readonly number[];
}

export interface Invariant {
  readonly name: string;
  readonly rule: RuleId;
  readonly statement: string;
  /** Whether it applies to a variant, asked of the variant itself; all when absent. */
  appliesTo?(v: Variant): boolean;
  check(ctx: InvariantContext): string | null;
}

/**
 * Per device name: its group (-1 behind no IOMMU), its PASID count and its IOMMU's name. Built
 * once per configuration (a lookup table, so the checks do not scan cfg.devices for every bond
 * and probe on every step); what the invariants say is unchanged.
 */
interface DeviceFacts { readonly group: number; readonly max: number; readonly iommu: string | null }
const facts = new WeakMap<ResolvedSetup, ReadonlyMap<string, DeviceFacts>>();
let lastCfg: ResolvedSetup | null = null;
let lastFacts: ReadonlyMap<string, DeviceFacts> | null = null;
function deviceFacts(cfg: ResolvedSetup): ReadonlyMap<string, DeviceFacts> {
  if (cfg === lastCfg) return lastFacts!;
  let m = facts.get(cfg);
  if (m === undefined) {
    m = new Map(cfg.devices.map((d): [string, DeviceFacts] => [d.name, {
      group: d.iommu !== null ? d.group : -1, max: d.iommu === null ? 0 : 2 ** d.ssidBits, iommu: d.iommu === null ? null : cfg.iommus[d.iommu].name,
    }]));
    facts.set(cfg, m);
  }
  lastCfg = cfg;
  lastFacts = m;
  return m;
}
const groupOfName = (cfg: ResolvedSetup, dev: string): number => deviceFacts(cfg).get(dev)?.group ?? -1;
/** A device the setup does not name throws (the observation is malformed), as the lookup always did. */
const known = (cfg: ResolvedSetup, dev: string): DeviceFacts => {
  const d = deviceFacts(cfg).get(dev);
  if (d === undefined) throw new TypeError(`unknown device '${dev}'`);
  return d;
};
const maxOf = (cfg: ResolvedSetup, dev: string): number => known(cfg, dev).max;
const liveMm = (ctx: InvariantContext, mm: string) => ctx.obs.mms.find((m) => m.mm === mm);

/** Every filled slot: SVA bonds and non-SVA attaches, keyed by group and PASID. */
function slotOwners(ctx: InvariantContext): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  const add = (dev: string, pasid: number, who: string) => {
    const key = `${groupOfName(ctx.cfg, dev)}:${pasid}`;
    const list = owners.get(key);
    if (list === undefined) owners.set(key, [who]); else list.push(who);
  };
  for (const b of ctx.obs.bonds) add(b.dev, b.pasid, `mm ${b.mm}`);
  for (const a of ctx.obs.attaches) add(a.dev, a.pasid, 'a kernel domain');
  return owners;
}

/** Whether two bonds or attaches name one slot (group, PASID): slotOwners' question, answered without its strings. */
function slotHeldTwice(ctx: InvariantContext): boolean {
  const seen = new Map<number, Set<number>>();
  for (const x of slotUsers(ctx.obs)) {
    const g = groupOfName(ctx.cfg, x.dev);
    let pasids = seen.get(g);
    if (pasids === undefined) seen.set(g, pasids = new Set());
    if (pasids.has(x.pasid)) return true;
    pasids.add(x.pasid);
  }
  return false;
}

/** Per group and PASID, the first bond listed there (what bonds.find would return). */
function firstBondBySlot(ctx: InvariantContext): Map<number, Map<number, Observation['bonds'][number]>> {
  const at = new Map<number, Map<number, Observation['bonds'][number]>>();
  for (const b of ctx.obs.bonds) {
    const g = groupOfName(ctx.cfg, b.dev);
    let pasids = at.get(g);
    if (pasids === undefined) at.set(g, pasids = new Map());
    if (!pasids.has(b.pasid)) pasids.set(b.pasid, b);
  }
  return at;
}

/** Per group and PASID, the mms bonded there. */
function bondMmsBySlot(ctx: InvariantContext): Map<number, Map<number, Set<string>>> {
  const at = new Map<number, Map<number, Set<string>>>();
  for (const b of ctx.obs.bonds) {
    const g = groupOfName(ctx.cfg, b.dev);
    let pasids = at.get(g);
    if (pasids === undefined) at.set(g, pasids = new Map());
    let mms = pasids.get(b.pasid);
    if (mms === undefined) pasids.set(b.pasid, mms = new Set());
    mms.add(b.mm);
  }
  return at;
}

/** globalPasidHasExactlyOneOwner's question, answered by counting: every held id has exactly one owner. */
function eachGlobalPasidOwnedOnce(ctx: InvariantContext): boolean {
  const owners = new Map<number, number>();
  for (const m of ctx.obs.mms) if (m.pasid !== null && m.global && m.state !== 'gone') owners.set(m.pasid, (owners.get(m.pasid) ?? 0) + 1);
  for (const p of ctx.kernelHeld) owners.set(p, (owners.get(p) ?? 0) + 1);
  for (const p of ctx.obs.globalPasids) if (owners.get(p) !== 1) return false;
  return true;
}

/** Bonds then attaches, each as (dev, pasid); no copy when there are no attaches. */
const slotUsers = (obs: Observation): readonly { readonly dev: string; readonly pasid: number }[] =>
  obs.attaches.length === 0 ? obs.bonds : [...obs.bonds, ...obs.attaches];

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'noTwoOwnersShareADeviceSlot', rule: 'B2',
    statement: 'No PASID slot of a group is held by two mms, or by an mm and a kernel domain.',
    check(ctx) {
      if (!slotHeldTwice(ctx)) return null;                              // the common case, without building the owner lists
      for (const [key, who] of slotOwners(ctx)) {
        if (who.length > 1) return `group slot ${key} is held by ${who.join(' and ')}`;
      }
      return null;
    },
  },
  {
    name: 'bondPasidInDeviceRange', rule: 'B1-range',
    statement: 'Every bond and attach sits at a PASID in 1..max_pasids-1 of every device of its group.',
    check(ctx) {
      for (const b of slotUsers(ctx.obs)) {
        const g = groupOfName(ctx.cfg, b.dev);
        if (b.pasid === 0) return `${b.dev} has something attached at PASID 0`;
        for (const d of ctx.cfg.groups[g]?.devices ?? []) {
          const dev = ctx.cfg.devices[d];
          if (b.pasid >= 2 ** dev.ssidBits) return `PASID ${b.pasid} attached in ${dev.name}'s group is beyond its ${2 ** dev.ssidBits} PASIDs`;
        }
      }
      return null;
    },
  },
  {
    name: 'dmaReachesOnlyBoundLiveMm', rule: 'M4',
    statement: 'A DMA reaches only an mm bound at that (device, PASID) that has not exited.',
    check(ctx) {
      let mmsAt: Map<number, Map<number, Set<string>>> | null = null;
      for (const d of ctx.obs.dma) {
        if (d.result.kind !== 'mm') continue;
        const who = d.result.mm;
        const g = groupOfName(ctx.cfg, d.dev);
        mmsAt ??= bondMmsBySlot(ctx);
        const bound = mmsAt.get(g)?.get(d.pasid)?.has(who) === true;      // some bond of `who` at (group, pasid)
        if (!bound) return `DMA by ${d.dev} at PASID ${d.pasid} reaches mm ${who}, which is not bound there`;
        if (d.pasid >= maxOf(ctx.cfg, d.dev)) return `DMA by ${d.dev} at PASID ${d.pasid} reaches mm ${who} beyond the CD table`;
        if (liveMm(ctx, who)?.state !== 'live') return `DMA by ${d.dev} at PASID ${d.pasid} reaches mm ${who}, which has exited`;
      }
      return null;
    },
  },
  {
    name: 'boundLiveMmIsReachable', rule: 'B1',
    statement: "A DMA at a live mm's bond reaches that mm; at an exited mm's bond it faults.",
    check(ctx) {
      const bondAt = firstBondBySlot(ctx);
      for (const d of ctx.obs.dma) {
        const dev = known(ctx.cfg, d.dev);
        if (d.pasid >= dev.max) continue;
        const b = bondAt.get(dev.group)?.get(d.pasid);                   // the first bond listed at (group, pasid)
        if (!b) continue;
        const live = liveMm(ctx, b.mm)?.state === 'live';
        const want = live ? b.mm : 'fault';
        if (formatResult(d.result) !== want) return `DMA by ${d.dev} at PASID ${d.pasid} gives ${formatResult(d.result)}, but mm ${b.mm} is bound there${live ? '' : ' and has exited'}`;
      }
      return null;
    },
  },
  {
    name: 'globalPasidHasExactlyOneOwner', rule: 'A3',
    statement: 'Every id the global allocator holds has exactly one owner: a global mm not yet gone, or an alloc_global holder.',
    check(ctx) {
      if (eachGlobalPasidOwnedOnce(ctx)) return null;                    // the common case, without building the owner lists
      const owners = new Map<number, string[]>();
      const own = (p: number, who: string) => owners.set(p, [...(owners.get(p) ?? []), who]);
      for (const m of ctx.obs.mms) if (m.pasid !== null && m.global && m.state !== 'gone') own(m.pasid, `mm ${m.mm}`);
      for (const p of ctx.kernelHeld) own(p, 'an alloc_global holder');
      for (const p of ctx.obs.globalPasids) {
        const who = owners.get(p) ?? [];
        if (who.length === 0) return `the global allocator holds PASID ${p}, which nobody owns (leaked)`;
        if (who.length > 1) return `global PASID ${p} is owned by ${who.join(' and ')}`;
      }
      return null;
    },
  },
  {
    name: 'localPasidNeverFreedGlobally', rule: 'V9',
    statement: "Every id an owner holds is still in the global allocator: no free (of a local PASID or another's id) took it back.",
    check(ctx) {
      const held = new Set(ctx.obs.globalPasids);
      for (const m of ctx.obs.mms)
        if (m.pasid !== null && m.global && m.state !== 'gone' && !held.has(m.pasid))
          return `mm ${m.mm} holds global PASID ${m.pasid}, but the global allocator has freed it`;
      for (const p of ctx.kernelHeld)
        if (!held.has(p)) return `an alloc_global holder owns PASID ${p}, but the global allocator has freed it`;
      return null;
    },
  },
  {
    name: 'enqcmdPasidIsGlobalAndMeansItsMm', rule: 'G2',
    statement: "A live mm's ENQCMD PASID is global, and on every group where the mm is bound that PASID is empty or the mm's own bond.",
    check(ctx) {
      for (const m of ctx.obs.mms) {
        if (m.state !== 'live' || m.pasid === null) continue;
        if (!m.global) continue;
        const p = m.pasid;
        const groups = new Set(ctx.obs.bonds.filter((b) => b.mm === m.mm).map((b) => groupOfName(ctx.cfg, b.dev)));
        for (const g of groups) {
          const other = ctx.obs.bonds.find((b) => b.pasid === p && groupOfName(ctx.cfg, b.dev) === g && b.mm !== m.mm);
          if (other) return `mm ${m.mm}'s ENQCMD PASID ${p} reaches mm ${other.mm} on ${other.dev}, a device ${m.mm} is bound to`;
          const kernel = ctx.obs.attaches.find((a) => a.pasid === p && groupOfName(ctx.cfg, a.dev) === g);
          if (kernel) return `mm ${m.mm}'s ENQCMD PASID ${p} reaches a kernel domain on ${kernel.dev}, a device ${m.mm} is bound to`;
        }
      }
      return null;
    },
  },
  {
    name: 'domainUsersMatchAttachments', rule: 'U1',
    statement: "Each bond has at least one user, and an mm's SVA domain on an IOMMU counts exactly its bonds behind that IOMMU.",
    check(ctx) {
      for (const b of ctx.obs.bonds) if (b.users < 1) return `the bond of mm ${b.mm} on ${b.dev} at PASID ${b.pasid} has ${b.users} users`;
      for (const m of ctx.obs.mms) {
        const count = new Map<string, number>();
        for (const b of ctx.obs.bonds) {
          if (b.mm !== m.mm) continue;
          const iommu = known(ctx.cfg, b.dev).iommu;
          if (iommu === null) throw new TypeError(`a bond on ${b.dev}, which sits behind no IOMMU`);
          count.set(iommu, (count.get(iommu) ?? 0) + 1);
        }
        for (const dom of m.domains) {
          if ((count.get(dom.iommu) ?? 0) !== dom.users) return `mm ${m.mm}'s SVA domain on ${dom.iommu} counts ${dom.users} user${dom.users === 1 ? '' : 's'} but ${count.get(dom.iommu) ?? 0} bond${count.get(dom.iommu) === 1 ? ' is' : 's are'} attached`;
          count.delete(dom.iommu);
        }
        for (const [iommu, n] of count) return `mm ${m.mm} has ${n} bond${n === 1 ? '' : 's'} behind ${iommu} but no SVA domain there`;
      }
      return null;
    },
  },
  {
    name: 'goneMmHoldsNothing', rule: 'U3',
    statement: 'An mm that is gone has no bond, no domain and no PASID; an mm with bonds is not gone.',
    check(ctx) {
      for (const m of ctx.obs.mms) {
        if (m.state !== 'gone') continue;
        if (m.pasid !== null) return `mm ${m.mm} is gone but still has PASID ${m.pasid}`;
        if (m.domains.length > 0 || ctx.obs.bonds.some((b) => b.mm === m.mm)) return `mm ${m.mm} is gone but still has bonds`;
      }
      return null;
    },
  },
  {
    name: 'bondsUseTheMmPasid', rule: 'S2-reuse', appliesTo: (v) => v.pasidsPerMm === 'one',
    statement: "Every bond of an mm sits at the mm's one PASID (one PASID per mm, the same on every device).",
    check(ctx) {
      for (const b of ctx.obs.bonds) {
        const m = liveMm(ctx, b.mm);
        if (m?.pasid !== b.pasid) return `mm ${b.mm} is bound on ${b.dev} at PASID ${b.pasid} but its PASID is ${m?.pasid ?? 'none'}`;
      }
      return null;
    },
  },
  {
    name: 'oneBondPerGroupAndMm', rule: 'K3', appliesTo: (v) => v.pasidsPerMm === 'global-plus-local',
    statement: 'An mm has at most one bond in a group.',
    check(ctx) {
      const seen = new Map<string, number>();
      for (const b of ctx.obs.bonds) {
        const key = `${b.mm}@${groupOfName(ctx.cfg, b.dev)}`;
        if (seen.has(key)) return `mm ${b.mm} is bound twice in ${b.dev}'s group (PASIDs ${seen.get(key)} and ${b.pasid})`;
        seen.set(key, b.pasid);
      }
      return null;
    },
  },
];

export interface Violation { readonly invariant: string; readonly rule: RuleId; readonly reason: string }

/** Every invariant of the variant that the observation breaks. */
export function checkInvariants(ctx: InvariantContext): Violation[] {
  const out: Violation[] = [];
  for (const inv of INVARIANTS) {
    if (inv.appliesTo && !inv.appliesTo(ctx.variant)) continue;
    const reason = inv.check(ctx);
    if (reason !== null) out.push({ invariant: inv.name, rule: inv.rule, reason });
  }
  return out;
}
