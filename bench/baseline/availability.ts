/**
 * Availability findings: binds that fail although the device could have served the process.
 * They are not invariant violations — the spec does what the design says — but design
 * findings, reported per variant, separately from violations.
 *
 * Definitions. Let s be a state, dev a device with group g and range 1..max-1 (max over the
 * group), mm a live process.
 * - `starved` (A2): `bind {dev, mm}` fails ENOSPC, mm has no PASID yet and no bond in g, and
 *   some PASID p in dev's range has an empty slot in g. The system-wide id space is exhausted
 *   in the device's small range by owners that do not use this device.
 * - `local-collision` (V10): `bind {dev, mm}` fails EBUSY, mm has no PASID yet and no bond in
 *   g, the PASID the global allocator handed out sits in g under another mm's device-local
 *   bond (one whose mm's global PASID is not that PASID), and some p in range has an empty
 *   slot in g and is free in the global allocator: an allocator that knew device-local
 *   PASIDs would have succeeded.
 * - `attach-collision`: as `local-collision`, but the slot holds a non-SVA domain attached at
 *   a caller-chosen PASID the allocator does not hold (iommufd / a driver's own choice).
 * - `idle-local-kept` (v1's bug, V4 missing): `bind_pasid {dev, mm, p}` fails ENOSPC although
 *   mm has no SVA domain left (no live bond anywhere) and p's slot in g is empty and in range.
 */
import type { RuleId } from '../../spec/index.ts';
import { ERRNOS } from '../../vocab/index.ts';
import { RK_ERRNO, type Outcome } from '../../model/outcome.ts';
import { K_EMPTY, K_SVA, M_DOM, M_GLOBAL, M_PASID, SLOT_REC, S_KIND, S_MM, lowestUnheld, type Space } from '../../model/space.ts';

const ENOSPC = ERRNOS.indexOf('ENOSPC'), EBUSY = ERRNOS.indexOf('EBUSY');

export type AvailabilityKind = 'starved' | 'local-collision' | 'attach-collision' | 'idle-local-kept';

/** A2 is a design property no spec step decides by: only this finding names it (svacheck rules lists it). */
export type FindingRuleId = RuleId | 'A2';

export const AVAILABILITY: Record<AvailabilityKind, { readonly rule: FindingRuleId; readonly title: string; readonly explanation: string }> = {
  starved: {
    rule: 'A2', title: 'bind starved by the global allocator',
    explanation: 'bind fails ENOSPC although the device has a free PASID: every id in its small range is held system-wide by owners that do not use this device.',
  },
  'local-collision': {
    rule: 'V10', title: 'global allocator collides with a device-local PASID',
    explanation: "bind fails EBUSY: the global allocator handed out an id that another mm holds as a device-local PASID on this device, although another PASID of the device was free everywhere.",
  },
  'attach-collision': {
    rule: 'B1-busy', title: 'global allocator collides with a caller-chosen attach',
    explanation: 'bind fails EBUSY: the global allocator handed out an id at which a non-SVA domain was attached by a caller that chose it itself, although another PASID of the device was free everywhere.',
  },
  'idle-local-kept': {
    rule: 'V4', title: 'an idle device-local mm keeps its old PASID',
    explanation: 'bind_pasid fails ENOSPC although the mm has no bond left and the asked slot is free: the mm kept its first local PASID (the bug the v2 changelog fixes).',
  },
};

/** Whether slot (group g, PASID of universe index pu) is filled in state a[ab ..). */
function filled(L: Space['layout'], a: Int32Array, ab: number, g: number, pu: number): boolean {
  const k = pu < 0 ? -1 : L.slotOfU[g][pu];
  return k >= 0 && a[ab + L.slotBase + k * SLOT_REC + S_KIND] !== K_EMPTY;
}

/**
 * The availability finding a transition shows: template t, run in state a[ab ..) (a flat
 * state, space.ts) with outcome o. The definitions above, over the flat state.
 */
export function availabilityOf(space: Space, a: Int32Array, ab: number, t: number, o: Outcome): AvailabilityKind | null {
  if (o.rk !== RK_ERRNO) return null;
  const op = space.templates[t];
  if (op.op !== 'bind' && op.op !== 'bind_pasid') return null;
  const cfg = space.cfg, L = space.layout, U = space.universe;
  if (cfg.devices[op.dev].iommu === null) return null;
  const g = cfg.devices[op.dev].group;
  const range = L.range[g];
  const mo = ab + op.mm * L.mmRec;
  if (op.op === 'bind_pasid') {
    if (o.rv !== ENOSPC) return null;
    for (let j = 0; j < L.ni; j++) if (a[mo + M_DOM + j] > 0) return null;
    return op.pasid > 0 && op.pasid < range && !filled(L, a, ab, g, U.indexOf(op.pasid)) ? 'idle-local-kept' : null;
  }
  if (a[mo + M_PASID] >= 0) return null;
  let inRange = 0, filledInRange = 0, freeInRange = false;
  for (let k = 0; k < L.slots; k++) {
    if (L.slotGroup[k] !== g) continue;
    const so = ab + L.slotBase + k * SLOT_REC;
    if (a[so + S_KIND] === K_SVA && a[so + S_MM] === op.mm) return null;       // mm already bound in g
  }
  for (let i = 0; i < U.length && U[i] < range; i++) {
    inRange++;
    if (filled(L, a, ab, g, i)) filledInRange++;
    else if (a[ab + L.idaBase + i] === 0) freeInRange = true;
  }
  // PASIDs of [1, range) outside the universe are neither slots nor allocator ids: free.
  const outside = range - 1 - inRange;
  if (o.rv === ENOSPC) return outside > 0 || filledInRange < inRange ? 'starved' : null;
  if (o.rv !== EBUSY) return null;
  const want = lowestUnheld(L, a, ab);                                     // A1: what the allocator hands out
  const wu = U.indexOf(want);
  const k = wu < 0 ? -1 : L.slotOfU[g][wu];
  if (k < 0) return null;
  const so = ab + L.slotBase + k * SLOT_REC;
  if (a[so + S_KIND] === K_EMPTY) return null;
  if (!(outside > 0 || freeInRange)) return null;
  if (a[so + S_KIND] === K_SVA) {
    const owner = ab + a[so + S_MM] * L.mmRec;
    return a[owner + M_PASID] === wu && a[owner + M_GLOBAL] === 1 ? null : 'local-collision';
  }
  return a[ab + L.heldBase + wu] === 1 ? null : 'attach-collision';
}
