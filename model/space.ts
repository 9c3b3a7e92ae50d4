/**
 * The state space of one configuration: the operations offered in each state (honouring the
 * caller contract and the bounds), and a compact canonical encoding of spec states.
 *
 * Encoding. A state (or a tuple of states of several variants driven together, for `diff`)
 * is packed into W 32-bit words: per mm one fixed-width record — status, PASID (an index into
 * the PASID universe U, with the global bit), SVA domain users per IOMMU, and for every
 * (group, PASID) slot it owns the handle's device and users — then the non-SVA attaches per
 * slot, then the global allocator and the alloc_global holders as bitmaps over U. A value
 * outside the encoding (a PASID outside U, a count beyond its field) throws EncodingError:
 * the tool reports that it broke rather than silently merging states.
 *
 * Symmetry. Processes are interchangeable, and so are devices with identical configuration
 * (same ssid_bits and IOMMU, each alone in its group). Canonical form: for each permutation
 * of interchangeable devices, sort the mm records (a record holds everything that names its
 * mm, so mms with equal records are swapped without changing the state), pack, and keep the
 * least word sequence. Two states get the same canonical words iff one is a permutation of
 * the other.
 */
import { contractBreach, maxPasids, type Config, type SpecOp, type State, type Variant, type Slot } from '../spec/index.ts';
import type { OpName } from '../vocab/index.ts';
import { resolveSetup } from '../vocab/setup.ts';
import type { Bounds, ModelConfig } from './config.ts';

export class EncodingError extends Error {}

const bitsFor = (maxValue: number): number => (maxValue <= 0 ? 0 : 32 - Math.clz32(maxValue));

interface Field { readonly width: number }

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
  /** Device-group permutations used by symmetry (identity first); length 1 without symmetry. */
  readonly groupPerms: readonly (readonly number[])[];
  readonly symmetry: boolean;
  /** The size of the symmetry group: processes! × product of (identical devices)!. */
  readonly symmetryOrder: number;
  readonly layout: Layout;
}

interface Layout {
  readonly uIndex: ReadonlyMap<number, number>;
  /** Per group: universe indices usable as slots (below every device's range in the group). */
  readonly slotPasids: readonly (readonly number[])[];
  /** First flat slot index of each group; slots are numbered group by group. */
  readonly slotOffset: readonly number[];
  readonly slotCount: number;
  readonly statusW: number;
  readonly dataW: number;
  readonly domW: readonly number[];
  readonly bondW: number;
  readonly devW: number;
  /** Field widths of one mm record for one state: status, data, domains..., slots... */
  readonly fieldW: readonly number[];
  readonly recordBits: number;
  /** Field ranges [from, to) of the tuple record packed into sort keys of at most 52 bits. */
  readonly chunks: readonly (readonly [number, number])[];
  /** Per group: PASID → its index among the group's slot PASIDs. */
  readonly slotPos: readonly ReadonlyMap<number, number>[];
  /** Per device: its index in its group's device list. */
  readonly devInGroup: readonly number[];
  /** Per group permutation: flat slot index in the canonical labelling → in the original. */
  readonly slotMaps: readonly Int32Array[];
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

function permutations(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [[...xs]];
  const out: number[][] = [];
  xs.forEach((x, i) => { for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]); });
  return out;
}

/** The local PASIDs tried on a device: 0, 1..min(max-1, K), and max (the first out-of-range). */
export function triedPasids(cfg: Config, dev: number, k: number): number[] {
  const max = maxPasids(cfg, dev);
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
  // alloc_global holders, lowest first, so ids 1..nm+holders).
  const maxDev = Math.max(0, ...cfg.devices.map((_, d) => maxPasids(cfg, d)));
  const u = new Set<number>();
  for (const t of tried) for (const p of t) if (p > 0) u.add(p);
  for (let p = 1; p <= Math.min(maxDev - 1, nm + bounds.allocGlobalHolders); p++) u.add(p);
  const universe = [...u].sort((a, b) => a - b);
  const uIndex = new Map(universe.map((p, i) => [p, i]));

  const slotPasids = cfg.groups.map((g) => {
    const limit = Math.min(...g.devices.map((d) => maxPasids(cfg, d)));
    return universe.map((p, i) => (p < limit ? i : -1)).filter((i) => i >= 0);
  });
  const maxGroupDevs = Math.max(1, ...cfg.groups.map((g) => g.devices.length));
  const devW = bitsFor(maxGroupDevs - 1);
  const bondW = bitsFor(maxGroupDevs * bounds.handleUsers);
  const domMax = cfg.iommus.map((_, i) => cfg.groups.reduce((n, g, gi) =>
    n + (cfg.devices[g.devices[0]].iommu === i ? slotPasids[gi].length : 0), 0));
  const domW = domMax.map(bitsFor);
  const statusW = 2, dataW = bitsFor(2 * universe.length);
  const slotCount = slotPasids.reduce((n, s) => n + s.length, 0);
  const recordBits = statusW + dataW + domW.reduce((a, b) => a + b, 0) + slotCount * bondW;
  const arity = variants.length;
  const kernelBits = slotPasids.reduce((n, s) => n + s.length * bitsFor(maxGroupDevs), 0);
  const totalBits = arity * (nm * recordBits + kernelBits + 2 * universe.length);
  const words = Math.max(1, Math.ceil(totalBits / 32));

  // Interchangeable devices: same ssid_bits and IOMMU, each alone in its group.
  const classes = new Map<string, number[]>();
  cfg.groups.forEach((g, gi) => {
    if (g.devices.length !== 1) return;
    const d = cfg.devices[g.devices[0]];
    const key = `${d.ssidBits}/${d.iommu}`;
    classes.set(key, [...(classes.get(key) ?? []), gi]);
  });
  let groupPerms: number[][] = [cfg.groups.map((_, i) => i)];
  let symmetryOrder = 1;
  if (symmetry) {
    symmetryOrder = factorial(nm);
    for (const members of classes.values()) {
      if (members.length < 2) continue;
      symmetryOrder *= factorial(members.length);
      const next: number[][] = [];
      for (const base of groupPerms) for (const p of permutations(members)) {
        const q = base.slice();
        members.forEach((m, i) => { q[m] = base[p[i]]; });
        next.push(q);
      }
      groupPerms = next;
    }
  }

  const templates: SpecOp[] = [];
  const has = (o: OpName) => ops.includes(o);
  for (let m = 0; m < nm; m++) for (let d = 0; d < nd; d++) {
    if (has('bind')) templates.push({ op: 'bind', dev: d, mm: m });
    if (has('bind_pasid')) for (const p of tried[d]) templates.push({ op: 'bind_pasid', dev: d, mm: m, pasid: p });
  }
  for (let g = 0; g < ng; g++) for (const ui of slotPasids[g]) {
    if (has('unbind')) templates.push({ op: 'unbind', group: g, pasid: universe[ui] });
    if (has('get_pasid')) templates.push({ op: 'get_pasid', group: g, pasid: universe[ui] });
  }
  for (let m = 0; m < nm; m++) {
    if (has('enqcmd_pasid')) templates.push({ op: 'enqcmd_pasid', mm: m });
    if (has('mm_exit')) templates.push({ op: 'mm_exit', mm: m });
  }
  for (let d = 0; d < nd; d++) if (has('alloc_global') && bounds.allocGlobalHolders > 0) templates.push({ op: 'alloc_global', dev: d });
  if (has('free_global') && has('alloc_global')) for (const p of universe) templates.push({ op: 'free_global', pasid: p });
  for (let d = 0; d < nd; d++) for (const p of tried[d]) {
    if (has('attach_pasid')) templates.push({ op: 'attach_pasid', dev: d, pasid: p });
    if (has('detach_pasid') && has('attach_pasid') && p > 0 && cfg.devices[d].iommu !== null) templates.push({ op: 'detach_pasid', dev: d, pasid: p });
    if (has('dma')) templates.push({ op: 'dma', dev: d, pasid: p });
  }

  const slotOffset: number[] = [];
  slotPasids.reduce((n, sp, g) => { slotOffset[g] = n; return n + sp.length; }, 0);
  const fieldW = [statusW, dataW, ...domW, ...new Array<number>(slotCount).fill(bondW)];
  const tupleW = Array.from({ length: arity }, () => fieldW).flat();
  const chunks: [number, number][] = [];
  for (let f = 0, from = 0, bits = 0; f <= tupleW.length; f++) {
    if (f === tupleW.length || bits + tupleW[f] > 52) { if (f > from) chunks.push([from, f]); from = f; bits = 0; }
    if (f < tupleW.length) bits += tupleW[f];
  }
  const slotMaps = groupPerms.map((gp) => {
    const m = new Int32Array(slotCount);
    gp.forEach((src, g) => slotPasids[g].forEach((_, j) => { m[slotOffset[g] + j] = slotOffset[src] + j; }));
    return m;
  });
  const slotPos = slotPasids.map((sp) => new Map(sp.map((ui, j) => [universe[ui], j])));
  const devInGroup = cfg.devices.map((d, i) => (d.iommu === null ? 0 : cfg.groups[d.group].devices.indexOf(i)));
  const layout: Layout = { uIndex, slotPasids, slotPos, devInGroup, slotOffset, slotCount, statusW, dataW, domW, bondW, devW: bitsFor(maxGroupDevs), fieldW, recordBits, chunks, slotMaps };
  return { cfg, bounds, templates, universe, tried, words, arity, groupPerms, symmetry, symmetryOrder, layout };
}

/** The templates a caller may issue in st (contract and bounds); `self` marks queries. */
export function enabled(space: Space, v: Variant, st: State, t: SpecOp): boolean {
  if (t.op === 'alloc_global' && st.kernelHeld.length >= space.bounds.allocGlobalHolders) return false;
  return contractBreach(v, space.cfg, st, t) === null;
}

/** Whether a successor lies beyond the bounds (a handle with too many users): it is cut. */
export function beyondBounds(space: Space, st: State): boolean {
  for (const g of st.slots) for (const s of g.values()) if (s.kind === 'sva' && s.users > space.bounds.handleUsers) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const STATUS_OF = ['live', 'exited', 'gone'] as const;

class BitWriter {
  pos = 0;
  constructor(readonly out: Uint32Array) {}
  put(value: number, width: number): void {
    if (width === 0) return;
    const w = this.pos >>> 5, b = this.pos & 31;
    this.out[w] |= value << b;
    if (b + width > 32) this.out[w + 1] |= value >>> (32 - b);
    this.pos += width;
  }
}

class BitReader {
  pos = 0;
  constructor(readonly src: Uint32Array, readonly base: number) {}
  get(width: number): number {
    if (width === 0) return 0;
    const w = this.base + (this.pos >>> 5), b = this.pos & 31;
    let v = this.src[w] >>> b;
    if (b + width > 32) v |= this.src[w + 1] << (32 - b);
    this.pos += width;
    return width === 32 ? v >>> 0 : v & ((1 << width) - 1);
  }
}

function uidx(space: Space, p: number): number {
  const i = space.layout.uIndex.get(p);
  if (i === undefined) throw new EncodingError(`PASID ${p} lies outside the model's PASID universe [${space.universe.join(', ')}]`);
  return i;
}

const check = (v: number, width: number, what: string): number => {
  if (v >= 2 ** width) throw new EncodingError(`${what} = ${v} does not fit the encoding (${width} bits)`);
  return v;
};

/** Validate a state against the encoding's reach before encoding (slots in range). */
export function encodable(space: Space, st: State): void {
  st.slots.forEach((g, gi) => {
    for (const p of g.keys()) {
      const ui = uidx(space, p);
      if (!space.layout.slotPasids[gi].includes(ui)) throw new EncodingError(`slot at PASID ${p} lies beyond group ${space.cfg.groups[gi].name}'s range`);
    }
  });
}

/** Scratch arrays of one encoder, sized for its space. */
interface Scratch {
  readonly fields: Float64Array;    // per mm: the tuple record's fields (canonical labelling)
  readonly base: Float64Array;      // per mm: the tuple record's fields before slot relabelling
  readonly owner: Int32Array;       // per state and flat slot: owning mm or -1
  readonly code: Int32Array;        // per state and flat slot: bond code (sva) or kernel code
  readonly keys: Float64Array;      // per mm: sort keys (chunks)
  readonly order: number[];
  readonly words: Uint32Array;
}
const scratches = new WeakMap<Space, Scratch>();
function scratchOf(space: Space): Scratch {
  let s = scratches.get(space);
  if (!s) {
    const nm = space.cfg.mms.length, F = space.layout.fieldW.length * space.arity, S = space.layout.slotCount;
    s = {
      fields: new Float64Array(nm * F), base: new Float64Array(nm * F), owner: new Int32Array(space.arity * S),
      code: new Int32Array(space.arity * S), keys: new Float64Array(nm * space.layout.chunks.length),
      order: Array.from({ length: nm }, (_, i) => i), words: new Uint32Array(space.words),
    };
    scratches.set(space, s);
  }
  return s;
}

/**
 * Encode a tuple of states into `out` (W words): the canonical form when the space has
 * symmetry (least packing over device permutations, mm records sorted), the identity
 * labelling otherwise. Layout: per mm its record for every state of the tuple; then per state
 * the non-SVA attaches per slot, the allocator bitmap and the holders bitmap.
 */
export function encode(space: Space, sts: readonly State[], out: Uint32Array, _scratch?: Uint32Array): void {
  const L = space.layout, cfg = space.cfg, nm = cfg.mms.length, S = L.slotCount, H = space.bounds.handleUsers;
  const nf = L.fieldW.length, F = nf * sts.length, nDom = L.domW.length;
  const sc = scratchOf(space);
  const { fields, base, owner, code, keys, order } = sc;
  // Perm-independent parts: mm base fields, and per slot its owner and code.
  for (let t = 0; t < sts.length; t++) {
    const st = sts[t];
    for (let m = 0; m < nm; m++) {
      const mm = st.mms[m], b = m * F + t * nf;
      base[b] = mm.status === 'live' ? 0 : mm.status === 'exited' ? 1 : 2;
      base[b + 1] = mm.data === null ? 0 : 1 + 2 * uidx(space, mm.data.pasid) + (mm.data.global ? 1 : 0);
      for (let i = 0; i < nDom; i++) base[b + 2 + i] = check(mm.domains[i], L.domW[i], 'SVA domain users');
    }
    owner.fill(-1, t * S, (t + 1) * S);
    code.fill(0, t * S, (t + 1) * S);
    for (let g = 0; g < L.slotPasids.length; g++) {
      const slots = st.slots[g];
      if (slots.size === 0) continue;
      const pos = L.slotPos[g], off = t * S + L.slotOffset[g];
      for (const [p, s] of slots) {
        const j = pos.get(p);
        if (j === undefined) { encodable(space, st); throw new EncodingError(`slot at PASID ${p} lies outside the encoding`); }
        if (s.kind === 'sva') { owner[off + j] = s.mm; code[off + j] = check(1 + L.devInGroup[s.dev] * H + (s.users - 1), L.bondW, 'handle users'); }
        else { owner[off + j] = -2; code[off + j] = 1 + L.devInGroup[s.dev]; }
      }
    }
  }
  const target = sc.words;
  let first = true;
  for (const map of L.slotMaps) {
    fields.set(base);
    for (let t = 0; t < sts.length; t++) {
      for (let m = 0; m < nm; m++) fields.fill(0, m * F + t * nf + 2 + nDom, m * F + (t + 1) * nf);
      for (let k = 0; k < S; k++) {
        const src = t * S + map[k], o = owner[src];
        if (o >= 0) fields[o * F + t * nf + 2 + nDom + k] = code[src];
      }
    }
    if (space.symmetry) {
      const C = L.chunks.length;
      for (let m = 0; m < nm; m++) {
        for (let c = 0; c < C; c++) {
          const [from, to] = L.chunks[c];
          let key = 0;
          for (let f = from; f < to; f++) key = key * 2 ** L.fieldW[f % nf] + fields[m * F + f];
          keys[m * C + c] = key;
        }
      }
      // Insertion sort of the mm indexes by key: nm is small.
      for (let m = 0; m < nm; m++) {
        let i = m;
        while (i > 0 && keyLess(keys, C, m, order[i - 1])) { order[i] = order[i - 1]; i--; }
        order[i] = m;
      }
    }
    const dst = first ? out : target;
    dst.fill(0);
    const w = new BitWriter(dst);
    for (let i = 0; i < nm; i++) {
      const m = order[i];
      for (let f = 0; f < F; f++) w.put(fields[m * F + f], L.fieldW[f % nf]);
    }
    for (let t = 0; t < sts.length; t++) {
      for (let k = 0; k < S; k++) { const src = t * S + map[k]; w.put(owner[src] === -2 ? code[src] : 0, L.devW); }
      const st = sts[t];
      let bits = w.pos;
      for (const p of st.ida) setBit(dst, bits + uidx(space, p));
      bits += space.universe.length;
      for (const p of st.kernelHeld) setBit(dst, bits + uidx(space, p));
      w.pos = bits + space.universe.length;
    }
    if (first) first = false;
    else if (lessWords(target, out)) out.set(target);
  }
}

function keyLess(keys: Float64Array, C: number, a: number, b: number): boolean {
  for (let c = 0; c < C; c++) { const d = keys[a * C + c] - keys[b * C + c]; if (d !== 0) return d < 0; }
  return false;
}

const setBit = (a: Uint32Array, bit: number): void => { a[bit >>> 5] |= 1 << (bit & 31); };

function lessWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Decode the t-th state of the tuple stored at words[base .. base+W). */
export function decode(space: Space, words: Uint32Array, base: number, t = 0): State {
  const L = space.layout, cfg = space.cfg, nm = cfg.mms.length, H = space.bounds.handleUsers;
  const r = new BitReader(words, base);
  const slots: Map<number, Slot>[] = cfg.groups.map(() => new Map());
  const mms = [];
  for (let m = 0; m < nm; m++) {
    r.pos = (m * space.arity + t) * L.recordBits;
    const status = STATUS_OF[r.get(L.statusW)];
    const dc = r.get(L.dataW);
    const data = dc === 0 ? null : { pasid: space.universe[(dc - 1) >> 1], global: ((dc - 1) & 1) === 1 };
    const domains = L.domW.map((w) => r.get(w));
    for (let g = 0; g < cfg.groups.length; g++) for (const ui of L.slotPasids[g]) {
      const c = r.get(L.bondW);
      if (c === 0) continue;
      const dev = cfg.groups[g].devices[Math.floor((c - 1) / H)];
      slots[g].set(space.universe[ui], { kind: 'sva', mm: m, dev, users: ((c - 1) % H) + 1 });
    }
    mms.push({ status, data, domains });
  }
  const tail = L.slotCount * L.devW + 2 * space.universe.length;
  r.pos = nm * space.arity * L.recordBits + t * tail;
  for (let g = 0; g < cfg.groups.length; g++) for (const ui of L.slotPasids[g]) {
    const c = r.get(L.devW);
    if (c !== 0) slots[g].set(space.universe[ui], { kind: 'kernel', dev: cfg.groups[g].devices[c - 1] });
  }
  const ida: number[] = [], kernelHeld: number[] = [];
  for (let ui = 0; ui < space.universe.length; ui++) if (r.get(1)) ida.push(space.universe[ui]);
  for (let ui = 0; ui < space.universe.length; ui++) if (r.get(1)) kernelHeld.push(space.universe[ui]);
  // Slots in ascending PASID order, as the spec builds them, so iteration order is stable.
  const sorted = slots.map((m) => (m.size < 2 ? m : new Map([...m].sort((a, b) => a[0] - b[0]))));
  return { mms, slots: sorted, ida, kernelHeld };
}
