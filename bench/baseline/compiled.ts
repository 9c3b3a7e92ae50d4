/**
 * The compiled transition function: the built-in variants' `step`, `contractBreach` and
 * availability findings, rewritten over the flat state of space.ts so that the explorer can
 * run millions of transitions per second without building spec objects.
 *
 * This is a second writing of spec/, not the reference: every function names the spec
 * function it mirrors, and the explorer's verify mode (`--verify`, and the differential test
 * model/compiled.test.ts over every reachable state of the bundled configurations) runs both
 * and stops at the first transition where result, rules, successor or enabledness differ.
 * Variants other than the four built-in ones (planted bugs, a user's variant) run on spec/.
 */
import { ERRNOS } from '../../vocab/index.ts';
import { maxPasidsOf, type SpecOp, type Variant } from '../../spec/index.ts';
import { Outcome, RK_ERRNO, RK_FAULT, RK_INVALID, RK_KERNEL, RK_MM, RK_OK, RK_PASID, ruleId } from '../../model/outcome.ts';
import {
  EncodingError, K_EMPTY, K_HANDLE, K_KERNEL, K_SVA, M_DOM, M_GLOBAL, M_PASID, M_STATUS, SLOT_REC, ST_EXITED, ST_GONE, ST_LIVE,
  S_DEV, S_KIND, S_MM, S_USERS, lowestUnheld, type Space,
} from '../../model/space.ts';

const E = (e: (typeof ERRNOS)[number]): number => ERRNOS.indexOf(e);
const EBUSY = E('EBUSY'), ENOSPC = E('ENOSPC'), EOVERFLOW = E('EOVERFLOW'), EINVAL = E('EINVAL'), ENODEV = E('ENODEV'), EOPNOTSUPP = E('EOPNOTSUPP');
const F_BAD_SUBSTREAM = 0, F_BAD_CD = 1, F_TRANSLATION = 2;

const r = ruleId;
const S1 = r('S1'), S2 = r('S2'), S2_REUSE = r('S2-reuse'), S3 = r('S3'), S3_NOSPC = r('S3-nospc'), S6 = r('S6');
const B4_HANDLE = r('B4-handle'), S4_BUSY = r('S4-busy'), S4_REF = r('S4-ref'), S5_REUSE = r('S5-reuse'), S5_NEW = r('S5-new'), B2 = r('B2');
const M1 = r('M1'), M2 = r('M2'), M3 = r('M3'), M4 = r('M4'), M5 = r('M5'), M6 = r('M6'), M7 = r('M7');
const B1 = r('B1'), B1_NODEV = r('B1-nodev'), B1_PASID0 = r('B1-pasid0'), B1_RANGE = r('B1-range'), B1_BUSY = r('B1-busy'), B3 = r('B3');
const U1 = r('U1'), U2 = r('U2'), U3 = r('U3'), U3_EXIT = r('U3-exit'), A1 = r('A1'), A1_NONE = r('A1-none'), A3 = r('A3');
const G1 = r('G1'), G2 = r('G2');
const V1 = r('V1'), V1_BIND = r('V1-bind'), V2 = r('V2'), V3 = r('V3'), V3_SAME = r('V3-same'), V4 = r('V4'), V5 = r('V5');
const V6 = r('V6'), V7 = r('V7'), V8 = r('V8'), V9 = r('V9'), V10 = r('V10');
const K1 = r('K1'), K2 = r('K2'), K3 = r('K3'), K4 = r('K4'), K5 = r('K5');

const OPS = ['bind', 'bind_pasid', 'unbind', 'get_pasid', 'enqcmd_pasid', 'alloc_global', 'free_global', 'attach_pasid', 'detach_pasid', 'mm_exit', 'dma'] as const;
const OP_BIND = 0, OP_BIND_PASID = 1, OP_UNBIND = 2, OP_GET_PASID = 3, OP_ENQCMD = 4, OP_ALLOC = 5, OP_FREE = 6;
const OP_ATTACH = 7, OP_DETACH = 8, OP_EXIT = 9, OP_DMA = 10;

type Family = 'upstream' | 'v2' | 'per-device';
const FAMILY: Readonly<Record<string, { family: Family; replaceIdle: boolean }>> = {
  upstream: { family: 'upstream', replaceIdle: false },
  v1: { family: 'v2', replaceIdle: false },
  v2: { family: 'v2', replaceIdle: true },
  'per-device': { family: 'per-device', replaceIdle: false },
};

/** Result of an attach refusal check (sva.ts attachRefusal). */
const NO_REFUSAL = -1;
/** attachPlan's answers: failed, another user of the handle (S4), a bond on an existing or a new domain (S5). */
const ATTACH_FAILED = -1, ATTACH_REF = 0, ATTACH_REUSE = 1, ATTACH_NEW = 2;

export class Compiled {
  private readonly fam: Family;
  private readonly replaceIdle: boolean;
  private readonly L: Space['layout'];
  private readonly universe: Int32Array;
  // Per template.
  private readonly top: Int32Array;
  private readonly tdev: Int32Array;
  private readonly tmm: Int32Array;
  private readonly tp: Int32Array;
  private readonly tpu: Int32Array;
  private readonly tg: Int32Array;
  private readonly tk: Int32Array;
  /** attach_pasid templates: with an attach handle. */
  private readonly th: Uint8Array;
  // Per device, group, IOMMU.
  private readonly dGroup: Int32Array;
  private readonly dIommu: Int32Array;
  private readonly dMax: Float64Array;
  private readonly iSva: Uint8Array;
  private readonly iAsids: Float64Array;
  private readonly holders: number;
  /** The ASID attachPlan found for a new domain (ATTACH_NEW), for attachApply. */
  private newAsid = 0;

  constructor(readonly space: Space, variant: Variant) {
    const fam = FAMILY[variant.name];
    if (!fam) throw new Error(`no compiled transition function for variant ${variant.name}`);
    this.fam = fam.family;
    this.replaceIdle = fam.replaceIdle;
    const cfg = space.cfg, L = space.layout, T = space.templates;
    this.L = L;
    this.universe = L.values;
    this.dGroup = Int32Array.from(cfg.devices, (d) => (d.iommu === null ? -1 : d.group));
    this.dIommu = Int32Array.from(cfg.devices, (d) => d.iommu ?? -1);
    this.dMax = Float64Array.from(cfg.devices, (_, i) => maxPasidsOf(cfg, i));
    this.iSva = Uint8Array.from(cfg.iommus, (i) => (i.sva ? 1 : 0));
    this.iAsids = Float64Array.from(cfg.iommus, (i) => 2 ** i.asidBits - 1);
    this.holders = space.bounds.allocGlobalHolders;
    const n = T.length;
    this.top = new Int32Array(n); this.tdev = new Int32Array(n).fill(-1); this.tmm = new Int32Array(n).fill(-1);
    this.th = new Uint8Array(n);
    this.tp = new Int32Array(n); this.tpu = new Int32Array(n).fill(-1); this.tg = new Int32Array(n).fill(-1); this.tk = new Int32Array(n).fill(-1);
    T.forEach((op: SpecOp, t) => {
      this.top[t] = OPS.indexOf(op.op as (typeof OPS)[number]);   // the 2026 operations: the baseline runs only their variants
      if ('dev' in op) { this.tdev[t] = op.dev; this.tg[t] = this.dGroup[op.dev]; }
      if ('mm' in op) this.tmm[t] = op.mm;
      if (op.op === 'attach_pasid' && op.handle) this.th[t] = 1;
      if ('group' in op) this.tg[t] = op.group;
      if ('pasid' in op) {
        this.tp[t] = op.pasid;
        this.tpu[t] = space.universe.indexOf(op.pasid);
        if (this.tg[t] >= 0 && this.tpu[t] >= 0) this.tk[t] = L.slotOfU[this.tg[t]][this.tpu[t]];
      }
    });
  }

  // --- contract.ts contractBreach and space.ts enabled -----------------------------------------

  /** Whether a correct caller may issue template t in state a[b ..) within the bounds. */
  enabled(a: Int32Array, b: number, t: number): boolean {
    const L = this.L;
    switch (this.top[t]) {
      case OP_BIND: case OP_BIND_PASID: case OP_ENQCMD: case OP_EXIT:
        return a[b + this.tmm[t] * L.mmRec + M_STATUS] === ST_LIVE;                    // C2
      case OP_UNBIND: case OP_GET_PASID:
        return a[b + L.slotBase + this.tk[t] * SLOT_REC + S_KIND] === K_SVA;           // C1
      case OP_ALLOC: {
        if (this.dIommu[this.tdev[t]] < 0) return false;                              // C6
        let held = 0;
        for (let i = 0; i < L.u; i++) held += a[b + L.heldBase + i];
        return held < this.holders;
      }
      case OP_FREE:
        return this.tpu[t] >= 0 && a[b + L.heldBase + this.tpu[t]] === 1;             // C3
      case OP_DETACH:
        return this.tk[t] >= 0 && a[b + L.slotBase + this.tk[t] * SLOT_REC + S_KIND] >= K_KERNEL; // C4: bare or with a handle
      default:
        return true;
    }
  }

  // --- ops.ts step --------------------------------------------------------------------------

  /**
   * Template t on state a[ab ..): the outcome in o, the successor in d[db ..) when o.changed.
   * d's range is scratch otherwise.
   */
  step(a: Int32Array, ab: number, d: Int32Array, db: number, t: number, o: Outcome): void {
    o.ne = 0;
    o.changed = false;
    switch (this.top[t]) {
      case OP_BIND:
        if (this.fam === 'upstream') this.bindUpstream(a, ab, d, db, this.tdev[t], this.tmm[t], o);
        else if (this.fam === 'v2') this.bindV2(a, ab, d, db, this.tdev[t], this.tmm[t], 0, -1, o);
        else this.bindPerDevice(a, ab, d, db, this.tdev[t], this.tmm[t], o);
        break;
      case OP_BIND_PASID:
        if (this.tp[t] === 0) { o.set(RK_ERRNO, EINVAL, V1); break; }               // IOMMU_PASID_GLOBAL_ANY
        if (this.fam === 'v2') this.bindV2(a, ab, d, db, this.tdev[t], this.tmm[t], this.tp[t], this.tpu[t], o);
        else this.bindPasidPerDevice(a, ab, d, db, t, o);
        break;
      case OP_UNBIND: this.unbind(a, ab, d, db, this.tk[t], o); break;
      case OP_GET_PASID: this.getPasid(a, ab, t, o); break;
      case OP_ENQCMD: this.enqcmdPasid(a, ab, this.tmm[t], o); break;
      case OP_ALLOC: {
        const cu = this.lowestFree(a, ab, this.tdev[t]);
        if (cu < 0) { o.set(RK_INVALID, 0, A1_NONE); break; }
        this.copy(a, ab, d, db);
        d[db + this.L.idaBase + cu] = 1;
        d[db + this.L.heldBase + cu] = 1;
        o.set(RK_PASID, this.universe[cu], A1);
        o.changed = true;
        break;
      }
      case OP_FREE:
        this.copy(a, ab, d, db);
        d[db + this.L.idaBase + this.tpu[t]] = 0;
        d[db + this.L.heldBase + this.tpu[t]] = 0;
        o.set(RK_OK, 0, A3);
        o.changed = true;
        break;
      case OP_ATTACH: this.attachPasid(a, ab, d, db, t, o); break;
      case OP_DETACH:
        this.copy(a, ab, d, db);
        d.fill(0, db + this.L.slotBase + this.tk[t] * SLOT_REC, db + this.L.slotBase + (this.tk[t] + 1) * SLOT_REC);
        o.set(RK_OK, 0, B3);
        o.changed = true;
        break;
      case OP_EXIT: this.mmExit(a, ab, d, db, this.tmm[t], o); break;
      case OP_DMA: this.dma(a, ab, t, o); break;
    }
  }

  private copy(a: Int32Array, ab: number, d: Int32Array, db: number): void {
    for (let i = 0, n = this.L.n; i < n; i++) d[db + i] = a[ab + i];
  }

  private hasSvaDomain(a: Int32Array, b: number, mm: number): boolean {
    const o = b + mm * this.L.mmRec + M_DOM;
    for (let j = 0; j < this.L.ni; j++) if (a[o + j] > 0) return true;
    return false;
  }

  /** sva.ts lowestFreeGlobal: the universe index of the lowest id in [1, max(dev)-1] not held, or -1. */
  private lowestFree(a: Int32Array, b: number, dev: number): number {
    const cand = lowestUnheld(this.L, a, b);
    if (cand >= this.dMax[dev]) return -1;
    for (let i = 0; i < this.L.u; i++) if (this.universe[i] === cand) return i;
    throw new EncodingError(`the global allocator hands out PASID ${cand}, outside the model's PASID universe`);
  }

  /** The flat slot of (group, PASID of universe index pu), or -1 beyond the group's range. */
  private slot(g: number, pu: number): number { return pu < 0 ? -1 : this.L.slotOfU[g][pu]; }
  private slotO(b: number, k: number): number { return b + this.L.slotBase + k * SLOT_REC; }

  /** sva.ts attachRefusal: B1-pasid0, B1-range, B1-busy or NO_REFUSAL. */
  private refusal(a: Int32Array, b: number, g: number, pasid: number, k: number): number {
    if (pasid === 0) return B1_PASID0;
    if (pasid >= this.L.range[g]) return B1_RANGE;
    if (k >= 0 && a[this.slotO(b, k) + S_KIND] !== K_EMPTY) return B1_BUSY;
    return NO_REFUSAL;
  }

  /**
   * sva.ts svaAttach, decided on the state before the bind, a[ab ..): bind (dev, mm) at the
   * PASID of universe index pu. The mm data the bind settles first (its PASID, an allocator
   * id) is not read by the attach, so the decision holds for the state the bind reached.
   * Returns ATTACH_FAILED (outcome set) or how attachApply makes the bond.
   */
  private attachPlan(a: Int32Array, ab: number, dev: number, mm: number, pu: number, o: Outcome): number {
    const L = this.L, g = this.dGroup[dev], pasid = this.universe[pu], k = this.slot(g, pu);
    if (k >= 0 && a[this.slotO(ab, k) + S_KIND] === K_SVA) {
      const so = this.slotO(ab, k), own = a[so + S_MM] === mm;
      if (own) o.set(RK_PASID, pasid, S4_REF); else o.set(RK_ERRNO, EBUSY, S4_BUSY);
      if (a[so + S_DEV] !== dev) o.also(B2);                                  // the handle came from a group sibling
      return own ? ATTACH_REF : ATTACH_FAILED;
    }
    if (k >= 0 && a[this.slotO(ab, k) + S_KIND] === K_HANDLE) { o.set(RK_ERRNO, EBUSY, B4_HANDLE); return ATTACH_FAILED; } // attach handle of another type
    const iommu = this.dIommu[dev];
    const refusal = this.refusal(a, ab, g, pasid, k);
    if (a[ab + mm * L.mmRec + M_DOM + iommu] > 0 && refusal === NO_REFUSAL) { o.set(RK_PASID, pasid, S5_REUSE); return ATTACH_REUSE; }
    if (!this.iSva[iommu]) { o.set(RK_ERRNO, EOPNOTSUPP, M7); return ATTACH_FAILED; }
    this.newAsid = this.lowestFreeAsid(a, ab, iommu);
    if (this.newAsid < 0) { o.set(RK_ERRNO, EBUSY, M6); return ATTACH_FAILED; }        // system-wide ASID xarray: none in range
    if (refusal !== NO_REFUSAL) { o.set(RK_ERRNO, refusal === B1_BUSY ? EBUSY : EINVAL, refusal); return ATTACH_FAILED; }
    o.set(RK_PASID, pasid, S5_NEW);
    return ATTACH_NEW;
  }

  /** sva.ts lowestFreeAsid: the lowest ASID in [1, limit(iommu)] no mm's domain holds, or -1. */
  private lowestFreeAsid(a: Int32Array, ab: number, iommu: number): number {
    const L = this.L;
    for (let asid = 1; asid <= this.iAsids[iommu]; asid++) {
      let held = false;
      for (let m = 0; m < L.nm && !held; m++) for (let j = 0; j < L.ni; j++) if (a[ab + m * L.mmRec + L.asidOff + j] === asid) { held = true; break; }
      if (!held) return asid;
    }
    return -1;
  }

  /** Carry out a successful attachPlan on d[db ..). */
  private attachApply(d: Int32Array, db: number, plan: number, dev: number, mm: number, pu: number): void {
    const k = this.slot(this.dGroup[dev], pu), dom = db + mm * this.L.mmRec + M_DOM + this.dIommu[dev];
    if (plan === ATTACH_REF) { d[this.slotO(db, k) + S_USERS]++; return; }
    if (plan === ATTACH_NEW) d[db + mm * this.L.mmRec + this.L.asidOff + this.dIommu[dev]] = this.newAsid;
    d[dom] = plan === ATTACH_REUSE ? d[dom] + 1 : 1;
    this.putBond(d, db, k, mm, dev);
  }

  private putBond(d: Int32Array, db: number, k: number, mm: number, dev: number): void {
    const so = this.slotO(db, k);
    d[so + S_KIND] = K_SVA; d[so + S_MM] = mm; d[so + S_DEV] = dev; d[so + S_USERS] = 1;
  }

  private setData(d: Int32Array, db: number, mm: number, pu: number, global: boolean): void {
    const o = db + mm * this.L.mmRec;
    d[o + M_PASID] = pu; d[o + M_GLOBAL] = global ? 1 : 0;
  }

  /** variants/upstream.ts bind. */
  private bindUpstream(a: Int32Array, ab: number, d: Int32Array, db: number, dev: number, mm: number, o: Outcome): void {
    if (this.dGroup[dev] < 0) { o.set(RK_ERRNO, ENODEV, S1); return; }
    const pu = a[ab + mm * this.L.mmRec + M_PASID];
    if (pu >= 0) {
      if (this.universe[pu] >= this.dMax[dev]) { o.set(RK_ERRNO, EOVERFLOW, S2); return; }
      const plan = this.attachPlan(a, ab, dev, mm, pu, o);
      if (plan === ATTACH_FAILED) return;
      this.copy(a, ab, d, db);
      this.attachApply(d, db, plan, dev, mm, pu);
      o.also(S2_REUSE);
      o.changed = true;
      return;
    }
    const cu = this.lowestFree(a, ab, dev);
    if (cu < 0) { o.set(RK_ERRNO, ENOSPC, S3_NOSPC); return; }
    const plan = this.attachPlan(a, ab, dev, mm, cu, o);
    this.copy(a, ab, d, db);
    d[db + this.L.idaBase + cu] = 1;                                        // published before the attach
    this.setData(d, db, mm, cu, true);
    if (plan !== ATTACH_FAILED) this.attachApply(d, db, plan, dev, mm, cu);
    o.also(plan !== ATTACH_FAILED ? S3 : S6);                                // S6: the PASID stays on failure
    o.changed = true;
  }

  /** variants/v2.ts bindInternal (want 0: bind; else bind_pasid at want, universe index wu). */
  private bindV2(a: Int32Array, ab: number, d: Int32Array, db: number, dev: number, mm: number, want: number, wu: number, o: Outcome): void {
    const L = this.L, mo = ab + mm * L.mmRec;
    if (this.dGroup[dev] < 0) { o.set(RK_ERRNO, ENODEV, S1); return; }
    const pu = a[mo + M_PASID];
    const idle = !this.hasSvaDomain(a, ab, mm);
    let du: number, global: boolean, fresh: boolean;
    if (pu >= 0) {                                                          // iommu_alloc_mm_data: existing data
      global = a[mo + M_GLOBAL] === 1;
      if ((want === 0) === !global) { o.set(RK_ERRNO, EBUSY, idle ? V5 : V2); return; }
      du = !global && this.replaceIdle && idle ? wu : pu;                   // V4: replaced in place, stays on failure
      const refused = !global && want !== this.universe[du] ? V3 : this.universe[du] >= this.dMax[dev] ? S2 : -1;
      if (refused >= 0) {
        o.set(RK_ERRNO, refused === V3 ? ENOSPC : EOVERFLOW, refused);
        if (du !== pu) { this.copy(a, ab, d, db); this.setData(d, db, mm, du, false); o.changed = true; }
        return;
      }
      fresh = false;
    } else if (want === 0) {
      du = this.lowestFree(a, ab, dev);
      if (du < 0) { o.set(RK_ERRNO, ENOSPC, S3_NOSPC); return; }
      global = true;
      fresh = true;
    } else {
      if (want >= this.dMax[dev]) { o.set(RK_ERRNO, EOVERFLOW, V6); return; }
      du = wu;
      global = false;
      fresh = true;
    }
    const plan = this.attachPlan(a, ab, dev, mm, du, o);
    if (plan === ATTACH_FAILED) {
      if (fresh) o.also(V7);                                                 // out_free_iommu_mm rolls back
      else if (du !== pu) { this.copy(a, ab, d, db); this.setData(d, db, mm, du, false); o.changed = true; }
      if (global && this.localBondAt(a, ab, this.dGroup[dev], du)) o.also(V10);
      return;
    }
    this.copy(a, ab, d, db);
    if (fresh && global) d[db + L.idaBase + du] = 1;
    this.setData(d, db, mm, du, global);
    this.attachApply(d, db, plan, dev, mm, du);
    o.also(want === 0 ? (fresh ? S3 : S2_REUSE) : fresh ? V1_BIND : this.replaceIdle && idle ? V4 : V3_SAME);
    o.changed = true;
  }

  /** v2.ts collidesWithLocal: another mm's local bond holds the slot at PASID du in group g. */
  private localBondAt(a: Int32Array, ab: number, g: number, du: number): boolean {
    const k = this.slot(g, du);
    if (k < 0) return false;
    const so = this.slotO(ab, k);
    if (a[so + S_KIND] !== K_SVA) return false;
    const owner = ab + a[so + S_MM] * this.L.mmRec;
    return a[owner + M_PASID] >= 0 && a[owner + M_GLOBAL] === 0;
  }

  /** perDevice.ts boundPasidInGroup: the universe index of mm's bond in group g, or -1. */
  private boundIn(a: Int32Array, ab: number, g: number, mm: number): number {
    const L = this.L;
    for (let k = 0; k < L.slots; k++) {
      if (L.slotGroup[k] !== g) continue;
      const so = this.slotO(ab, k);
      if (a[so + S_KIND] === K_SVA && a[so + S_MM] === mm) return L.slotU[k];
    }
    return -1;
  }

  /** variants/perDevice.ts bind. */
  private bindPerDevice(a: Int32Array, ab: number, d: Int32Array, db: number, dev: number, mm: number, o: Outcome): void {
    const L = this.L, g = this.dGroup[dev];
    if (g < 0) { o.set(RK_ERRNO, ENODEV, S1); return; }
    const pu = a[ab + mm * L.mmRec + M_PASID];
    const bound = this.boundIn(a, ab, g, mm);
    if (bound >= 0 && bound !== pu) { o.set(RK_ERRNO, EBUSY, K3); return; }
    let du = pu;
    if (pu < 0) {
      du = this.lowestFree(a, ab, dev);
      if (du < 0) { o.set(RK_ERRNO, ENOSPC, S3_NOSPC); return; }
    } else if (this.universe[pu] >= this.dMax[dev]) { o.set(RK_ERRNO, EOVERFLOW, S2); return; }
    const plan = this.attachPlan(a, ab, dev, mm, du, o);
    if (plan !== ATTACH_FAILED) {
      this.copy(a, ab, d, db);
      if (pu < 0) { d[db + L.idaBase + du] = 1; this.setData(d, db, mm, du, true); }
      this.attachApply(d, db, plan, dev, mm, du);
      o.also(pu < 0 ? K1 : S2_REUSE);
      o.changed = true;
      return;
    }
    if (pu < 0) o.also(K4);                                                  // a failed bind frees what it took
    const k = this.slot(g, du);
    if (k >= 0) {
      const so = this.slotO(ab, k);
      if (a[so + S_KIND] === K_SVA && a[ab + a[so + S_MM] * L.mmRec + M_PASID] !== du) o.also(V10);
    }
  }

  /** variants/perDevice.ts bindPasid (pasid > 0). */
  private bindPasidPerDevice(a: Int32Array, ab: number, d: Int32Array, db: number, t: number, o: Outcome): void {
    const L = this.L, dev = this.tdev[t], mm = this.tmm[t], pasid = this.tp[t], pu = this.tpu[t], g = this.dGroup[dev];
    if (g < 0) { o.set(RK_ERRNO, ENODEV, S1); return; }
    if (pasid >= this.dMax[dev]) { o.set(RK_ERRNO, EOVERFLOW, V6); return; }
    const bound = this.boundIn(a, ab, g, mm);
    if (bound >= 0 && bound !== pu) { o.set(RK_ERRNO, EBUSY, K3); return; }
    const plan = this.attachPlan(a, ab, dev, mm, pu, o);
    if (plan === ATTACH_FAILED) return;
    this.copy(a, ab, d, db);
    this.attachApply(d, db, plan, dev, mm, pu);
    let mixed = a[ab + mm * L.mmRec + M_PASID] >= 0;
    for (let k = 0; k < L.slots && !mixed; k++) {
      if (L.slotGroup[k] === g) continue;
      const so = this.slotO(ab, k);
      mixed = a[so + S_KIND] === K_SVA && a[so + S_MM] === mm && L.slotU[k] !== pu;
    }
    o.also(mixed ? K2 : V1_BIND);
    o.changed = true;
  }

  /** ops.ts unbind. */
  private unbind(a: Int32Array, ab: number, d: Int32Array, db: number, k: number, o: Outcome): void {
    const L = this.L;
    this.copy(a, ab, d, db);
    const so = this.slotO(db, k);
    o.changed = true;
    if (d[so + S_USERS] > 1) { d[so + S_USERS]--; o.set(RK_OK, 0, U1); return; }
    const mm = d[so + S_MM], iommu = this.dIommu[d[so + S_DEV]];
    d.fill(0, so, so + SLOT_REC);                                            // iommu_detach_device_pasid
    if (--d[db + mm * L.mmRec + M_DOM + iommu] === 0) d[db + mm * L.mmRec + L.asidOff + iommu] = 0;  // the ASID goes back
    if (d[db + mm * L.mmRec + M_STATUS] === ST_EXITED && !this.hasSvaDomain(d, db, mm)) { this.mmGone(d, db, mm, U3, o); return; }
    o.set(RK_OK, 0, U2);
  }

  /** ops.ts mmGone on d (already a copy): free the PASID if the variant does (U3, V9). */
  private mmGone(d: Int32Array, db: number, mm: number, rule: number, o: Outcome): void {
    const mo = db + mm * this.L.mmRec, pu = d[mo + M_PASID];
    const frees = pu >= 0 && (this.fam !== 'v2' || d[mo + M_GLOBAL] === 1);  // freesOnDrop
    if (frees) d[db + this.L.idaBase + pu] = 0;
    d[mo + M_STATUS] = ST_GONE;
    d[mo + M_PASID] = -1;
    d[mo + M_GLOBAL] = 0;
    o.set(RK_OK, 0, rule);
    if (pu >= 0 && !frees) o.also(V9);
  }

  /** ops.ts mmExit. */
  private mmExit(a: Int32Array, ab: number, d: Int32Array, db: number, mm: number, o: Outcome): void {
    this.copy(a, ab, d, db);
    d[db + mm * this.L.mmRec + M_STATUS] = ST_EXITED;
    o.changed = true;
    if (!this.hasSvaDomain(a, ab, mm)) this.mmGone(d, db, mm, U3, o);
    else o.set(RK_OK, 0, U3_EXIT);
  }

  /** The variants' getPasid: G1 (upstream), V8 (v1, v2), K5 (per-device). */
  private getPasid(a: Int32Array, ab: number, t: number, o: Outcome): void {
    if (this.fam === 'per-device') { o.set(RK_PASID, this.tp[t], K5); return; }
    const owner = a[this.slotO(ab, this.tk[t]) + S_MM];
    const pu = a[ab + owner * this.L.mmRec + M_PASID];
    const rule = this.fam === 'upstream' ? G1 : V8;
    if (pu < 0) o.set(RK_INVALID, 0, rule); else o.set(RK_PASID, this.universe[pu], rule);
  }

  /** The variants' enqcmdPasid (G2; v1 and v2: INVALID for a local mm, V8). */
  private enqcmdPasid(a: Int32Array, ab: number, mm: number, o: Outcome): void {
    const mo = ab + mm * this.L.mmRec, pu = a[mo + M_PASID];
    if (this.fam === 'v2' && pu >= 0 && a[mo + M_GLOBAL] === 0) { o.set(RK_INVALID, 0, V8); return; }
    if (pu < 0) o.set(RK_INVALID, 0, G2); else o.set(RK_PASID, this.universe[pu], G2);
  }

  /** ops.ts attachPasid. */
  private attachPasid(a: Int32Array, ab: number, d: Int32Array, db: number, t: number, o: Outcome): void {
    const g = this.tg[t];
    if (g < 0) { o.set(RK_ERRNO, ENODEV, B1_NODEV); return; }
    const k = this.tk[t], refusal = this.refusal(a, ab, g, this.tp[t], k);
    if (refusal !== NO_REFUSAL) { o.set(RK_ERRNO, refusal === B1_BUSY ? EBUSY : EINVAL, refusal); return; }
    this.copy(a, ab, d, db);
    const so = this.slotO(db, k);
    d[so + S_KIND] = this.th[t] ? K_HANDLE : K_KERNEL; d[so + S_DEV] = this.tdev[t];
    o.set(RK_OK, 0, B1);
    o.changed = true;
  }

  /** ops.ts dma. */
  private dma(a: Int32Array, ab: number, t: number, o: Outcome): void {
    const dev = this.tdev[t], pasid = this.tp[t];
    if (pasid >= this.dMax[dev]) { if (pasid === 0) o.set(RK_KERNEL, 0, M5); else o.set(RK_FAULT, F_BAD_SUBSTREAM, M1); return; }
    if (pasid === 0) { o.set(RK_KERNEL, 0, M5); return; }
    const k = this.tk[t];
    const kind = k < 0 ? K_EMPTY : a[this.slotO(ab, k) + S_KIND];
    if (kind === K_EMPTY) { o.set(RK_FAULT, F_BAD_CD, M2); return; }
    const so = this.slotO(ab, k);
    if (kind !== K_SVA) o.set(RK_KERNEL, 0, M5);
    else if (a[ab + a[so + S_MM] * this.L.mmRec + M_STATUS] !== ST_LIVE) o.set(RK_FAULT, F_TRANSLATION, M3);
    else o.set(RK_MM, a[so + S_MM], M4);
    if (a[so + S_DEV] !== dev) o.also(B2);
  }
}
