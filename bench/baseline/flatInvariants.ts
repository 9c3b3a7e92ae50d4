/**
 * The invariants of spec/invariants.ts decided on flat states (space.ts), for the explorer's
 * hot path: a verdict per invariant without building an Observation. Only when one breaks does
 * the checker run the spec's own invariant on the decoded state, for its reason. The verify
 * engine runs both on every new state and stops where they disagree (DivergenceError).
 *
 * Four invariants cannot break on a flat state, by construction of the layout, and are
 * marked so:
 * - noTwoOwnersShareADeviceSlot: a flat slot record holds one owner;
 * - bondPasidInDeviceRange: slots exist only for PASIDs 1..range-1 of their group (toFlat
 *   throws EncodingError for any other, the compiled engine writes only there);
 * - dmaReachesOnlyBoundLiveMm and boundLiveMmIsReachable: the DMA answer is read from the slot
 *   (ops.ts dma, shared by every variant): an mm only for a live mm's bond, a fault for an
 *   exited one, and a fault beyond the device's range.
 */
import type { Invariant } from '../../spec/index.ts';
import { K_KERNEL, K_SVA, M_DOM, M_GLOBAL, M_PASID, M_STATUS, SLOT_REC, ST_GONE, ST_LIVE, S_DEV, S_KIND, S_MM, S_USERS, type Layout, type Space } from '../../model/space.ts';

type Check = (x: FlatInvariants, a: Int32Array, b: number) => boolean;

const holds: Check = () => true;

/** Every id the global allocator holds has exactly one owner (A3). */
const globalPasidHasExactlyOneOwner: Check = (x, a, b) => {
  const L = x.L;
  for (let i = 0; i < L.u; i++) {
    if (a[b + L.idaBase + i] === 0) continue;
    let owners = a[b + L.heldBase + i];
    for (let m = 0; m < L.nm; m++) {
      const o = b + m * L.mmRec;
      if (a[o + M_PASID] === i && a[o + M_GLOBAL] === 1 && a[o + M_STATUS] !== ST_GONE) owners++;
    }
    if (owners !== 1) return false;
  }
  return true;
};

/** Every id an owner holds is still in the global allocator (V9). */
const localPasidNeverFreedGlobally: Check = (x, a, b) => {
  const L = x.L;
  for (let m = 0; m < L.nm; m++) {
    const o = b + m * L.mmRec, pu = a[o + M_PASID];
    if (pu >= 0 && a[o + M_GLOBAL] === 1 && a[o + M_STATUS] !== ST_GONE && a[b + L.idaBase + pu] === 0) return false;
  }
  for (let i = 0; i < L.u; i++) if (a[b + L.heldBase + i] === 1 && a[b + L.idaBase + i] === 0) return false;
  return true;
};

/** A live mm's global ENQCMD PASID is empty or its own in every group where it is bound (G2). */
const enqcmdPasidIsGlobalAndMeansItsMm: Check = (x, a, b) => {
  const L = x.L;
  for (let m = 0; m < L.nm; m++) {
    const o = b + m * L.mmRec, pu = a[o + M_PASID];
    if (a[o + M_STATUS] !== ST_LIVE || pu < 0 || a[o + M_GLOBAL] !== 1) continue;
    for (let k = 0; k < L.slots; k++) {
      const so = b + L.slotBase + k * SLOT_REC;
      if (a[so + S_KIND] !== K_SVA || a[so + S_MM] !== m) continue;       // a group where m is bound
      const at = L.slotOfU[L.slotGroup[k]][pu];
      if (at < 0) continue;
      const ao = b + L.slotBase + at * SLOT_REC;
      if (a[ao + S_KIND] >= K_KERNEL || (a[ao + S_KIND] === K_SVA && a[ao + S_MM] !== m)) return false;   // bare or with a handle
    }
  }
  return true;
};

/** Bonds have users; an mm's SVA domain on an IOMMU counts exactly its bonds behind it (U1). */
const domainUsersMatchAttachments: Check = (x, a, b) => {
  const L = x.L;
  for (let m = 0; m < L.nm; m++) {
    for (let j = 0; j < L.ni; j++) {
      let bonds = 0;
      for (let k = 0; k < L.slots; k++) {
        const so = b + L.slotBase + k * SLOT_REC;
        if (a[so + S_KIND] === K_SVA && a[so + S_MM] === m && x.devIommu[a[so + S_DEV]] === j) bonds++;
      }
      const users = a[b + m * L.mmRec + M_DOM + j];
      if (bonds !== (users > 0 ? users : 0)) return false;
    }
  }
  for (let k = 0; k < L.slots; k++) {
    const so = b + L.slotBase + k * SLOT_REC;
    if (a[so + S_KIND] === K_SVA && a[so + S_USERS] < 1) return false;
  }
  return true;
};

/** A gone mm has no PASID, no domain, no bond (U3). */
const goneMmHoldsNothing: Check = (x, a, b) => {
  const L = x.L;
  for (let m = 0; m < L.nm; m++) {
    const o = b + m * L.mmRec;
    if (a[o + M_STATUS] !== ST_GONE) continue;
    if (a[o + M_PASID] >= 0) return false;
    for (let j = 0; j < L.ni; j++) if (a[o + M_DOM + j] > 0) return false;
    for (let k = 0; k < L.slots; k++) {
      const so = b + L.slotBase + k * SLOT_REC;
      if (a[so + S_KIND] === K_SVA && a[so + S_MM] === m) return false;
    }
  }
  return true;
};

/** Every bond sits at its mm's one PASID (S2-reuse). */
const bondsUseTheMmPasid: Check = (x, a, b) => {
  const L = x.L;
  for (let k = 0; k < L.slots; k++) {
    const so = b + L.slotBase + k * SLOT_REC;
    if (a[so + S_KIND] === K_SVA && a[b + a[so + S_MM] * L.mmRec + M_PASID] !== L.slotU[k]) return false;
  }
  return true;
};

/** An mm has at most one bond in a group (K3). */
const oneBondPerGroupAndMm: Check = (x, a, b) => {
  const L = x.L;
  for (let k = 0; k < L.slots; k++) {
    const so = b + L.slotBase + k * SLOT_REC;
    if (a[so + S_KIND] !== K_SVA) continue;
    for (let q = k + 1; q < L.slots && L.slotGroup[q] === L.slotGroup[k]; q++) {
      const qo = b + L.slotBase + q * SLOT_REC;
      if (a[qo + S_KIND] === K_SVA && a[qo + S_MM] === a[so + S_MM]) return false;
    }
  }
  return true;
};

const CHECKS: Readonly<Record<string, Check>> = {
  noTwoOwnersShareADeviceSlot: holds,
  bondPasidInDeviceRange: holds,
  dmaReachesOnlyBoundLiveMm: holds,
  boundLiveMmIsReachable: holds,
  globalPasidHasExactlyOneOwner,
  localPasidNeverFreedGlobally,
  enqcmdPasidIsGlobalAndMeansItsMm,
  domainUsersMatchAttachments,
  goneMmHoldsNothing,
  bondsUseTheMmPasid,
  oneBondPerGroupAndMm,
};

/** The flat verdicts of a list of spec invariants (the checker's list, in its order). */
export class FlatInvariants {
  readonly L: Layout;
  readonly devIommu: Int32Array;
  private readonly checks: readonly Check[];

  constructor(space: Space, readonly invariants: readonly Invariant[]) {
    this.L = space.layout;
    this.devIommu = Int32Array.from(space.cfg.devices, (d) => d.iommu ?? -1);
    this.checks = invariants.map((inv) => {
      const c = CHECKS[inv.name];
      if (!c) throw new Error(`invariant ${inv.name} has no flat check in model/flatInvariants.ts`);
      return c;
    });
  }

  /** Whether every invariant holds in the flat state a[b ..). */
  allHold(a: Int32Array, b: number): boolean {
    for (let i = 0; i < this.checks.length; i++) if (!this.checks[i](this, a, b)) return false;
    return true;
  }

  /** The invariants broken in a[b ..), by name. */
  broken(a: Int32Array, b: number): string[] {
    return this.invariants.filter((_, i) => !this.checks[i](this, a, b)).map((inv) => inv.name);
  }
}
