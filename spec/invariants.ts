/**
 * Invariants: named sentences about a bad state that never occurs. Each returns a reason, or
 * null; each has the rule id it protects; they live in one ordered list.
 *
 * Two scopes:
 * - State invariants are about the state, written once against the state reads (world.ts):
 *   the model checker asks them of its states, conformance asks them of an implementation's
 *   report read as a state (observationReads.ts). `check` is the model checker's hot path,
 *   run on every new state: while the invariant holds it loops over indices and allocates
 *   nothing; only a broken one builds its reason, naming mms and devices from `r.cfg`.
 * - Observation invariants are about an implementation's report (vocab Observation): what a
 *   report can say and a state cannot. On a spec state they hold by construction, so the
 *   model checker does not ask them: a slot holds one owner (noTwoOwnersShareADeviceSlot);
 *   slots exist only at PASIDs 1..range-1 of their group, as B1 refuses every other
 *   (bondPasidInDeviceRange; the model checker's flat layout has no other slot and refuses
 *   to encode one); a DMA's answer is computed from the slot by ops.ts dma, shared by every
 *   variant: an mm only for a live mm's bond, a fault for an exited one and beyond the
 *   device's range (dmaReachesOnlyBoundLiveMm, boundLiveMmIsReachable).
 */
import type { RuleId } from './rules.ts';
import type { Variant } from './step.ts';
import { ObservationReads } from './observationReads.ts';
import { NONE, boundPasidIn, type Reads } from './world.ts';
import { formatResult, type Observation } from '../vocab/index.ts';
import type { ResolvedSetup } from '../vocab/setup.ts';

export interface InvariantContext {
  readonly cfg: ResolvedSetup;
  readonly variant: Variant;
  readonly obs: Observation;
  /** Ghost state from the caller's side: ids alloc_global returned and not yet freed. */
  readonly kernelHeld: readonly number[];
}

interface Sentence {
  readonly name: string;
  readonly rule: RuleId;
  readonly statement: string;
  /** Whether it applies to a variant, asked of the variant itself; all when absent. */
  appliesTo?(v: Variant): boolean;
}

/** About the state: asked of any backend of the reads. */
export interface StateInvariant extends Sentence {
  readonly scope: 'state';
  check(r: Reads): string | null;
}

/** About an implementation's report; holds by construction on every spec state (see above). */
export interface ObservationInvariant extends Sentence {
  readonly scope: 'observation';
  check(ctx: InvariantContext): string | null;
}

export type Invariant = StateInvariant | ObservationInvariant;

/**
 * Per device name: its group (-1 behind no IOMMU) and its PASID count. Built
 * once per configuration (a lookup table, so the checks do not scan cfg.devices for every bond
 * and probe on every step); what the invariants say is unchanged.
 */
interface DeviceFacts { readonly group: number; readonly max: number }
const facts = new WeakMap<ResolvedSetup, ReadonlyMap<string, DeviceFacts>>();
let lastCfg: ResolvedSetup | null = null;
let lastFacts: ReadonlyMap<string, DeviceFacts> | null = null;
function deviceFacts(cfg: ResolvedSetup): ReadonlyMap<string, DeviceFacts> {
  if (cfg === lastCfg) return lastFacts!;
  let m = facts.get(cfg);
  if (m === undefined) {
    m = new Map(cfg.devices.map((d): [string, DeviceFacts] => [d.name, {
      group: d.iommu !== null ? d.group : -1, max: d.iommu === null ? 0 : 2 ** d.ssidBits,
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

/** Bonds then attaches, each as (dev, pasid); no copy when there are no attaches. */
const slotUsers = (obs: Observation): readonly { readonly dev: string; readonly pasid: number }[] =>
  obs.attaches.length === 0 ? obs.bonds : [...obs.bonds, ...obs.attaches];

const OBSERVATION_INVARIANTS: readonly ObservationInvariant[] = [
  {
    name: 'noTwoOwnersShareADeviceSlot', rule: 'B2', scope: 'observation',
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
    name: 'bondPasidInDeviceRange', rule: 'B1-range', scope: 'observation',
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
    name: 'dmaReachesOnlyBoundLiveMm', rule: 'M4', scope: 'observation',
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
    name: 'boundLiveMmIsReachable', rule: 'B1', scope: 'observation',
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
];

const mmName = (r: Reads, mm: number): string => r.cfg.mms[mm];
const devName = (r: Reads, dev: number): string => r.cfg.devices[dev].name;

/** The owners of global id p: global mms not yet gone holding it, and its alloc_global holder. */
function ownersOf(r: Reads, p: number): number {
  let n = r.held(p) ? 1 : 0;
  for (let m = 0; m < r.cfg.mms.length; m++) if (r.pasid(m) === p && r.isGlobal(m) && r.status(m) !== 'gone') n++;
  return n;
}

/** Per (mm, IOMMU): its bonds, counted by countBonds (scratch, reused: no allocation per state). */
let counted = new Int32Array(16);

/**
 * Count each mm's bonds behind each IOMMU into `counted`; the first bond without a user
 * (group by group, PASID by PASID) ends the count and is returned as [group, pasid].
 */
function countBonds(r: Reads): [number, number] | null {
  const ni = r.cfg.iommus.length, n = r.cfg.mms.length * ni;
  if (counted.length < n) counted = new Int32Array(n);
  counted.fill(0, 0, n);
  for (let g = 0; g < r.cfg.groups.length; g++) {
    for (const p of r.slotPasids(g)) {
      if (r.slotKind(g, p) !== 'sva') continue;
      if (r.slotUsers(g, p) < 1) return [g, p];
      const iommu = r.cfg.devices[r.slotDev(g, p)].iommu;
      if (iommu !== null) counted[r.slotMm(g, p) * ni + iommu]++;
    }
  }
  return null;
}

const bonds = (n: number, verb: boolean): string => `${n} bond${n === 1 ? '' : 's'}${verb ? (n === 1 ? ' is' : ' are') : ''}`;

const STATE_INVARIANTS: readonly StateInvariant[] = [
  {
    name: 'globalPasidHasExactlyOneOwner', rule: 'A3', scope: 'state', appliesTo: (v) => v.pasidsPerMm !== 'shared-plus-private',
    statement: 'Every id the global allocator holds has exactly one owner: a global mm not yet gone, or an alloc_global holder.',
    check(r) {
      for (const p of r.idaPasids()) {
        if (!r.allocated(p)) continue;
        const n = ownersOf(r, p);
        if (n === 1) continue;
        if (n === 0) return `the global allocator holds PASID ${p}, which nobody owns (leaked)`;
        const who = r.cfg.mms.flatMap((name, m) => (r.pasid(m) === p && r.isGlobal(m) && r.status(m) !== 'gone' ? [`mm ${name}`] : []));
        if (r.held(p)) who.push('an alloc_global holder');
        return `global PASID ${p} is owned by ${who.join(' and ')}`;
      }
      return null;
    },
  },
  {
    name: 'localPasidNeverFreedGlobally', rule: 'V9', scope: 'state',
    statement: "Every id an owner holds is still in the global allocator: no free (of a local PASID or another's id) took it back.",
    check(r) {
      for (let m = 0; m < r.cfg.mms.length; m++) {
        const p = r.pasid(m);
        if (p !== NONE && r.isGlobal(m) && r.status(m) !== 'gone' && !r.allocated(p))
          return `mm ${mmName(r, m)} holds global PASID ${p}, but the global allocator has freed it`;
      }
      for (const p of r.idaPasids())
        if (r.held(p) && !r.allocated(p)) return `an alloc_global holder owns PASID ${p}, but the global allocator has freed it`;
      return null;
    },
  },
  {
    name: 'enqcmdPasidIsGlobalAndMeansItsMm', rule: 'G2', scope: 'state',
    statement: "A live mm's ENQCMD PASID is global, and on every group where the mm is bound that PASID is empty or the mm's own bond.",
    check(r) {
      for (let m = 0; m < r.cfg.mms.length; m++) {
        const p = r.pasid(m);
        if (r.status(m) !== 'live' || p === NONE || !r.isGlobal(m)) continue;
        for (let g = 0; g < r.cfg.groups.length; g++) {
          if (boundPasidIn(r, g, m) === NONE) continue;                  // a group where m is bound
          const kind = r.slotKind(g, p);
          if (kind === 'sva' && r.slotMm(g, p) !== m)
            return `mm ${mmName(r, m)}'s ENQCMD PASID ${p} reaches mm ${mmName(r, r.slotMm(g, p))} on ${devName(r, r.slotDev(g, p))}, a device ${mmName(r, m)} is bound to`;
          if (kind === 'kernel' || kind === 'handle')
            return `mm ${mmName(r, m)}'s ENQCMD PASID ${p} reaches a kernel domain on ${devName(r, r.slotDev(g, p))}, a device ${mmName(r, m)} is bound to`;
        }
      }
      return null;
    },
  },
  {
    name: 'domainUsersMatchAttachments', rule: 'U1', scope: 'state',
    statement: "Each bond has at least one user, and an mm's SVA domain on an IOMMU counts exactly its bonds behind that IOMMU.",
    check(r) {
      const idle = countBonds(r);
      if (idle !== null) {
        const [g, p] = idle;
        return `the bond of mm ${mmName(r, r.slotMm(g, p))} on ${devName(r, r.slotDev(g, p))} at PASID ${p} has ${r.slotUsers(g, p)} users`;
      }
      const ni = r.cfg.iommus.length;
      for (let m = 0; m < r.cfg.mms.length; m++) {
        // Domains first, then bonds behind an IOMMU without one: the order the reasons have always come in.
        for (let i = 0; i < ni; i++) {
          const users = r.domainUsers(m, i), n = counted[m * ni + i];
          if (users > 0 && n !== users) return `mm ${mmName(r, m)}'s SVA domain on ${r.cfg.iommus[i].name} counts ${users} user${users === 1 ? '' : 's'} but ${bonds(n, true)} attached`;
        }
        for (let i = 0; i < ni; i++) {
          const n = counted[m * ni + i];
          if (r.domainUsers(m, i) <= 0 && n > 0) return `mm ${mmName(r, m)} has ${bonds(n, false)} behind ${r.cfg.iommus[i].name} but no SVA domain there`;
        }
      }
      return null;
    },
  },
  {
    name: 'goneMmHoldsNothing', rule: 'U3', scope: 'state',
    statement: 'An mm that is gone has no bond, no domain and no PASID; an mm with bonds is not gone.',
    check(r) {
      for (let m = 0; m < r.cfg.mms.length; m++) {
        if (r.status(m) !== 'gone') continue;
        if (r.pasid(m) !== NONE) return `mm ${mmName(r, m)} is gone but still has PASID ${r.pasid(m)}`;
        let holds = false;
        for (let i = 0; i < r.cfg.iommus.length && !holds; i++) holds = r.domainUsers(m, i) > 0;
        for (let g = 0; g < r.cfg.groups.length && !holds; g++) holds = boundPasidIn(r, g, m) !== NONE;
        if (holds) return `mm ${mmName(r, m)} is gone but still has bonds`;
      }
      return null;
    },
  },
  {
    name: 'bondsUseTheMmPasid', rule: 'S2-reuse', scope: 'state', appliesTo: (v) => v.pasidsPerMm === 'one',
    statement: "Every bond of an mm sits at the mm's one PASID (one PASID per mm, the same on every device).",
    check(r) {
      for (let g = 0; g < r.cfg.groups.length; g++) {
        for (const p of r.slotPasids(g)) {
          if (r.slotKind(g, p) !== 'sva') continue;
          const m = r.slotMm(g, p), own = r.pasid(m);
          if (own !== p) return `mm ${mmName(r, m)} is bound on ${devName(r, r.slotDev(g, p))} at PASID ${p} but its PASID is ${own === NONE ? 'none' : own}`;
        }
      }
      return null;
    },
  },
  {
    name: 'pasidHasOneOwnerWithPrivateBonds', rule: 'R7', scope: 'state', appliesTo: (v) => v.pasidsPerMm === 'shared-plus-private',
    statement: "Every id the allocator holds has exactly one owner: a process not yet gone whose shared PASID it is, or one private bond (sva-2018's private PASIDs).",
    check(r) {
      for (const p of r.idaPasids()) {
        if (!r.allocated(p)) continue;
        let n = 0;
        for (let m = 0; m < r.cfg.mms.length; m++) if (r.pasid(m) === p && r.status(m) !== 'gone') n++;
        for (let g = 0; g < r.cfg.groups.length; g++)
          if (r.slotKind(g, p) === 'sva' && r.pasid(r.slotMm(g, p)) !== p) n++;  // a private bond at p
        if (n === 0) return `the allocator holds PASID ${p}, which nobody owns (leaked)`;
        if (n > 1) return `PASID ${p} has ${n} owners`;
      }
      return null;
    },
  },
  {
    // Designs where the driver tells the core when it is done with an exited process's PASID.
    name: 'exitedPasidNotReusedWhileBound', rule: 'R6', scope: 'state', appliesTo: (v) => v.ops.includes('mm_exit_done'),
    statement: "While an exited process still has a bond (its driver may still use the PASID: its mm_exit callback has not returned), the allocator holds that PASID and no other process has it.",
    check(r) {
      for (let g = 0; g < r.cfg.groups.length; g++) {
        for (const p of r.slotPasids(g)) {
          if (r.slotKind(g, p) !== 'sva' || r.status(r.slotMm(g, p)) !== 'exited') continue;
          const mm = r.slotMm(g, p), dev = devName(r, r.slotDev(g, p));
          if (!r.allocated(p)) return `PASID ${p} of exited mm ${mmName(r, mm)}'s bond on ${dev} is free in the allocator while the bond remains`;
          for (let m = 0; m < r.cfg.mms.length; m++)
            if (m !== mm && r.status(m) !== 'gone' && r.pasid(m) === p) return `PASID ${p}, still bound for exited mm ${mmName(r, mm)} on ${dev}, is mm ${mmName(r, m)}'s too`;
          for (let h = 0; h < r.cfg.groups.length; h++)
            if (r.slotKind(h, p) === 'sva' && r.slotMm(h, p) !== mm) return `PASID ${p}, still bound for exited mm ${mmName(r, mm)} on ${dev}, is mm ${mmName(r, r.slotMm(h, p))}'s too`;
        }
      }
      return null;
    },
  },
  {
    name: 'oneBondPerGroupAndMm', rule: 'K3', scope: 'state', appliesTo: (v) => v.pasidsPerMm === 'global-plus-local',
    statement: 'An mm has at most one bond in a group.',
    check(r) {
      for (let g = 0; g < r.cfg.groups.length; g++) {
        const ps = r.slotPasids(g);
        for (let i = 0; i < ps.length; i++) {
          if (r.slotKind(g, ps[i]) !== 'sva') continue;
          const m = r.slotMm(g, ps[i]);
          for (let j = i + 1; j < ps.length; j++)
            if (r.slotKind(g, ps[j]) === 'sva' && r.slotMm(g, ps[j]) === m)
              return `mm ${mmName(r, m)} is bound twice in ${devName(r, r.slotDev(g, ps[j]))}'s group (PASIDs ${ps[i]} and ${ps[j]})`;
        }
      }
      return null;
    },
  },
];

export const INVARIANTS: readonly Invariant[] = [...OBSERVATION_INVARIANTS, ...STATE_INVARIANTS];

/** The state invariants among the named ones that apply to the variant, in list order: what the model checker asks of every state. */
export function stateInvariantsFor(names: readonly string[], v: Variant): StateInvariant[] {
  return STATE_INVARIANTS.filter((inv) => names.includes(inv.name) && (!inv.appliesTo || inv.appliesTo(v)));
}

export interface Violation { readonly invariant: string; readonly rule: RuleId; readonly reason: string }

/**
 * Every invariant of the variant that the report breaks: the observation invariants on the
 * report, the state invariants on the report read as a state (observationReads.ts; a report
 * that cannot be read as one throws a TypeError).
 */
export function checkInvariants(ctx: InvariantContext): Violation[] {
  const out: Violation[] = [];
  let reads: Reads | null = null;
  for (const inv of INVARIANTS) {
    if (inv.appliesTo && !inv.appliesTo(ctx.variant)) continue;
    const reason = inv.scope === 'observation' ? inv.check(ctx) : inv.check(reads ??= new ObservationReads(ctx.cfg, ctx.obs, ctx.kernelHeld));
    if (reason !== null) out.push({ invariant: inv.name, rule: inv.rule, reason });
  }
  return out;
}
