/**
 * The flat backend of the state interface (spec/world.ts): reads and writes on the model
 * checker's flat states (space.ts Layout), the outcome as numbers in an Outcome. It holds no
 * rule: spec/ runs on it unchanged.
 *
 * The engine keeps a copy of the state being expanded (`from`) in the successor's place
 * (`to`), made once per state. A transition reads and writes that copy in place, noting the
 * offset of each word it writes; the next transition puts back only those words. So a
 * transition costs no copy of the state, and the words it wrote are all the engine looks at
 * to tell whether the state changed, whether it left the bounds, and to repack it.
 */
import { ERRNOS, type Errno, type FaultKind } from '../vocab/index.ts';
import type { ApiRuleId, MmStatus, Reads, SlotKind, World } from '../spec/index.ts';
import { scanFirstUnallocated, type Config } from '../spec/index.ts';
import { FAULTS, Outcome, RK_ERRNO, RK_FAULT, RK_INVALID, RK_KERNEL, RK_MM, RK_OK, RK_PASID, ruleId } from './outcome.ts';
import {
  EncodingError, privateBondsBeyond, K_EMPTY, K_HANDLE, K_KERNEL, K_SVA, M_DOM, M_GLOBAL, M_PASID, M_STATUS, SLOT_REC, ST_EXITED, ST_GONE, ST_LIVE,
  S_DEV, S_KIND, S_MM, S_USERS, type Layout, type Space,
} from './space.ts';

const STATUS: readonly MmStatus[] = ['live', 'exited', 'gone'];
const NO_PASIDS: readonly number[] = Object.freeze([]);
const KIND: readonly SlotKind[] = ['empty', 'sva', 'kernel', 'handle'];
const ERRNO_CODE: ReadonlyMap<string, number> = new Map(ERRNOS.map((e, i) => [e, i]));
const FAULT_CODE: ReadonlyMap<string, number> = new Map(FAULTS.map((f, i) => [f, i]));

/** Rule ids, interned once per name (flatWorld remembers each template's last one in front of this). */
const RULE_CODE = new Map<string, number>();
const code = (rule: string): number => {
  let c = RULE_CODE.get(rule);
  if (c === undefined) { c = ruleId(rule); RULE_CODE.set(rule, c); }
  return c;
};

export class FlatWorld implements World, Reads {
  readonly cfg: Config;
  private readonly L: Layout;
  /** PASID → universe index (-1: outside the universe), for PASIDs up to `small`; beyond, a Map. */
  private readonly uSmall: Int32Array;
  private readonly uLarge: Map<number, number>;
  private readonly values: Int32Array;
  /** Per group: the PASIDs of its slots, ascending. */
  private readonly groupPasids: readonly (readonly number[])[];
  /** Per group: the offsets of those slots in a state (relative to its base), in the same order. */
  private readonly groupSlotOffs: readonly Int32Array[];
  /** The PASID universe, ascending: every id the allocator or a holder may hold. */
  private readonly universe: readonly number[];
  /** Per (group, PASID up to `small`): the slot's offset in a state, -1 where the layout has none. */
  private readonly slotOff: Int32Array;
  private readonly stride: number;
  private readonly mmRec: number;
  private readonly asidOff: number;
  private readonly idaBase: number;
  private readonly heldBase: number;
  private readonly n: number;
  /** The state read: `cur` at `cb`; `from`/`fb` the state being expanded, `to`/`tb` the successor's place (tb -1: a read-only view). */
  private cur: Int32Array;
  private cb = 0;
  private from: Int32Array;
  private fb = 0;
  private to: Int32Array;
  private tb = 0;
  /** The template of the transition (for the caches of its results' codes). */
  private t = 0;
  /** Per template: the rule and errno its result named last, and their codes. */
  private readonly lastRule: (string | undefined)[] = [];
  private readonly lastRuleCode: number[] = [];
  private readonly lastErrno: (string | undefined)[] = [];
  private readonly lastErrnoCode: number[] = [];
  /** Per template: the rule its first further effect named last, and its code. */
  private readonly lastAlso: (string | undefined)[] = [];
  private readonly lastAlsoCode: number[] = [];
  /** The bound on a handle's users (bounds.handleUsers), and whether this transition wrote a count above it. */
  private readonly h: number;
  private over = false;
  /** Whether this transition has written. */
  dirty = false;
  /** Offsets written in this transition (relative to the state's base), and how many. */
  private readonly touched = new Int32Array(64);
  private nt = 0;
  out: Outcome;

  constructor(space: Space) {
    this.cfg = space.cfg;
    this.L = space.layout;
    this.values = this.L.values;
    const U = space.universe;
    this.universe = U;
    const small = Math.min(U.length === 0 ? 0 : U[U.length - 1], 1 << 16);
    this.uSmall = new Int32Array(small + 1).fill(-1);
    this.uLarge = new Map();
    U.forEach((p, i) => { if (p <= small) this.uSmall[p] = i; else this.uLarge.set(p, i); });
    this.groupPasids = space.cfg.groups.map((_, g) => {
      const ps: number[] = [];
      for (let k = 0; k < this.L.slots; k++) if (this.L.slotGroup[k] === g) ps.push(U[this.L.slotU[k]]);
      return ps;
    });
    this.groupSlotOffs = space.cfg.groups.map((_, g) => {
      const offs: number[] = [];
      for (let k = 0; k < this.L.slots; k++) if (this.L.slotGroup[k] === g) offs.push(this.L.slotBase + k * SLOT_REC);
      return Int32Array.from(offs);
    });
    this.stride = small + 1;
    this.slotOff = new Int32Array(space.cfg.groups.length * this.stride).fill(-1);
    for (let k = 0; k < this.L.slots; k++) {
      const p = U[this.L.slotU[k]];
      if (p <= small) this.slotOff[this.L.slotGroup[k] * this.stride + p] = this.L.slotBase + k * SLOT_REC;
    }
    this.mmRec = this.L.mmRec; this.asidOff = this.L.asidOff; this.idaBase = this.L.idaBase; this.heldBase = this.L.heldBase; this.n = this.L.n;
    for (let t = 0; t < space.templates.length; t++) { this.lastRule.push(undefined); this.lastRuleCode.push(0); this.lastErrno.push(undefined); this.lastErrnoCode.push(0); this.lastAlso.push(undefined); this.lastAlsoCode.push(0); }
    this.h = this.L.h;
    this.cur = this.from = this.to = new Int32Array(0);
    this.out = new Outcome();
  }

  /** Read the flat state at a[b ..) (invariants, findings); writes are refused. */
  view(a: Int32Array, b: number): this {
    this.cur = this.from = this.to = a; this.cb = this.fb = b;
    this.tb = -1;
    this.dirty = false;
    this.over = false;
    this.nt = 0;
    return this;
  }

  /**
   * Transitions from the state at a[b ..), their successors built at d[b ..), which must hold
   * the same words now (the engine copies them once per state expanded). Each transition
   * writes its successor there in place; the next `begin` puts back the words it wrote.
   */
  attach(a: Int32Array, d: Int32Array, b: number): void {
    this.from = a; this.to = d; this.fb = this.tb = b;
    this.nt = 0;
    this.dirty = false;
    this.over = false;
  }

  /** Start a transition from the attached state; its outcome goes to o. */
  begin(o: Outcome, t = 0): void {
    this.t = t;
    if (this.dirty) this.restore();
    this.cur = this.to; this.cb = this.tb;
    this.out = o;
    o.ne = 0;
  }

  /** Put back the words the last transition wrote (all of them, past the notes' room). */
  private restore(): void {
    const a = this.from, d = this.to, x = this.fb, y = this.tb;
    if (this.nt > this.touched.length) for (let i = 0, n = this.n; i < n; i++) d[y + i] = a[x + i];
    else for (let j = 0; j < this.nt; j++) { const off = this.touched[j]; d[y + off] = a[x + off]; }
    this.nt = 0;
    this.dirty = false;
    this.over = false;
  }

  /**
   * Whether the successor has a handle with more than h users (bounds.handleUsers: it is cut).
   * Only a written users word can exceed it, the state expanded being within the bounds; the
   * writes that set a count (putBond, setSlotUsers) note one above h, so a transition that
   * wrote none is answered without looking, and one that did is looked at word by word (a
   * later write in the same transition may have lowered it again).
   */
  beyond(): boolean {
    const d = this.to, y = this.tb, L = this.L, h = this.h, base = y + L.slotBase;
    if (L.privateCut && privateBondsBeyond(L, d, y)) return true;        // sva-2018's bound on private bonds
    if (!this.over) return false;
    if (this.nt > this.touched.length) {
      for (let k = 0, o = base; k < L.slots; k++, o += SLOT_REC) if (d[o + S_KIND] === K_SVA && d[o + S_USERS] > h) return true;
      return false;
    }
    for (let j = 0; j < this.nt; j++) {
      const off = this.touched[j] - L.slotBase;
      if (off < 0 || off >= L.slots * SLOT_REC || off % SLOT_REC !== S_USERS) continue;
      const o = base + off - S_USERS;
      if (d[o + S_KIND] === K_SVA && d[o + S_USERS] > h) return true;
    }
    return false;
  }

  /** The offsets written by the transition (relative to the state's base), or null when not all were noted. */
  written(): Int32Array | null { return this.nt > this.touched.length ? null : this.touched; }
  /** How many writes `written` lists. */
  writes(): number { return this.dirty ? this.nt : 0; }

  /** Whether the successor differs from the state expanded: only a written word can. */
  changed(): boolean {
    if (!this.dirty) return false;
    const a = this.from, d = this.to, x = this.fb, y = this.tb;
    if (this.nt > this.touched.length) {                                  // more writes than noted: compare all
      for (let i = 0, n = this.n; i < n; i++) if (a[x + i] !== d[y + i]) return true;
      return false;
    }
    for (let j = 0; j < this.nt; j++) { const off = this.touched[j]; if (a[x + off] !== d[y + off]) return true; }
    return false;
  }

  private u(pasid: number): number {
    if (pasid >= 0 && pasid < this.uSmall.length) return this.uSmall[pasid];
    return this.uLarge.get(pasid) ?? -1;
  }
  /** The offset of slot (group, pasid) in cur, or -1 where the layout has no such slot. */
  private slot(group: number, pasid: number): number {
    if (pasid >= 0 && pasid < this.stride) { const o = this.slotOff[group * this.stride + pasid]; return o < 0 ? -1 : this.cb + o; }
    const i = this.u(pasid);
    if (i < 0) return -1;
    const k = this.L.slotOfU[group][i];
    return k < 0 ? -1 : this.cb + this.L.slotBase + k * SLOT_REC;
  }
  private mmAt(mm: number): number { return this.cb + mm * this.mmRec; }

  // --- reads
  status(mm: number): MmStatus { return STATUS[this.cur[this.mmAt(mm) + M_STATUS]]; }
  pasid(mm: number): number { const i = this.cur[this.mmAt(mm) + M_PASID]; return i < 0 ? -1 : this.values[i]; }
  isGlobal(mm: number): boolean { return this.cur[this.mmAt(mm) + M_GLOBAL] === 1; }
  domainUsers(mm: number, iommu: number): number { return this.cur[this.mmAt(mm) + M_DOM + iommu]; }
  asid(mm: number, iommu: number): number { return this.cur[this.mmAt(mm) + this.asidOff + iommu]; }
  /** Every mm's ASID words, read: a model's few mms cost less than keeping an index in the state. */
  asidUsed(asid: number): boolean {
    const a = this.cur, iommus = this.cfg.iommus.length;
    for (let m = 0, o = this.cb + this.asidOff, n = this.cfg.mms.length; m < n; m++, o += this.mmRec)
      for (let i = 0; i < iommus; i++) if (a[o + i] === asid) return true;
    return false;
  }
  slotKind(group: number, pasid: number): SlotKind { const o = this.slot(group, pasid); return o < 0 ? 'empty' : KIND[this.cur[o + S_KIND]]; }
  slotDev(group: number, pasid: number): number { return this.cur[this.slot(group, pasid) + S_DEV]; }
  slotMm(group: number, pasid: number): number { return this.cur[this.slot(group, pasid) + S_MM]; }
  slotUsers(group: number, pasid: number): number { return this.cur[this.slot(group, pasid) + S_USERS]; }
  slotPasids(group: number): readonly number[] { return this.groupPasids[group]; }
  /** The group's slots read one by one (a model's groups have a few), by their offsets; a list made only when one is found. */
  svaPasids(group: number, mm: number): readonly number[] {
    const offs = this.groupSlotOffs[group], ps = this.groupPasids[group], a = this.cur, b = this.cb;
    let bound: number[] | undefined;
    for (let k = 0; k < offs.length; k++) {
      const o = b + offs[k];
      if (a[o + S_KIND] === K_SVA && a[o + S_MM] === mm) { if (bound === undefined) bound = [ps[k]]; else bound.push(ps[k]); }
    }
    return bound ?? NO_PASIDS;
  }
  allocated(pasid: number): boolean { const i = this.u(pasid); return i >= 0 && this.cur[this.cb + this.idaBase + i] === 1; }
  firstUnallocated(from: number): number { return scanFirstUnallocated(this, from); }
  idaPasids(): readonly number[] { return this.universe; }
  held(pasid: number): boolean { const i = this.u(pasid); return i >= 0 && this.cur[this.cb + this.heldBase + i] === 1; }
  heldCount(): number {
    let n = 0;
    for (let i = 0, o = this.cb + this.heldBase, u = this.L.u; i < u; i++) n += this.cur[o + i];
    return n;
  }
  /** ioasid-2020's sets: kept in the layout only where the space runs their operations (else the setup's). */
  private setAt(set: number): number { return this.L.setBase + set * (1 + this.L.u); }
  setQuota(set: number): number { return set < this.L.ns ? this.cur[this.cb + this.setAt(set)] : this.cfg.ioasid.sets[set].quota; }
  setHolds(set: number, pasid: number): boolean {
    const i = this.u(pasid);
    return set < this.L.ns && i >= 0 && this.cur[this.cb + this.setAt(set) + 1 + i] === 1;
  }

  // --- writes
  /**
   * Set the word at offset `off` of the successor (relative to its base), noting the offset:
   * `changed` compares only the words written, and the next transition puts only them back.
   */
  private put(off: number, value: number): void {
    if (this.tb < 0) throw new Error('a write on a read-only view of a flat state');
    this.to[this.tb + off] = value;
    this.dirty = true;
    if (this.nt < this.touched.length) this.touched[this.nt++] = off; else this.nt = this.touched.length + 1;
  }
  private uOf(pasid: number, what: string): number {
    const i = this.u(pasid);
    if (i < 0) throw new EncodingError(`${what} PASID ${pasid} lies outside the model's PASID universe [${Array.from(this.values).join(', ')}]`);
    return i;
  }
  /** The slot's offset relative to a state's base; EncodingError where the layout has none. */
  private slotOf(group: number, pasid: number): number {
    const o = this.slot(group, pasid);
    if (o < 0) throw new EncodingError(`a slot at PASID ${pasid} lies beyond group ${this.cfg.groups[group].name}'s slots in the model`);
    return o - this.cb;
  }
  setStatus(mm: number, status: MmStatus): void {
    this.put(mm * this.mmRec + M_STATUS, status === 'live' ? ST_LIVE : status === 'exited' ? ST_EXITED : ST_GONE);
  }
  setData(mm: number, pasid: number, global: boolean): void {
    const i = this.uOf(pasid, 'an mm data'), o = mm * this.mmRec;
    this.put(o + M_PASID, i);
    this.put(o + M_GLOBAL, global ? 1 : 0);
  }
  dropData(mm: number): void {
    const o = mm * this.mmRec;
    this.put(o + M_PASID, -1);
    this.put(o + M_GLOBAL, 0);
  }
  setDomain(mm: number, iommu: number, users: number, asid: number): void {
    const o = mm * this.mmRec;
    this.put(o + M_DOM + iommu, users);
    this.put(o + this.asidOff + iommu, asid);
  }
  putBond(group: number, pasid: number, mm: number, dev: number, users: number): void {
    const o = this.slotOf(group, pasid);
    if (users > this.h) this.over = true;
    this.put(o + S_KIND, K_SVA); this.put(o + S_MM, mm); this.put(o + S_DEV, dev); this.put(o + S_USERS, users);
  }
  putAttach(group: number, pasid: number, dev: number, handle: boolean): void {
    const o = this.slotOf(group, pasid);
    this.put(o + S_KIND, handle ? K_HANDLE : K_KERNEL); this.put(o + S_MM, 0); this.put(o + S_DEV, dev); this.put(o + S_USERS, 0);
  }
  setSlotUsers(group: number, pasid: number, users: number): void {
    if (users > this.h) this.over = true;
    this.put(this.slotOf(group, pasid) + S_USERS, users);
  }
  clearSlot(group: number, pasid: number): void {
    const o = this.slotOf(group, pasid);
    this.put(o + S_KIND, K_EMPTY); this.put(o + S_MM, 0); this.put(o + S_DEV, 0); this.put(o + S_USERS, 0);
  }
  allocate(pasid: number): void { this.put(this.idaBase + this.uOf(pasid, 'an allocated'), 1); }
  release(pasid: number): void { const i = this.u(pasid); if (i >= 0) this.put(this.idaBase + i, 0); }
  hold(pasid: number): void { this.put(this.heldBase + this.uOf(pasid, 'a held'), 1); }
  putSetQuota(set: number, quota: number): void {
    if (set >= this.L.ns) throw new EncodingError('an IOASID set the layout does not keep');
    if (quota >= 2 ** this.L.quotaW) throw new EncodingError(`IOASID set ${this.cfg.ioasid.sets[set].name}'s quota ${quota} does not fit the encoding (${this.L.quotaW} bits)`);
    this.put(this.setAt(set), quota);
  }
  setTake(set: number, pasid: number): void {
    if (set >= this.L.ns) throw new EncodingError('an IOASID set the layout does not keep');
    this.put(this.setAt(set) + 1 + this.uOf(pasid, 'a set\'s'), 1);
  }
  setGive(set: number, pasid: number): void { const i = this.u(pasid); if (set < this.L.ns && i >= 0) this.put(this.setAt(set) + 1 + i, 0); }
  unhold(pasid: number): void { const i = this.u(pasid); if (i >= 0) this.put(this.heldBase + i, 0); }

  // --- outcome
  /** The code of the rule deciding a result: the template's last one is the likely one. */
  private ruleCode(rule: string): number {
    const t = this.t;
    if (this.lastRule[t] === rule) return this.lastRuleCode[t];
    const c = code(rule);
    this.lastRule[t] = rule;
    this.lastRuleCode[t] = c;
    return c;
  }
  private errnoCode(errno: string): number {
    const t = this.t;
    if (this.lastErrno[t] === errno) return this.lastErrnoCode[t];
    const c = ERRNO_CODE.get(errno)!;
    this.lastErrno[t] = errno;
    this.lastErrnoCode[t] = c;
    return c;
  }
  ok(rule: ApiRuleId): void { this.out.set(RK_OK, 0, this.ruleCode(rule)); }
  errno(errno: Errno, rule: ApiRuleId): void { this.out.set(RK_ERRNO, this.errnoCode(errno), this.ruleCode(rule)); }
  gave(pasid: number, rule: ApiRuleId): void { this.out.set(RK_PASID, pasid, this.ruleCode(rule)); }
  invalid(rule: ApiRuleId): void { this.out.set(RK_INVALID, 0, this.ruleCode(rule)); }
  kernel(rule: ApiRuleId): void { this.out.set(RK_KERNEL, 0, this.ruleCode(rule)); }
  reached(mm: number, rule: ApiRuleId): void { this.out.set(RK_MM, mm, this.ruleCode(rule)); }
  fault(kind: FaultKind, rule: ApiRuleId): void { this.out.set(RK_FAULT, FAULT_CODE.get(kind)!, this.ruleCode(rule)); }
  also(rule: ApiRuleId): void {
    const t = this.t;
    if (this.lastAlso[t] !== rule) { this.lastAlso[t] = rule; this.lastAlsoCode[t] = code(rule); }
    this.out.also(this.lastAlsoCode[t]);
  }
  failed(): boolean { return this.out.rk === RK_ERRNO; }
}
