/**
 * The state space of one configuration: the operations offered in each state (honouring the
 * caller contract and the bounds), a flat representation of spec states, and their compact
 * canonical encoding.
 *
 * Flat state. A spec State unfolded into one Int32Array (`toFlat`, `fromFlat`): per mm
 * [status, PASID as an index into the PASID universe U or -1, global, SVA domain users per
 * IOMMU, the domain's ASID per IOMMU]; per slot — every (group, PASID in U below the group's range) — [kind, mm, device,
 * handle users]; then the global allocator and the alloc_global holders as one flag per PASID
 * of U. Both transition engines (engine.ts) step on it; a tuple of states of several variants
 * driven together (`diff`) is `arity` flat states side by side.
 *
 * Encoding. Per mm a fixed-width record — status, PASID code, domain users, and the domains'
 * ASIDs where their values can decide a bind (`Layout.asidW`, see buildLayout) — then per slot one
 * code (empty; a non-SVA attach and its device; or an SVA bond: owning mm, device, users),
 * then the two PASID bitmaps. Slot-major storage keeps it small when slots are many and mms
 * own few of them. A value outside the encoding (a PASID outside U, a count beyond its field)
 * throws EncodingError: the tool reports that it broke rather than silently merging states.
 *
 * Symmetry. Processes are interchangeable, and so are devices with identical configuration
 * (same ssid_bits and IOMMU, each alone in its group). Canonical form: for each permutation
 * of interchangeable devices, rank the mms by a key holding everything that names them (their
 * record, then the slots they own in order), pack, and keep the least word sequence. Two mms
 * with equal keys own no slot and have equal records, so swapping them changes nothing: two
 * states get the same canonical words iff one is a permutation of the other.
 */
import { ObjectWorld, contractBreach, maxPasidsOf, type Config, type SpecOp, type State, type Variant, type Slot, type Mm } from '../spec/index.ts';
import type { OpName } from '../vocab/index.ts';
import { resolveSetup } from '../vocab/setup.ts';
import type { Bounds, ModelConfig } from './config.ts';

export class EncodingError extends Error {}

const bitsFor = (maxValue: number): number => (maxValue <= 0 ? 0 : 32 - Math.clz32(maxValue));

export interface Space {
  readonly cfg: Config;
  readonly bounds: Bounds;
  /** The op templates offered (filtered per state by the contract and bounds). */
  readonly templates: readonly SpecOp[];
  /** PASID universe: every value a state may hold, ascending. */
  readonly universe: readonly number[];
  /** Local PASIDs tried per device. */
  readonly tried: readonly (readonly number[])[];
  /** Words per encoded state (for a tuple of `arity` states). */
  readonly words: number;
  readonly arity: number;
  /** The identity on device groups (permutations of interchangeable groups are made per state by the packer). */
  readonly groupPerms: readonly (readonly number[])[];
  readonly symmetry: boolean;
  /** The size of the symmetry group: processes! × product of (identical devices)!. */
  readonly symmetryOrder: number;
  /** Classes of interchangeable groups (two or more members each); empty without symmetry. */
  readonly groupClasses: readonly (readonly number[])[];
  readonly layout: Layout;
}

/** Offsets of the flat representation (one state) and field widths of the encoding. */
export interface Layout {
  readonly nm: number;
  readonly ni: number;
  /** Slots: every (group, PASID of U below the group's range), group by group. */
  readonly slots: number;
  readonly u: number;
  /** Ints per mm record: status, PASID index (-1: none), global, domain users per IOMMU, ASIDs per IOMMU. */
  readonly mmRec: number;
  /** Offset of the ASIDs in an mm record (M_DOM + ni). */
  readonly asidOff: number;
  /**
   * Bits per packed ASID; 0 when ASID values cannot decide a bind (then the packing keeps none
   * and unpacking numbers the domains 1, 2, … in mm and IOMMU order, see Packer.unpack).
   */
  readonly asidW: number;
  readonly slotBase: number;
  readonly idaBase: number;
  readonly heldBase: number;
  /** Ints per flat state. */
  readonly n: number;
  /** Per group: flat slot index by universe index, -1 where the PASID is beyond the group. */
  readonly slotOfU: readonly Int32Array[];
  /** Per slot: its group and its PASID's universe index. */
  readonly slotGroup: Int32Array;
  readonly slotU: Int32Array;
  /** Per device: its index in its group's device list. */
  readonly devInGroup: Int32Array;
  /** The PASID universe's values, by universe index. */
  readonly values: Int32Array;
  /** Per group: its PASID range, max_pasids of its smallest device (slots lie in 1..range-1). */
  readonly range: Float64Array;
  /** Most devices in one group (G) and most handle users (H): the bond code's radixes. */
  readonly g: number;
  readonly h: number;
  /** Kinds of non-SVA attach a slot may hold: 1 (bare), or 2 (bare, with an attach handle). */
  readonly kc: number;
  readonly dataW: number;
  readonly domW: readonly number[];
  readonly slotW: number;
  /** The identity slot map, per entry of groupPerms: canonical slot index → original slot index. */
  readonly slotMaps: readonly Int32Array[];
  /** sva-2018's bound applies (the space offers bind_private): one private bond per (mm, group). */
  readonly privateCut: boolean;
  /**
   * ioasid-2020's sets, kept only where the space runs their operations (0 sets otherwise):
   * per set [quota, a held flag per PASID of U] from setBase; quotaW bits per packed quota.
   */
  readonly ns: number;
  readonly setBase: number;
  readonly quotaW: number;
}

export const ST_LIVE = 0, ST_EXITED = 1, ST_GONE = 2;
/** Slot kinds: empty, an SVA bond, a non-SVA domain attached bare, or with an attach handle. */
export const K_EMPTY = 0, K_SVA = 1, K_KERNEL = 2, K_HANDLE = 3;
/** Offsets inside an mm record and a slot record. */
export const M_STATUS = 0, M_PASID = 1, M_GLOBAL = 2, M_DOM = 3;
export const S_KIND = 0, S_MM = 1, S_DEV = 2, S_USERS = 3, SLOT_REC = 4;

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/** The local PASIDs tried on a device: 0, 1..min(max-1, K), and max (the first out-of-range). */
export function triedPasids(cfg: Config, dev: number, k: number): number[] {
  const max = maxPasidsOf(cfg, dev);
  const out = [0];
  for (let p = 1; p <= Math.min(max - 1, k); p++) out.push(p);
  if (max > 0) out.push(max); else out.push(1);
  return [...new Set(out)];
}

export function buildSpace(mc: ModelConfig, variants: readonly Variant[], opts: { symmetry?: boolean; ops?: readonly OpName[] } = {}): Space {
  const cfg = resolveSetup(mc.setup);
  const bounds = mc.bounds;
  const symmetry = opts.symmetry ?? mc.symmetry;
  const ops = (opts.ops ?? mc.ops).filter((o) => variants.every((v) => v.ops.includes(o)));
  const nd = cfg.devices.length, nm = cfg.mms.length, ng = cfg.groups.length;
  const tried = cfg.devices.map((_, d) => triedPasids(cfg, d, bounds.pasids));

  // PASIDs a state may hold: the tried ones (bind_pasid may even leave an out-of-range one on
  // a v2 mm, V4), and every id the global allocator can hand out (at most one per mm plus the
  // alloc_global holders, lowest first, so ids 1..nm+holders; a design whose allocator starts
  // higher or holds more ids says so, Variant.allocator).
  const maxDev = Math.max(0, ...cfg.devices.map((_, d) => maxPasidsOf(cfg, d)));
  const alloc = variants.map((v) => v.allocator?.(cfg) ?? { from: 1, extra: 0 });
  const from = Math.max(1, ...alloc.map((a) => a.from)), extra = Math.max(0, ...alloc.map((a) => a.extra));
  const u = new Set<number>();
  for (const t of tried) for (const p of t) if (p > 0) u.add(p);
  for (let p = 1; p <= Math.min(maxDev - 1, from - 1 + nm + bounds.allocGlobalHolders + extra); p++) u.add(p);
  const universe = [...u].sort((a, b) => a - b);

  // Interchangeable devices: same ssid_bits and IOMMU, each alone in its group.
  const classes = new Map<string, number[]>();
  cfg.groups.forEach((g, gi) => {
    if (g.devices.length !== 1) return;
    const d = cfg.devices[g.devices[0]];
    const key = `${d.ssidBits}/${d.iommu}`;
    classes.set(key, [...(classes.get(key) ?? []), gi]);
  });
  // Permutations of interchangeable groups are never listed (n! of them): the packer orders
  // each class by content (see Packer) and tries only the orders content cannot tell apart.
  const groupPerms: number[][] = [cfg.groups.map((_, i) => i)];
  let symmetryOrder = 1;
  const groupClasses = symmetry ? [...classes.values()].filter((c) => c.length >= 2) : [];
  if (symmetry) {
    symmetryOrder = factorial(nm);
    for (const members of groupClasses) symmetryOrder *= factorial(members.length);
  }

  const templates: SpecOp[] = [];
  const has = (o: OpName) => ops.includes(o);
  const range = Float64Array.from(cfg.groups, (g) => Math.min(...g.devices.map((d) => maxPasidsOf(cfg, d))));
  const slotPasidsOf = (g: number): number[] => universe.filter((p) => p < range[g]);
  for (let m = 0; m < nm; m++) for (let d = 0; d < nd; d++) {
    if (has('bind')) templates.push({ op: 'bind', dev: d, mm: m });
    if (has('bind_pasid')) for (const p of tried[d]) templates.push({ op: 'bind_pasid', dev: d, mm: m, pasid: p });
  }
  for (let g = 0; g < ng; g++) for (const p of slotPasidsOf(g)) {
    if (has('unbind')) templates.push({ op: 'unbind', group: g, pasid: p });
    if (has('get_pasid')) templates.push({ op: 'get_pasid', group: g, pasid: p });
  }
  for (let m = 0; m < nm; m++) {
    if (has('enqcmd_pasid')) templates.push({ op: 'enqcmd_pasid', mm: m });
    if (has('mm_exit')) templates.push({ op: 'mm_exit', mm: m });
  }
  for (let d = 0; d < nd; d++) if (has('alloc_global') && bounds.allocGlobalHolders > 0) templates.push({ op: 'alloc_global', dev: d });
  if (has('free_global') && has('alloc_global')) for (const p of universe) templates.push({ op: 'free_global', pasid: p });
  for (let d = 0; d < nd; d++) for (const p of tried[d]) {
    if (has('attach_pasid')) templates.push({ op: 'attach_pasid', dev: d, pasid: p, handle: false });
    // With an attach handle only where it can differ from a bare attach (see attachHandleMatters).
    if (has('attach_pasid') && p > 0 && p < maxPasidsOf(cfg, d) && attachHandleMatters(cfg, d)) templates.push({ op: 'attach_pasid', dev: d, pasid: p, handle: true });
    if (has('detach_pasid') && has('attach_pasid') && p > 0 && cfg.devices[d].iommu !== null) templates.push({ op: 'detach_pasid', dev: d, pasid: p });
    if (has('dma')) templates.push({ op: 'dma', dev: d, pasid: p });
  }

  // The earlier designs' own operations (sva-2018).
  for (let m = 0; m < nm; m++) for (let d = 0; d < nd; d++) if (has('bind_private')) templates.push({ op: 'bind_private', dev: d, mm: m });
  for (let g = 0; g < ng; g++) for (const p of slotPasidsOf(g)) if (has('mm_exit_done')) templates.push({ op: 'mm_exit_done', group: g, pasid: p });
  // ioasid-2020: per set, ioasid_alloc per device, ioasid_free_set, and ioasid_adjust_set to
  // every quota from 0 to one above the largest initial quota.
  const sets = cfg.ioasid.sets;
  const quotaTop = Math.max(0, ...sets.map((s) => s.quota)) + 1;
  sets.forEach((_, s) => {
    if (has('ioasid_alloc')) for (let d = 0; d < nd; d++) if (cfg.devices[d].iommu !== null) templates.push({ op: 'ioasid_alloc', set: s, dev: d });
    if (has('ioasid_free_set')) templates.push({ op: 'ioasid_free_set', set: s });
    if (has('ioasid_adjust_set')) for (let q = 0; q <= quotaTop; q++) templates.push({ op: 'ioasid_adjust_set', set: s, quota: q });
  });
  const keepSets = sets.length > 0 && (has('ioasid_alloc') || has('ioasid_free_set') || has('ioasid_adjust_set'));

  const arity = variants.length;
  const handles = templates.some((t) => t.op === 'attach_pasid' && t.handle);
  const layout = buildLayout(cfg, bounds, universe, groupPerms, range, slotPasidsOf, handles, has('bind_private'), keepSets ? sets.length : 0, bitsFor(quotaTop));
  const L = layout;
  const recordBits = 2 + L.dataW + L.domW.reduce((a, b) => a + b, 0) + L.ni * L.asidW;
  const totalBits = arity * (nm * recordBits + L.slots * L.slotW + 2 * L.u + L.ns * (L.quotaW + L.u));
  const words = Math.max(1, Math.ceil(totalBits / 32));
  return { cfg, bounds, templates, universe, tried, words, arity, groupPerms, symmetry, symmetryOrder, groupClasses, layout };
}

/**
 * Whether a non-SVA attach on dev with an attach handle can lead anywhere a bare one cannot.
 * A bind at such a slot fails either way and leaves the same state: with a handle at once
 * (B4-handle, EBUSY), bare after trying an SVA domain whose attach finds the slot taken
 * (B1-busy, EBUSY) — unless allocating that domain fails first: M6 is EBUSY as well, but M7,
 * an SMMU without SVA support, is EOPNOTSUPP. So only there does the handle change a result;
 * elsewhere the two attaches have the same futures and only the bare one is explored.
 */
const attachHandleMatters = (cfg: Config, dev: number): boolean => {
  const iommu = cfg.devices[dev].iommu;
  return iommu !== null && !cfg.iommus[iommu].sva;
};

/**
 * Bits per packed ASID, or 0 when the values cannot decide a bind. A new SVA domain takes the
 * lowest ASID free system-wide within its SMMU's limit 2^asid_bits - 1 (spec/sva.ts, M6).
 * When every SMMU with SVA has the same limit, or no limit is below the most domains that can
 * exist at once (one per mm and SVA-capable SMMU), whether an allocation fails depends only on
 * how many domains exist; states that differ only in which domain holds which ASID then have
 * the same futures, so the canonical form keeps the count (the domains) and drops the values.
 * Otherwise the values are packed: with lowest-free allocation an ASID never exceeds the
 * number of domains alive when it was taken, so bitsFor(mms × SMMUs) bits hold it.
 */
function asidBitsOf(cfg: Config): number {
  const sva = cfg.iommus.filter((i) => i.sva);
  const limits = new Set(sva.map((i) => 2 ** i.asidBits - 1));
  const most = cfg.mms.length * sva.length;
  if (limits.size <= 1 || Math.min(...limits) >= most) return 0;
  return bitsFor(most);
}

function buildLayout(cfg: Config, bounds: Bounds, universe: readonly number[], groupPerms: readonly (readonly number[])[],
  range: Float64Array, slotPasidsOf: (g: number) => number[], handles: boolean, privateCut: boolean, ns: number, quotaW: number): Layout {
  const nm = cfg.mms.length, ni = cfg.iommus.length, U = universe.length, ng = cfg.groups.length;
  const uIndex = new Map(universe.map((p, i) => [p, i]));
  const slotOfU = cfg.groups.map(() => new Int32Array(U).fill(-1));
  const slotGroup: number[] = [], slotU: number[] = [], offset: number[] = [];
  for (let g = 0; g < ng; g++) {
    offset[g] = slotGroup.length;
    for (const p of slotPasidsOf(g)) { slotOfU[g][uIndex.get(p)!] = slotGroup.length; slotGroup.push(g); slotU.push(uIndex.get(p)!); }
  }
  const S = slotGroup.length;
  const G = Math.max(1, ...cfg.groups.map((g) => g.devices.length));
  const H = bounds.handleUsers;
  const domMax = cfg.iommus.map((_, i) => slotGroup.filter((g) => cfg.devices[cfg.groups[g].devices[0]].iommu === i).length);
  const slotMaps = groupPerms.map((gp) => {
    const m = new Int32Array(S);
    for (let k = 0; k < S; k++) { const g = slotGroup[k]; m[k] = offset[gp[g]] + (k - offset[g]); }
    return m;
  });
  const mmRec = 3 + 2 * ni, slotBase = nm * mmRec, idaBase = slotBase + SLOT_REC * S, heldBase = idaBase + U;
  return {
    nm, ni, slots: S, u: U, mmRec, asidOff: M_DOM + ni, asidW: asidBitsOf(cfg), slotBase, idaBase, heldBase, n: heldBase + U + ns * (1 + U),
    ns, setBase: heldBase + U, quotaW,
    slotOfU, slotGroup: Int32Array.from(slotGroup), slotU: Int32Array.from(slotU),
    devInGroup: Int32Array.from(cfg.devices, (d, i) => (d.iommu === null ? 0 : cfg.groups[d.group].devices.indexOf(i))),
    values: Int32Array.from(universe), range, g: G, h: H, kc: handles ? 2 : 1, dataW: bitsFor(2 * U), domW: domMax.map(bitsFor),
    slotW: bitsFor((handles ? 2 : 1) * G + nm * G * H), slotMaps, privateCut,
  };
}

/** The templates a caller may issue in st (contract and bounds). */
export function enabled(space: Space, v: Variant, st: State, t: SpecOp): boolean {
  if (t.op === 'alloc_global' && st.kernelHeld.length >= space.bounds.allocGlobalHolders) return false;
  return contractBreach(v, new ObjectWorld(space.cfg, st), t) === null;
}

/**
 * The lowest id >= 1 the global allocator of flat state a[b ..) does not hold (sva.ts
 * lowestFreeGlobal before its range check). It may lie outside the universe.
 */
export function lowestUnheld(L: Layout, a: Int32Array, b: number): number {
  const universe = L.values;
  let cand = 1;
  for (let i = 0; i < L.u; i++) {
    if (a[b + L.idaBase + i] === 0) continue;
    if (universe[i] > cand) break;
    if (universe[i] === cand) cand++;
  }
  return cand;
}

/** Whether a flat successor lies beyond the bounds (a handle with too many users): it is cut. */
export function beyondBoundsFlat(L: Layout, f: Int32Array, base: number): boolean {
  for (let k = 0, o = base + L.slotBase; k < L.slots; k++, o += SLOT_REC) if (f[o + S_KIND] === K_SVA && f[o + S_USERS] > L.h) return true;
  return L.privateCut && privateBondsBeyond(L, f, base);
}

/** sva-2018's bound: two private bonds (away from their mm's PASID) of one mm in one group. */
export function privateBondsBeyond(L: Layout, f: Int32Array, base: number): boolean {
  for (let k = 0, o = base + L.slotBase; k < L.slots; k++, o += SLOT_REC) {
    if (f[o + S_KIND] !== K_SVA) continue;
    const mm = f[o + S_MM], own = f[base + mm * L.mmRec + M_PASID];
    if (L.slotU[k] === own) continue;
    for (let q = k + 1, qo = o + SLOT_REC; q < L.slots && L.slotGroup[q] === L.slotGroup[k]; q++, qo += SLOT_REC)
      if (f[qo + S_KIND] === K_SVA && f[qo + S_MM] === mm && L.slotU[q] !== own) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Flat states

const STATUS_OF = ['live', 'exited', 'gone'] as const;

/** Unfold st into f[base .. base+n). Throws EncodingError for what the layout cannot hold. */
export function toFlat(space: Space, st: State, f: Int32Array, base: number): void {
  const L = space.layout, U = space.universe;
  f.fill(0, base, base + L.n);
  const uidx = (p: number): number => {
    const i = indexIn(U, p);
    if (i < 0) throw new EncodingError(`PASID ${p} lies outside the model's PASID universe [${U.join(', ')}]`);
    return i;
  };
  st.mms.forEach((m, i) => {
    const o = base + i * L.mmRec;
    f[o + M_STATUS] = m.status === 'live' ? ST_LIVE : m.status === 'exited' ? ST_EXITED : ST_GONE;
    f[o + M_PASID] = m.data === null ? -1 : uidx(m.data.pasid);
    f[o + M_GLOBAL] = m.data?.global ? 1 : 0;
    for (let j = 0; j < L.ni; j++) { f[o + M_DOM + j] = m.domains[j]; f[o + L.asidOff + j] = m.asids[j]; }
  });
  st.slots.forEach((g, gi) => {
    for (const [p, s] of g) {
      const k = L.slotOfU[gi][uidx(p)];
      if (k < 0) throw new EncodingError(`slot at PASID ${p} lies beyond group ${space.cfg.groups[gi].name}'s range`);
      const o = base + L.slotBase + k * SLOT_REC;
      f[o + S_KIND] = s.kind === 'sva' ? K_SVA : s.handle ? K_HANDLE : K_KERNEL;
      f[o + S_DEV] = s.dev;
      if (s.kind === 'sva') { f[o + S_MM] = s.mm; f[o + S_USERS] = s.users; }
    }
  });
  for (const [list, at, what] of [[st.ida, L.idaBase, 'the global allocator'], [st.kernelHeld, L.heldBase, 'the alloc_global holders']] as const) {
    for (const p of list) {
      const o = base + at + uidx(p);
      if (f[o] !== 0) throw new EncodingError(`${what} list PASID ${p} twice`);
      f[o] = 1;
    }
  }
  for (let s = 0; s < L.ns; s++) {
    const set = st.ioasidSets![s], o = base + L.setBase + s * (1 + L.u);
    if (set.quota >= 2 ** L.quotaW) throw new EncodingError(`IOASID set ${space.cfg.ioasid.sets[s].name}'s quota ${set.quota} does not fit the encoding (${L.quotaW} bits)`);
    f[o] = set.quota;
    for (const p of set.held) f[o + 1 + uidx(p)] = 1;
  }
}

const indexIn = (sorted: readonly number[], p: number): number => {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) { const mid = (lo + hi) >> 1; if (sorted[mid] === p) return mid; if (sorted[mid] < p) lo = mid + 1; else hi = mid - 1; }
  return -1;
};

/** The spec State held in f[base .. base+n); slots in ascending PASID order. */
export function fromFlat(space: Space, f: Int32Array, base: number): State {
  const L = space.layout, U = space.universe, cfg = space.cfg;
  const mms: Mm[] = [];
  for (let m = 0; m < L.nm; m++) {
    const o = base + m * L.mmRec;
    const domains: number[] = [], asids: number[] = [];
    for (let j = 0; j < L.ni; j++) { domains.push(f[o + M_DOM + j]); asids.push(f[o + L.asidOff + j]); }
    mms.push({ status: STATUS_OF[f[o + M_STATUS]], data: f[o + M_PASID] < 0 ? null : { pasid: U[f[o + M_PASID]], global: f[o + M_GLOBAL] === 1 }, domains, asids });
  }
  const slots: Map<number, Slot>[] = cfg.groups.map(() => new Map());
  for (let k = 0; k < L.slots; k++) {
    const o = base + L.slotBase + k * SLOT_REC, kind = f[o + S_KIND];
    if (kind === K_EMPTY) continue;
    slots[L.slotGroup[k]].set(U[L.slotU[k]], kind === K_SVA
      ? { kind: 'sva', mm: f[o + S_MM], dev: f[o + S_DEV], users: f[o + S_USERS] }
      : { kind: 'kernel', dev: f[o + S_DEV], handle: kind === K_HANDLE });
  }
  const ida: number[] = [], kernelHeld: number[] = [];
  for (let i = 0; i < L.u; i++) {
    if (f[base + L.idaBase + i]) ida.push(U[i]);
    if (f[base + L.heldBase + i]) kernelHeld.push(U[i]);
  }
  // Sets the space does not keep never change: they are the setup's (spec/state.ts initialState).
  const sets = cfg.ioasid.sets;
  if (sets.length === 0) return { mms, slots, ida, kernelHeld };
  const ioasidSets = sets.map((s, k) => {
    if (k >= L.ns) return { quota: s.quota, held: [] };
    const o = base + L.setBase + k * (1 + L.u), held: number[] = [];
    for (let i = 0; i < L.u; i++) if (f[o + 1 + i]) held.push(U[i]);
    return { quota: f[o], held };
  });
  return { mms, slots, ida, kernelHeld, ioasidSets };
}

// ---------------------------------------------------------------------------------------------
// Canonical packing

const tooBig = (v: number, width: number, what: string): never => {
  throw new EncodingError(`${what} = ${v} does not fit the encoding (${width} bits)`);
};

/** Packs and unpacks the tuples of one space; holds its scratch arrays (one per run). */
export class Packer {
  private readonly L: Layout;
  private readonly A: number;
  private readonly sym: boolean;
  /** Per mm and state of the tuple: the record's head (status, PASID code, domains) as one number. */
  private readonly head: Float64Array;
  /** Per mm: the slots it owns, as (canonical slot, state, bond) items, ascending. */
  private readonly items: Int32Array;
  private readonly count: Int32Array;
  private readonly order: Int32Array;
  private readonly rank: Int32Array;
  private readonly scratch: Uint32Array;
  private readonly domLimit: Float64Array;
  private readonly dataScale: number;
  /** 2^asidW: the radix of a packed ASID (1: ASIDs are not packed). */
  private readonly asidLimit: number;
  /** Bits of an mm record (its head). */
  private readonly recW: number;
  /** The classes of interchangeable groups (each ascending). */
  private readonly classes: readonly Int32Array[];
  /** Per group: its slots [from, to), and its signature in the state being packed. */
  private readonly slotFrom: Int32Array;
  private readonly slotTo: Int32Array;
  private readonly sig: Float64Array;
  /** Per mm: a colour no relabelling changes (refines the signatures). */
  private readonly color: Float64Array;
  /** The permutation being tried (canonical group → original group) and its slot map. */
  private readonly q: Int32Array;
  private readonly map: Int32Array;
  /** Per class: its groups sorted by signature; per tie block, its content labels (multiset permuted in place). */
  private readonly sorted: readonly Int32Array[];
  private readonly label: readonly Int32Array[];
  /** Per group: 1 when it belongs to a class; per mm: the sum of its owned items (refinement). */
  private readonly inClass: Int32Array;
  private readonly acc: Float64Array;
  private blocks: { c: number; from: number; to: number; pools: Map<number, number[]> }[] = [];
  private dst: Uint32Array;
  private pos = 0;
  /** Orders of tied groups tried per state at most; beyond it the state is packed partially (see `partial`). */
  static readonly ORDER_CAP = 2048;
  /**
   * States packed with more tied orders than ORDER_CAP: only the first order was tried, so the
   * packing is a sound representative but maybe not the canonical one (symmetric states may be
   * stored twice: more distinct states, never fewer, and no verdict changes).
   */
  partial = 0;

  /**
   * `identity`: pack every tuple as it is, without the canonical form, in a space with
   * symmetry too (the explorer sends successors so to the visited set's thread, which packs
   * them canonically: model/parallel.ts).
   */
  constructor(readonly space: Space, opts: { identity?: boolean } = {}) {
    const L = space.layout, A = space.arity;
    this.L = L; this.A = A; this.sym = space.symmetry && opts.identity !== true;
    this.head = new Float64Array(L.nm * A); this.items = new Int32Array(L.nm * L.slots * A); this.count = new Int32Array(L.nm);
    this.order = new Int32Array(L.nm); this.rank = new Int32Array(L.nm); this.scratch = new Uint32Array(space.words);
    this.domLimit = Float64Array.from(L.domW, (w) => 2 ** w);
    this.dataScale = 2 ** L.dataW;
    this.asidLimit = 2 ** L.asidW;
    this.recW = 2 + L.dataW + L.domW.reduce((x, y) => x + y, 0) + L.ni * L.asidW;
    if (this.recW > 53) throw new EncodingError(`an mm record needs ${this.recW} bits, more than a head holds (53)`);
    this.classes = (this.sym ? space.groupClasses : []).map((c) => Int32Array.from(c));
    const ng = space.cfg.groups.length;
    this.slotFrom = new Int32Array(ng).fill(L.slots); this.slotTo = new Int32Array(ng);
    for (let k = L.slots - 1; k >= 0; k--) this.slotFrom[L.slotGroup[k]] = k;
    for (let k = 0; k < L.slots; k++) this.slotTo[L.slotGroup[k]] = k + 1;
    this.sig = new Float64Array(ng);
    this.color = new Float64Array(L.nm);
    this.q = Int32Array.from({ length: ng }, (_, i) => i);
    this.map = Int32Array.from({ length: L.slots }, (_, k) => k);
    this.sorted = this.classes.map((c) => new Int32Array(c.length));
    this.label = this.classes.map((c) => new Int32Array(c.length));
    this.inClass = new Int32Array(ng);
    for (const members of this.classes) for (const g of members) this.inClass[g] = 1;
    this.acc = new Float64Array(L.nm);
    this.dst = this.scratch;
    for (let m = 0; m < L.nm; m++) { this.order[m] = m; this.rank[m] = m; }
  }

  /**
   * Pack the tuple of flat states at f[0 ..) into `out` (W words): the canonical form when the
   * space has symmetry (least packing over the orders of interchangeable groups that content
   * cannot tell apart, mms ranked by their keys), the identity labelling otherwise.
   */
  pack(f: Int32Array, out: Uint32Array): void {
    const L = this.L, A = this.A, nm = L.nm, n = L.n;
    const { head } = this;
    // Heads do not depend on the device permutation.
    for (let m = 0; m < nm; m++) for (let t = 0; t < A; t++) head[m * A + t] = this.headOf(f, t * n + m * L.mmRec);
    if (this.classes.length === 0) { this.packWith(f, out); return; }
    this.signatures(f);
    if (this.orders(f) > Packer.ORDER_CAP) {
      // Too many tied orders to try them all: the first one, said so in `partial`.
      this.partial++;
      this.applyOrder();
      this.packWith(f, out);
      return;
    }
    let first = true;
    for (;;) {
      this.applyOrder();
      this.packWith(f, first ? out : this.scratch);
      if (!first && lessWords(this.scratch, out)) out.set(this.scratch);
      first = false;
      if (!this.nextOrder()) break;
    }
  }

  /**
   * Without symmetry (or for an identity packer), the packing of a successor from its
   * parent's: the parent's words with only the fields its transition wrote packed again. A
   * stored state's words are also the identity packing of the flat state they unpack to (a
   * canonical representative packs as itself), so `prev` may be a stored state's words in a
   * space with symmetry. `written[t]` lists the flat offsets
   * (relative to state t of the tuple) written, or is null when they were not all noted: then
   * false, and nothing is packed. Equal to `pack` (model/backends.test.ts checks it).
   */
  repack(prev: Uint32Array, f: Int32Array, written: readonly (Int32Array | null)[], counts: readonly number[], out: Uint32Array): boolean {
    if (this.sym) return false;
    for (let t = 0; t < this.A; t++) if (counts[t] > 0 && written[t] === null) return false;
    const L = this.L, A = this.A, n = L.n, S = L.slots;
    for (let i = 0; i < out.length; i++) out[i] = prev[i];
    const slotsAt = L.nm * A * this.recW;
    for (let t = 0; t < A; t++) {
      const offs = written[t];
      if (offs === null) continue;
      const block = slotsAt + t * (S * L.slotW + 2 * L.u + L.ns * (L.quotaW + L.u));
      let last = -1;                                                     // the record packed last: a write usually sets several of its words
      for (let j = 0; j < counts[t]; j++) {
        const off = offs[j];
        if (off < L.slotBase) {
          const m = (off / L.mmRec) | 0;
          if (m === last) continue;
          last = m;
          const h = this.headOf(f, t * n + m * L.mmRec);
          let pos = (m * A + t) * this.recW;
          if (this.recW <= 30) setBits(out, pos, this.recW, h);
          else for (let w = this.recW; w > 0; w -= 30) {
            const width = Math.min(w, 30);
            setBits(out, pos, width, Math.floor(h / 2 ** (w - width)) % 2 ** width);
            pos += width;
          }
        } else if (off < L.idaBase) {
          const k = ((off - L.slotBase) / SLOT_REC) | 0;
          if (L.nm + k === last) continue;
          last = L.nm + k;
          setBits(out, block + k * L.slotW, L.slotW, this.slotCode(f, t * n + L.slotBase + k * SLOT_REC));
        } else if (off < L.setBase) {
          const i = off - L.idaBase;                                         // the allocator's bits, then the holders'
          setBits(out, block + S * L.slotW + i, 1, f[t * n + off] ? 1 : 0);
        } else {                                                             // ioasid-2020's sets: a quota, then held bits
          const s = ((off - L.setBase) / (1 + L.u)) | 0, r = (off - L.setBase) % (1 + L.u);
          const at = block + S * L.slotW + 2 * L.u + s * (L.quotaW + L.u);
          if (r === 0) setBits(out, at, L.quotaW, f[t * n + off]);
          else setBits(out, at + L.quotaW + r - 1, 1, f[t * n + off] ? 1 : 0);
        }
      }
    }
    return true;
  }

  /** The head of the mm record at f[o ..): status, PASID code, domain users (and ASIDs), as one number. */
  private headOf(f: Int32Array, o: number): number {
    const L = this.L;
    const pu = f[o + M_PASID];
    let h = f[o + M_STATUS] * this.dataScale + (pu < 0 ? 0 : 1 + 2 * pu + f[o + M_GLOBAL]);
    for (let j = 0; j < L.ni; j++) {
      const d = f[o + M_DOM + j];
      if (d < 0 || d >= this.domLimit[j]) tooBig(d, L.domW[j], 'SVA domain users');
      h = h * this.domLimit[j] + d;
    }
    if (L.asidW > 0) for (let j = 0; j < L.ni; j++) {
      const asid = f[o + L.asidOff + j];
      if (asid < 0 || asid >= this.asidLimit) tooBig(asid, L.asidW, 'ASID');
      h = h * this.asidLimit + asid;
    }
    return h;
  }

  /** The code of the slot record at f[o ..) (0: empty), mms by their rank. */
  private slotCode(f: Int32Array, o: number): number {
    const L = this.L, kind = f[o + S_KIND];
    if (kind === K_EMPTY) return 0;
    const dev = L.devInGroup[f[o + S_DEV]];
    if (kind === K_HANDLE && L.kc < 2) tooBig(kind, L.slotW, 'slot kind (an attach handle)');
    if (kind === K_SVA && (f[o + S_USERS] < 1 || f[o + S_USERS] > L.h)) tooBig(f[o + S_USERS], L.h, 'handle users');
    return kind === K_KERNEL ? 1 + dev : kind === K_HANDLE ? 1 + L.g + dev
      : 1 + L.kc * L.g + (this.rank[f[o + S_MM]] * L.g + dev) * L.h + f[o + S_USERS] - 1;
  }

  /** Pack f under the current slot map into dst, mms ranked by their keys. */
  private packWith(f: Int32Array, dst: Uint32Array): void {
    const L = this.L, A = this.A, nm = L.nm, S = L.slots, GH = L.g * L.h, n = L.n;
    const { items, count, order, map } = this;
    if (!this.sym) {                                                     // the identity labelling: no ranks to find
      for (let m = 0; m < nm; m++) { order[m] = m; this.rank[m] = m; }
      this.write(f, map, dst);
      return;
    }
    for (let m = 0; m < nm; m++) count[m] = 0;
    for (let k = 0; k < S; k++) for (let t = 0; t < A; t++) {
      const o = t * n + L.slotBase + map[k] * SLOT_REC;
      if (f[o + S_KIND] !== K_SVA) continue;
      const users = f[o + S_USERS];
      if (users < 1 || users > L.h) tooBig(users, L.h, 'handle users');
      const m = f[o + S_MM];
      items[m * S * A + count[m]++] = (k * A + t) * GH + L.devInGroup[f[o + S_DEV]] * L.h + users - 1;
    }
    for (let m = 0; m < nm; m++) {
      let i = m;
      if (this.sym) while (i > 0 && this.mmLess(m, order[i - 1])) { order[i] = order[i - 1]; i--; }
      order[i] = m;
    }
    for (let i = 0; i < nm; i++) this.rank[order[i]] = i;
    this.write(f, map, dst);
  }

  /**
   * A signature per interchangeable group that no relabelling of mms or of such groups changes:
   * its slots' kinds, devices, users and owners' colours, hashed. Owners are first coloured by
   * their heads; then (refinement) by their head and the signatures of the slots they own.
   */
  private signatures(f: Int32Array): void {
    const L = this.L, A = this.A, nm = L.nm;
    for (let m = 0; m < nm; m++) {
      let h = 0x9e3779b9 | 0;
      for (let t = 0; t < A; t++) h = mix(mix(h, this.head[m * A + t] >>> 0), Math.floor(this.head[m * A + t] / 4294967296));
      this.color[m] = h >>> 0;
    }
    this.groupSignatures(f);
    // Refinement: an mm's colour also holds what it owns (a commutative sum, so no order of
    // groups enters), then the groups are signed again with the refined colours.
    const { inClass, acc } = this;
    acc.fill(0);
    for (let k = 0; k < L.slots; k++) for (let t = 0; t < A; t++) {
      const o = t * L.n + L.slotBase + k * SLOT_REC;
      if (f[o + S_KIND] !== K_SVA) continue;
      const g = L.slotGroup[k];
      const item = inClass[g] ? mix(mix(mix(1, this.sig[g]), k - this.slotFrom[g]), t) : mix(mix(2, k), t);
      acc[f[o + S_MM]] += mix(item, f[o + S_USERS] * 64 + L.devInGroup[f[o + S_DEV]]) >>> 0;
    }
    for (let m = 0; m < nm; m++) this.color[m] = mix(this.color[m] | 0, acc[m] % 4294967296) >>> 0;
    this.groupSignatures(f);
  }

  private groupSignatures(f: Int32Array): void {
    const L = this.L, A = this.A, n = L.n;
    for (const members of this.classes) {
      for (let i = 0; i < members.length; i++) {
        const g = members[i];
        let h = 0x811c9dc5 | 0;
        for (let k = this.slotFrom[g]; k < this.slotTo[g]; k++) for (let t = 0; t < A; t++) {
          const o = t * n + L.slotBase + k * SLOT_REC, kind = f[o + S_KIND];
          h = mix(h, kind === K_EMPTY ? 0 : kind * 4096 + L.devInGroup[f[o + S_DEV]] * 64 + f[o + S_USERS]);
          if (kind === K_SVA) h = mix(h, this.color[f[o + S_MM]]);
          h ^= h >>> 15;
        }
        this.sig[g] = h >>> 0;
      }
    }
  }

  /**
   * Sort each class by signature and split it into tie blocks (equal signatures); inside a
   * block, label each group by its content (groups equal slot for slot, owners included, share
   * a label: swapping them leaves the state as it is). The orders tried are the distinct
   * arrangements of each block's labels, block by block: the set of them moves with the state
   * under symmetry, so the least packing over it is canonical. Returns how many there are.
   */
  private orders(f: Int32Array): number {
    this.blocks = [];
    let total = 1;
    this.classes.forEach((members, c) => {
      const s = this.sorted[c], lab = this.label[c];
      s.set(members);
      s.sort((x, y) => this.sig[x] - this.sig[y] || x - y);
      for (let i = 0; i < s.length; i++) lab[i] = i;
      for (let from = 0; from < s.length;) {
        let to = from + 1;
        while (to < s.length && this.sig[s[to]] === this.sig[s[from]]) to++;
        if (to - from > 1) {
          const pools = new Map<number, number[]>();
          for (let i = from; i < to; i++) {
            let l = i;
            for (let j = from; j < i; j++) if (lab[j] === j && this.sameContent(f, s[j], s[i])) { l = j; break; }
            lab[i] = l;
            const pool = pools.get(l);
            if (pool) pool.push(s[i]); else pools.set(l, [s[i]]);
          }
          if (pools.size > 1) {
            // The multinomial (to-from)! / prod(size!), one factor at a time.
            let ways = 1, k = 0;
            for (const pool of pools.values()) for (let i = 1; i <= pool.length; i++) { k++; ways = (ways * k) / i; }
            total = Math.min(total * Math.round(ways), Number.MAX_SAFE_INTEGER);
            lab.subarray(from, to).sort();
            this.blocks.push({ c, from, to, pools });
          } else for (let i = from; i < to; i++) lab[i] = i;   // all equal: one order is every order
        }
        from = to;
      }
    });
    return total;
  }

  /** Set q (canonical group → original group) and the slot map from the current arrangement. */
  private applyOrder(): void {
    const L = this.L;
    this.classes.forEach((members, c) => { const s = this.sorted[c]; for (let i = 0; i < s.length; i++) this.q[members[i]] = s[i]; });
    for (const { c, from, to, pools } of this.blocks) {
      const members = this.classes[c], lab = this.label[c], taken = new Map<number, number>();
      for (let i = from; i < to; i++) {
        const k = taken.get(lab[i]) ?? 0;
        this.q[members[i]] = pools.get(lab[i])![k];
        taken.set(lab[i], k + 1);
      }
    }
    for (let k = 0; k < L.slots; k++) { const g = L.slotGroup[k]; this.map[k] = this.slotFrom[this.q[g]] + (k - this.slotFrom[g]); }
  }

  /** The next arrangement (an odometer over the blocks, each a next-permutation of its labels); false after the last. */
  private nextOrder(): boolean {
    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const { c, from, to } = this.blocks[b];
      if (nextPermutation(this.label[c], from, to)) return true;
    }
    return false;
  }

  private sameContent(f: Int32Array, x: number, y: number): boolean {
    const L = this.L;
    for (let t = 0; t < this.A; t++) {
      const bx = t * L.n + L.slotBase + this.slotFrom[x] * SLOT_REC, by = t * L.n + L.slotBase + this.slotFrom[y] * SLOT_REC;
      for (let i = 0; i < (this.slotTo[x] - this.slotFrom[x]) * SLOT_REC; i++) {
        if (i % SLOT_REC === S_DEV) { if (L.devInGroup[f[bx + i]] !== L.devInGroup[f[by + i]]) return false; }  // each group's own device
        else if (f[bx + i] !== f[by + i]) return false;
      }
    }
    return true;
  }

  /** The mm order of canonical form: heads, then owned slot items; a shorter list first. */
  private mmLess(a: number, b: number): boolean {
    const A = this.A, SA = this.L.slots * A;
    for (let t = 0; t < A; t++) { const d = this.head[a * A + t] - this.head[b * A + t]; if (d !== 0) return d < 0; }
    const na = this.count[a], nb = this.count[b];
    for (let i = 0; i < na && i < nb; i++) {
      const d = this.items[a * SA + i] - this.items[b * SA + i];
      if (d !== 0) return d < 0;
    }
    return na < nb;
  }

  private put(value: number, width: number): void {
    if (width === 0) return;
    const w = this.pos >>> 5, b = this.pos & 31;
    this.dst[w] |= value << b;
    if (b + width > 32) this.dst[w + 1] |= value >>> (32 - b);
    this.pos += width;
  }

  private write(f: Int32Array, map: Int32Array, dst: Uint32Array): void {
    const L = this.L, A = this.A, n = L.n;
    dst.fill(0);
    this.dst = dst;
    this.pos = 0;
    // An mm record is its head: status, PASID code and domain users as one number.
    for (let i = 0; i < L.nm; i++) {
      const m = this.order[i];
      for (let t = 0; t < A; t++) {
        const head = this.head[m * A + t];
        if (this.recW <= 30) this.put(head, this.recW);
        else for (let w = this.recW; w > 0; w -= 30) this.put(Math.floor(head / 2 ** (w - Math.min(w, 30))) % 2 ** Math.min(w, 30), Math.min(w, 30));
      }
    }
    for (let t = 0; t < A; t++) {
      for (let k = 0; k < L.slots; k++) {
        const code = this.slotCode(f, t * n + L.slotBase + map[k] * SLOT_REC);
        if (code === 0) this.pos += L.slotW;                             // dst is zeroed
        else this.put(code, L.slotW);
      }
      let pos = this.pos;
      for (let i = 0; i < L.u; i++, pos++) if (f[t * n + L.idaBase + i]) dst[pos >>> 5] |= 1 << (pos & 31);
      for (let i = 0; i < L.u; i++, pos++) if (f[t * n + L.heldBase + i]) dst[pos >>> 5] |= 1 << (pos & 31);
      this.pos = pos;
      for (let s = 0; s < L.ns; s++) {                                   // ioasid-2020's sets: quota, held flags
        const o = t * n + L.setBase + s * (1 + L.u);
        this.put(f[o], L.quotaW);
        for (let i = 0; i < L.u; i++) this.put(f[o + 1 + i], 1);
      }
    }
  }

  private get(words: Uint32Array, base: number, width: number): number {
    if (width === 0) return 0;
    const w = base + (this.pos >>> 5), b = this.pos & 31;
    let v = words[w] >>> b;
    if (b + width > 32) v |= words[w + 1] << (32 - b);
    this.pos += width;
    return width === 32 ? v >>> 0 : v & ((1 << width) - 1);
  }

  /** Unpack the tuple stored at words[base .. base+W) into flat states f[0 ..). */
  unpack(words: Uint32Array, base: number, f: Int32Array): void {
    const L = this.L, A = this.A, cfg = this.space.cfg;
    f.fill(0, 0, A * L.n);
    this.pos = 0;
    for (let m = 0; m < L.nm; m++) for (let t = 0; t < A; t++) {
      const o = t * L.n + m * L.mmRec;
      let head = 0, dc = 0;
      if (this.recW <= 30) {                                             // one word's bits: shifts (every radix is a power of two)
        head = this.get(words, base, this.recW);
        if (L.asidW > 0) for (let j = L.ni - 1; j >= 0; j--) { f[o + L.asidOff + j] = head & (this.asidLimit - 1); head >>>= L.asidW; }
        for (let j = L.ni - 1; j >= 0; j--) { f[o + M_DOM + j] = head & (this.domLimit[j] - 1); head >>>= L.domW[j]; }
        dc = head & (this.dataScale - 1);
        f[o + M_STATUS] = head >>> L.dataW;
      } else {
        for (let w = this.recW; w > 0; w -= 30) head = head * 2 ** Math.min(w, 30) + this.get(words, base, Math.min(w, 30));
        if (L.asidW > 0) for (let j = L.ni - 1; j >= 0; j--) { f[o + L.asidOff + j] = head % this.asidLimit; head = Math.floor(head / this.asidLimit); }
        for (let j = L.ni - 1; j >= 0; j--) { f[o + M_DOM + j] = head % this.domLimit[j]; head = Math.floor(head / this.domLimit[j]); }
        dc = head % this.dataScale;
        f[o + M_STATUS] = Math.floor(head / this.dataScale);
      }
      f[o + M_PASID] = dc === 0 ? -1 : (dc - 1) >> 1;
      f[o + M_GLOBAL] = dc === 0 ? 0 : (dc - 1) & 1;
    }
    if (L.asidW === 0) {                                                  // ASIDs not packed: number the domains
      for (let t = 0; t < A; t++) {
        let next = 1;
        for (let m = 0; m < L.nm; m++) for (let j = 0; j < L.ni; j++) {
          const o = t * L.n + m * L.mmRec;
          if (f[o + M_DOM + j] > 0) f[o + L.asidOff + j] = next++;
        }
      }
    }
    for (let t = 0; t < A; t++) {
      for (let k = 0; k < L.slots; k++) {
        const c = this.get(words, base, L.slotW), o = t * L.n + L.slotBase + k * SLOT_REC;
        if (c === 0) continue;
        const devs = cfg.groups[L.slotGroup[k]].devices;
        if (c <= L.kc * L.g) { f[o + S_KIND] = c <= L.g ? K_KERNEL : K_HANDLE; f[o + S_DEV] = devs[(c - 1) % L.g]; continue; }
        const x = c - 1 - L.kc * L.g;
        f[o + S_KIND] = K_SVA;
        f[o + S_USERS] = (x % L.h) + 1;
        f[o + S_DEV] = devs[Math.floor(x / L.h) % L.g];
        f[o + S_MM] = Math.floor(x / (L.h * L.g));
      }
      for (let i = 0; i < L.u; i++) f[t * L.n + L.idaBase + i] = this.get(words, base, 1);
      for (let i = 0; i < L.u; i++) f[t * L.n + L.heldBase + i] = this.get(words, base, 1);
      for (let s = 0; s < L.ns; s++) {
        const o = t * L.n + L.setBase + s * (1 + L.u);
        f[o] = this.get(words, base, L.quotaW);
        for (let i = 0; i < L.u; i++) f[o + 1 + i] = this.get(words, base, 1);
      }
    }
  }
}

/** Write `value` into the `width` bits at bit position pos of words (clearing what was there). */
function setBits(words: Uint32Array, pos: number, width: number, value: number): void {
  if (width === 0) return;
  const w = pos >>> 5, b = pos & 31;
  const lowWidth = Math.min(width, 32 - b);
  const lowMask = lowWidth === 32 ? 0xffffffff : ((1 << lowWidth) - 1) << b;
  words[w] = (words[w] & ~lowMask) | ((value << b) & lowMask);
  if (lowWidth < width) {
    const highMask = (1 << (width - lowWidth)) - 1;
    words[w + 1] = (words[w + 1] & ~highMask) | ((value >>> lowWidth) & highMask);
  }
}

/** 32-bit FNV-style mixing of one more value into h. */
const mix = (h: number, v: number): number => Math.imul(h ^ v, 0x01000193);

/** Rearrange a[from, to) into the next arrangement in lexicographic order; false (and sorted again) after the last. */
function nextPermutation(a: Int32Array, from: number, to: number): boolean {
  let i = to - 2;
  while (i >= from && a[i] >= a[i + 1]) i--;
  if (i < from) { a.subarray(from, to).reverse(); return false; }
  let j = to - 1;
  while (a[j] <= a[i]) j--;
  const x = a[i]; a[i] = a[j]; a[j] = x;
  a.subarray(i + 1, to).reverse();
  return true;
}

function lessWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

// ---------------------------------------------------------------------------------------------
// On spec states (trace reconstruction, walks, tests)

const tools = new WeakMap<Space, { flat: Int32Array; packer: Packer }>();
const toolsOf = (space: Space): { flat: Int32Array; packer: Packer } => {
  let x = tools.get(space);
  if (!x) { x = { flat: new Int32Array(space.arity * space.layout.n), packer: new Packer(space) }; tools.set(space, x); }
  return x;
};

/** Encode a tuple of spec states into `out` (see Packer.pack). */
export function encode(space: Space, sts: readonly State[], out: Uint32Array): void {
  const { flat, packer } = toolsOf(space);
  sts.forEach((st, t) => toFlat(space, st, flat, t * space.layout.n));
  packer.pack(flat, out);
}

/** Decode the t-th state of the tuple stored at words[base .. base+W). */
export function decode(space: Space, words: Uint32Array, base: number, t = 0): State {
  const { flat, packer } = toolsOf(space);
  packer.unpack(words, base, flat);
  return fromFlat(space, flat, t * space.layout.n);
}

/** Whether a spec state lies beyond the bounds (a handle with too many users). */
export function beyondBounds(space: Space, st: State): boolean {
  for (const g of st.slots) {
    const privates = new Set<number>();
    for (const [p, s] of g) {
      if (s.kind !== 'sva') continue;
      if (s.users > space.bounds.handleUsers) return true;
      if (p === st.mms[s.mm].data?.pasid) continue;                     // sva-2018: one private bond per (mm, group)
      if (privates.has(s.mm)) return true;
      privates.add(s.mm);
    }
  }
  return false;
}
