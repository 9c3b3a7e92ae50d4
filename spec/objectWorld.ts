/**
 * The object backend of the state interface (world.ts): reads and writes on the immutable
 * State objects of state.ts, copy-on-write (a write replaces the objects on its path), and the
 * outcome as a vocabulary Result. `step` runs one operation on it: what traces, replay,
 * conformance and the driver call. It holds no rule.
 */
import { R, type Errno, type FaultKind, type Result } from '../vocab/index.ts';
import { act } from './ops.ts';
import type { ApiRuleId } from './rules.ts';
import { SlotMap, lowerBound } from './slotMap.ts';
import type { Config, IoasidSet, Mm, MmData, Slot, State } from './state.ts';
import type { SpecOp, Step, Variant } from './step.ts';
import { NONE, scanSvaPasids, type MmStatus, type SlotKind, type World } from './world.ts';

export class ObjectWorld implements World {
  result: Result = R.ok;
  rule: ApiRuleId = 'B1';
  effects: ApiRuleId[] | undefined = undefined;
  /**
   * The slots this step wrote, as (group, PASID) pairs in one flat list, in the order written
   * (a slot may appear more than once): what the driver reads to follow handles without
   * walking a whole group.
   */
  wrote: number[] = [];
  /** How many entries of `wrote` this step wrote: the list is kept from step to step, and what lies beyond is stale. */
  wroteLength = 0;

  constructor(public cfg: Config, public st: State) {
    this.mmChunks = cfg.mms.length > LARGE_MMS ? chunksOf.get(st) ?? null : null;
  }

  /**
   * Start a new step on st: the same world, reset, instead of a new one per step (the driver
   * runs one step at a time). Nothing of the previous step stays: the outcome, the written
   * slots and which parts of the state this step owns.
   */
  start(cfg: Config, st: State): this {
    this.cfg = cfg;
    this.st = st;
    this.mmChunks = cfg.mms.length > LARGE_MMS ? chunksOf.get(st) ?? null : null;
    this.result = R.ok;
    this.rule = 'B1';
    this.effects = undefined;
    this.wroteLength = 0;
    this.own = this.ownMms = this.ownSlots = this.ownIda = this.ownHeld = false;
    this.ownAsids = null;
    this.idaAt = 0;
    if (this.ownGroups.length > 0) this.ownGroups = [];
    if (this.ownMmChunks.length > 0) this.ownMmChunks = [];
    return this;
  }

  // --- reads
  /**
   * Where `allocated` last found its id in the allocator's list: a rule that walks the ids in
   * order (over idaPasids: invariants.ts, findings.ts) asks the next element next. Only where to look first: the
   * element found there is compared, so the answer is a search's wherever it points.
   */
  private idaAt = 0;
  /** The mm records of st in chunks (a large setup's, see chunksOf), or null: st.mms is a plain list. */
  private mmChunks: Mm[][] | null = null;
  private mmOf(mm: number): Mm {
    const c = this.mmChunks;
    return c === null ? this.st.mms[mm] : c[mm >> MM_SHIFT][mm & MM_MASK];
  }
  status(mm: number): MmStatus { return this.mmOf(mm).status; }
  pasid(mm: number): number { return this.mmOf(mm).data?.pasid ?? NONE; }
  isGlobal(mm: number): boolean { return this.mmOf(mm).data?.global ?? false; }
  domainUsers(mm: number, iommu: number): number { return this.mmOf(mm).domains[iommu]; }
  asid(mm: number, iommu: number): number { return this.mmOf(mm).asids[iommu]; }
  asidUsed(asid: number): boolean {
    if (this.cfg.mms.length <= LARGE_MMS) {                              // a few mms: read them all
      for (const m of this.st.mms) if (m.asids.includes(asid)) return true;
      return false;
    }
    return indexOf(this.asidsInUse(), asid) >= 0;
  }
  /**
   * A large setup's ASIDs in use (asidsOf): st's own list, or the one built from st's mm
   * records when st has none yet (a state this backend did not write: the setup's first one).
   */
  private asidsInUse(): readonly number[] {
    let list = asidsOf.get(this.st);
    if (list === undefined) {
      const built: number[] = [];
      for (let m = 0, n = this.cfg.mms.length; m < n; m++) for (const a of this.mmOf(m).asids) if (a !== 0) built.push(a);
      asidsOf.set(this.st, list = built.sort((a, b) => a - b));
    }
    return list;
  }
  private slot(group: number, pasid: number): Slot | undefined { return this.st.slots[group].get(pasid); }
  slotKind(group: number, pasid: number): SlotKind {
    const s = this.slot(group, pasid);
    return s === undefined ? 'empty' : s.kind === 'sva' ? 'sva' : s.handle ? 'handle' : 'kernel';
  }
  slotDev(group: number, pasid: number): number { return this.slot(group, pasid)!.dev; }
  slotMm(group: number, pasid: number): number { const s = this.slot(group, pasid)!; return s.kind === 'sva' ? s.mm : NONE; }
  slotUsers(group: number, pasid: number): number { const s = this.slot(group, pasid)!; return s.kind === 'sva' ? s.users : 0; }
  svaPasids(group: number, mm: number): readonly number[] {
    const m = this.st.slots[group];
    if (m instanceof SlotMap) return m.svaPasids(mm);                    // kept by mm as the map is written (slotMap.ts)
    return scanSvaPasids(this, group, mm);                               // a plain map: the setup's, or a test's
  }
  slotPasids(group: number): readonly number[] {
    const m = this.st.slots[group];
    if (m instanceof SlotMap) return m.pasids();                         // a list it never changes (slotMap.ts)
    let keys = keysOf.get(m);                                            // a plain map: the setup's, or a test's
    if (keys === undefined) keysOf.set(m, keys = [...m.keys()].sort((a, b) => a - b));
    return keys;
  }
  allocated(pasid: number): boolean {
    const ida = this.st.ida, at = this.idaAt;
    if (at < ida.length && ida[at] === pasid) return true;
    if (at + 1 < ida.length && ida[at + 1] === pasid) { this.idaAt = at + 1; return true; }
    const i = indexOf(ida, pasid);
    if (i >= 0) this.idaAt = i;
    return i >= 0;
  }
  /**
   * The allocator's ids are an ascending list, each id once (allocate adds no id twice); from
   * `from` on, the ids held without a gap are the run where ida[j] - ida[i] === j - i, found
   * by halving; the id after the run is the least free one >= from. (A list given with a
   * repeated id, which no rule writes, could hide a gap from the halving.)
   */
  firstUnallocated(from: number): number {
    const ida = this.st.ida;
    const i = lowerBound(ida, from);
    if (i === ida.length || ida[i] !== from) return from;
    let lo = i, hi = ida.length - 1;                                     // ida[lo] - ida[i] === lo - i
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ida[mid] - from === mid - i) lo = mid; else hi = mid - 1; }
    return ida[lo] + 1;
  }
  /** A new list each time: a step writes its own copy of the id lists in place, so a list handed out could change. */
  idaPasids(): readonly number[] { return [...new Set([...this.st.ida, ...this.st.kernelHeld])].sort((a, b) => a - b); }
  held(pasid: number): boolean { return indexOf(this.st.kernelHeld, pasid) >= 0; }
  heldCount(): number { return this.st.kernelHeld.length; }
  setQuota(set: number): number { return this.st.ioasidSets?.[set].quota ?? this.cfg.ioasid.sets[set].quota; }
  setHolds(set: number, pasid: number): boolean { return this.st.ioasidSets?.[set].held.includes(pasid) ?? false; }

  // --- writes
  // Copy-on-write, once per step: the first write of a step copies the state object and the
  // part it writes (the mm list, a group's slot map, an id list); later writes of the same
  // step change those copies in place. The state passed in is never changed.
  private own = false;
  private ownMms = false;
  private ownSlots = false;
  /** The groups whose slot map this step made (SlotMap.writable): few, so a list. */
  private ownGroups: number[] = [];
  private ownIda = false;
  private ownHeld = false;
  private ownAsids: number[] | null = null;
  private draft(): { -readonly [K in keyof State]: State[K] extends readonly (infer T)[] ? T[] : State[K] } {
    if (!this.own) {
      const st = this.st, chunks = this.mmChunks;
      // The fields named, not spread: a spread of states of different shapes (the setup's
      // first one is built otherwise) was the costliest line of a step.
      const d: { -readonly [K in keyof State]: State[K] } = { mms: chunks === null ? st.mms : [], slots: st.slots, ida: st.ida, kernelHeld: st.kernelHeld };
      if (st.ioasidSets !== undefined) d.ioasidSets = st.ioasidSets;
      if (chunks !== null) lazyMms(d, chunks);                            // reading st.mms would build the mm list
      this.st = d;
      if (this.cfg.mms.length > LARGE_MMS) { const inUse = asidsOf.get(st); if (inUse !== undefined) asidsOf.set(this.st, inUse); }
      this.own = true;
    }
    return this.st as never;
  }
  /** The chunks of the mm list this step made, by index (a large setup's). */
  private ownMmChunks: number[] = [];
  /** Replace mm's record: a new object, every field named (one shape for every Mm written). */
  private mm(mm: number, status: MmStatus, data: MmData | null, domains: readonly number[], asids: readonly number[]): void {
    const d = this.draft(), record: Mm = { status, data, domains, asids };
    if (this.cfg.mms.length <= LARGE_MMS) {
      if (!this.ownMms) { d.mms = d.mms.slice(); this.ownMms = true; }
      d.mms[mm] = record;
      return;
    }
    // A large setup: copy the list of chunks once per step and a chunk on its first write.
    if (!this.ownMms) {
      this.mmChunks = (this.mmChunks ?? chunked(d.mms)).slice();
      lazyMms(d, this.mmChunks);
      this.ownMms = true;
    }
    const chunks = this.mmChunks!, c = mm >> MM_SHIFT;
    if (!this.ownMmChunks.includes(c)) { chunks[c] = chunks[c].slice(); this.ownMmChunks.push(c); }
    chunks[c][mm & MM_MASK] = record;
  }
  private put(group: number, pasid: number, slot: Slot | null): void {
    const d = this.draft();
    if (!this.ownSlots) { d.slots = d.slots.slice(); this.ownSlots = true; }
    if (!this.ownGroups.includes(group)) { d.slots[group] = SlotMap.writable(d.slots[group]); this.ownGroups.push(group); }
    (d.slots[group] as SlotMap).write(pasid, slot);
    this.wrote[this.wroteLength++] = group;
    this.wrote[this.wroteLength++] = pasid;
  }
  setStatus(mm: number, status: MmStatus): void { const m = this.mmOf(mm); this.mm(mm, status, m.data, m.domains, m.asids); }
  setData(mm: number, pasid: number, global: boolean): void { const m = this.mmOf(mm); this.mm(mm, m.status, { pasid, global }, m.domains, m.asids); }
  dropData(mm: number): void { const m = this.mmOf(mm); this.mm(mm, m.status, null, m.domains, m.asids); }
  setDomain(mm: number, iommu: number, users: number, asid: number): void {
    const m = this.mmOf(mm), domains = m.domains.slice();
    domains[iommu] = users;
    if (m.asids[iommu] === asid) return this.mm(mm, m.status, m.data, domains, m.asids);   // a record's lists never change: shared
    if (this.cfg.mms.length > LARGE_MMS) {
      const inUse = this.ownAsidsInUse();
      const was = m.asids[iommu] === 0 ? -1 : indexOf(inUse, m.asids[iommu]);
      if (was >= 0) inUse.splice(was, 1);
      if (asid !== 0) insertInPlace(inUse, asid);
    }
    const asids = m.asids.slice();
    asids[iommu] = asid;
    this.mm(mm, m.status, m.data, domains, asids);
  }
  putBond(group: number, pasid: number, mm: number, dev: number, users: number): void { this.put(group, pasid, { kind: 'sva', mm, dev, users }); }
  putAttach(group: number, pasid: number, dev: number, handle: boolean): void { this.put(group, pasid, { kind: 'kernel', dev, handle }); }
  setSlotUsers(group: number, pasid: number, users: number): void {
    const s = this.slot(group, pasid);
    if (s?.kind !== 'sva') throw new Error(`no SVA bond at group ${group} PASID ${pasid}`);
    this.put(group, pasid, { kind: 'sva', mm: s.mm, dev: s.dev, users });
  }
  clearSlot(group: number, pasid: number): void { this.put(group, pasid, null); }
  /** A large setup's: this step's own list of the ASIDs in use, its state's (asidsOf), to write in place. */
  private ownAsidsInUse(): number[] {
    if (this.ownAsids === null) {
      const list = this.asidsInUse().slice();
      asidsOf.set(this.draft() as State, list);
      this.ownAsids = list;
    }
    return this.ownAsids;
  }
  // The id lists: a step's first write to one makes its own copy with the change made in the
  // same pass (one array of the right length: upstream's lists hold hundreds of ids, and a
  // copy then an insert had allocated and moved them twice); later writes change that copy.
  /** An IDA holds an id or not: an id held already is not listed twice (no rule allocates one, so no state they reach differs). */
  allocate(pasid: number): void {
    if (this.allocated(pasid)) return;
    const d = this.draft();
    if (this.ownIda) insertInPlace(d.ida, pasid); else { d.ida = withId(d.ida, pasid); this.ownIda = true; }
  }
  release(pasid: number): void {
    const i = indexOf(this.st.ida, pasid);                               // listed once at most (allocate)
    if (i < 0) return;                                                   // not held: nothing changes
    const d = this.draft();
    if (this.ownIda) d.ida.splice(i, 1);
    else { d.ida = withoutAt(d.ida, i); this.ownIda = true; }
  }
  hold(pasid: number): void {
    const d = this.draft();
    if (this.ownHeld) insertInPlace(d.kernelHeld, pasid); else { d.kernelHeld = withId(d.kernelHeld, pasid); this.ownHeld = true; }
  }
  unhold(pasid: number): void {
    const i = indexOf(this.st.kernelHeld, pasid);
    if (i < 0) return;
    const d = this.draft();
    if (this.ownHeld) d.kernelHeld.splice(i, 1);
    else { d.kernelHeld = withoutAt(d.kernelHeld, i); this.ownHeld = true; }
  }

  private ioasidSet(set: number, patch: (s: IoasidSet) => IoasidSet): void {
    const d = this.draft();
    const sets = (this.st.ioasidSets ?? this.cfg.ioasid.sets.map((s) => ({ quota: s.quota, held: [] }))).slice();
    sets[set] = patch(sets[set]);
    d.ioasidSets = sets;
  }
  putSetQuota(set: number, quota: number): void { this.ioasidSet(set, (s) => ({ ...s, quota })); }
  setTake(set: number, pasid: number): void { this.ioasidSet(set, (s) => { const held = s.held.slice(); insertInPlace(held, pasid); return { ...s, held }; }); }
  setGive(set: number, pasid: number): void { this.ioasidSet(set, (s) => ({ ...s, held: s.held.filter((p) => p !== pasid) })); }

  // --- outcome
  private set(result: Result, rule: ApiRuleId): void { this.result = result; this.rule = rule; }
  ok(rule: ApiRuleId): void { this.set(R.ok, rule); }
  errno(errno: Errno, rule: ApiRuleId): void { this.set(R.errno(errno), rule); }
  gave(pasid: number, rule: ApiRuleId): void { this.set(R.pasid(pasid), rule); }
  invalid(rule: ApiRuleId): void { this.set(R.invalid, rule); }
  kernel(rule: ApiRuleId): void { this.set(R.kernel, rule); }
  reached(mm: number, rule: ApiRuleId): void { this.set(R.mm(this.cfg.mms[mm]), rule); }
  fault(kind: FaultKind, rule: ApiRuleId): void { this.set(R.fault(kind), rule); }
  also(rule: ApiRuleId): void { if (this.effects === undefined) this.effects = [rule]; else this.effects.push(rule); }
  failed(): boolean { return this.result.kind === 'errno'; }
}

/**
 * A large setup's mm list (more than LARGE_MMS processes: the bench's has 100 K) is kept in
 * chunks of MM_CHUNK records, so that a step writing one mm copies one chunk and the list of
 * chunks, not every record. Such a State's `mms` is still the plain list every reader expects,
 * built from the chunks when first read and kept (a State never changes, so neither does the
 * list). The chunks of a State handed on are never written again: a step copies the list of
 * chunks and each chunk it writes (ObjectWorld.mm). Small setups keep plain lists.
 * A chunk holds 256 records: a step copies about n/256 + 256 references, least near the
 * square root of n (at 100 K, 391 chunks; 64-record chunks made a list of 1,563 to copy).
 */
const LARGE_MMS = 256;
const MM_SHIFT = 8, MM_CHUNK = 1 << MM_SHIFT, MM_MASK = MM_CHUNK - 1;
const chunksOf = new WeakMap<State, Mm[][]>();
/**
 * A large setup's ASIDs in use per State: every nonzero asids[iommu] of its mm records,
 * ascending, with repeats (what asidUsed searches instead of reading 100 K records). Safe as
 * the chunks are: a State's list is never changed once the State is handed on. A step's new
 * State takes its predecessor's list (draft) until a setDomain changes an ASID, which gives
 * the step a copy of its own (ownAsidsInUse) that it changes in place, as it writes its records.
 */
const asidsOf = new WeakMap<State, number[]>();

function chunked(mms: readonly Mm[]): Mm[][] {
  const chunks: Mm[][] = [];
  for (let i = 0; i < mms.length; i += MM_CHUNK) chunks.push(mms.slice(i, i + MM_CHUNK));
  return chunks;
}

/** Make st's `mms` the list its chunks hold, built when first read (an own, enumerable property, so a spread or JSON of st sees it). */
function lazyMms(st: State, chunks: Mm[][]): void {
  chunksOf.set(st, chunks);
  Object.defineProperty(st, 'mms', { get: mmListOf, enumerable: true, configurable: true });
}
function mmListOf(this: State): readonly Mm[] {
  const list = chunksOf.get(this)!.flat();
  Object.defineProperty(this, 'mms', { value: list, enumerable: true, configurable: false, writable: false });
  return list;
}

/**
 * The PASIDs of a plain group map, ascending, computed once per map: a plain map in a State
 * (the setup's empty ones, a state decoded by the model checker or built by a test) is never
 * changed, since this backend writes only its own SlotMaps.
 */
const keysOf = new WeakMap<ReadonlyMap<number, Slot>, readonly number[]>();

/** Where the ascending list xs holds x, or -1 (binary search). */
function indexOf(xs: readonly number[], x: number): number {
  const i = lowerBound(xs, x);
  return xs[i] === x ? i : -1;
}

/** A copy of the ascending list xs with x inserted after any equal element. */
function withId(xs: readonly number[], x: number): number[] {
  const n = xs.length, out = new Array<number>(n + 1);
  let i = 0;
  for (; i < n && xs[i] <= x; i++) out[i] = xs[i];
  out[i] = x;
  for (; i < n; i++) out[i + 1] = xs[i];
  return out;
}

/** A copy of xs without its element i. */
function withoutAt(xs: readonly number[], i: number): number[] {
  const n = xs.length, out = new Array<number>(n - 1);
  for (let j = 0; j < i; j++) out[j] = xs[j];
  for (let j = i + 1; j < n; j++) out[j - 1] = xs[j];
  return out;
}

/** Insert x into the ascending list xs, in place, after any equal element. */
function insertInPlace(xs: number[], x: number): void {
  const n = xs.length;
  if (n > 32 && xs[n - 32] > x) {                                        // far from the end: splice moves the tail in one go
    xs.splice(lowerBound(xs, x + 1), 0, x);                              // after any equal element (integers)
    return;
  }
  let i = n;
  xs.push(x);
  while (i > 0 && xs[i - 1] > x) { xs[i] = xs[i - 1]; i--; }
  xs[i] = x;
}

/**
 * The world `step` restarts for each call: a step runs to its end before the next starts (no
 * rule calls step), and what it returns holds nothing of the world that a restart changes
 * (the effects list is a new one per step).
 */
let stepWorld: ObjectWorld | undefined;

/** One operation of variant v in state st (the caller has checked the contract, contract.ts). */
export function step(v: Variant, cfg: Config, st: State, op: SpecOp): Step {
  const w = (stepWorld ??= new ObjectWorld(cfg, st)).start(cfg, st);
  act(v, w, op);
  return w.effects === undefined ? { result: w.result, state: w.st, rule: w.rule } : { result: w.result, state: w.st, rule: w.rule, effects: w.effects };
}
