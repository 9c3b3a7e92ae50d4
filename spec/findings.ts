/**
 * Availability findings: binds that fail although the device could have served the process.
 * They are not invariant violations — the spec does what the design says — but design
 * findings, reported per variant, separately from violations.
 *
 * Definitions. Let s be the state before the failing bind, dev a device with group g and
 * range [1, range) (range: max_pasids of the smallest device of g), mm a live process. A
 * PASID p is free in g when g's slot at p is empty, free in the allocator when the global
 * allocator does not hold it.
 * - `starved` (A2): `bind {dev, mm}` fails ENOSPC, mm has no PASID yet and no bond in g, and
 *   some PASID in range is free in g. The system-wide id space is exhausted in the device's
 *   small range by owners that do not use this device.
 * - `local-collision` (V10): `bind {dev, mm}` fails EBUSY, mm has no PASID yet and no bond in
 *   g, the PASID the global allocator hands out (A1's candidate: the lowest id >= 1 it does
 *   not hold) sits in g under another mm's device-local bond (one whose mm's global PASID is
 *   not that PASID), and some PASID in range is free in g and in the allocator: an allocator
 *   that knew device-local PASIDs would have succeeded.
 * - `attach-collision`: as `local-collision`, but the slot holds a non-SVA domain attached at
 *   a caller-chosen PASID that no alloc_global caller holds (iommufd / a driver's own choice).
 * - `idle-local-kept` (v1's bug, V4 missing): `bind_pasid {dev, mm, p}` fails ENOSPC although
 *   mm has no SVA domain left (no live bond anywhere) and p is in range and free in g.
 * The range may be 2^20 PASIDs: free PASIDs are counted, by subtracting the taken ones (the
 * group's filled slots, the allocator's ids) from the range, never by visiting every PASID.
 */
import type { Errno } from '../vocab/index.ts';
import type { RuleId } from './rules.ts';
import type { SpecOp } from './step.ts';
import { NONE, boundPasidIn, groupOfDev, hasSvaDomain, maxPasidsOf, type Reads } from './world.ts';

export type FindingKind = 'starved' | 'local-collision' | 'attach-collision' | 'idle-local-kept';

/** A2 is a design property no spec step decides by: only this finding names it (svacheck rules lists it). */
export type FindingRuleId = RuleId | 'A2';

export const AVAILABILITY: Record<FindingKind, { readonly rule: FindingRuleId; readonly title: string; readonly explanation: string }> = {
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

/** The PASID range of group g: [1, range), range the max_pasids of its smallest device. */
function rangeOf(r: Reads, g: number): number {
  let range = Infinity;
  for (const d of r.cfg.groups[g].devices) range = Math.min(range, maxPasidsOf(r.cfg, d));
  return range;
}

/** How many PASIDs of [1, range) are taken in g: filled there, or (when `allocator`) held by the global allocator. */
function taken(r: Reads, g: number, range: number, allocator: boolean): number {
  let n = 0;
  for (const p of r.slotPasids(g)) if (p >= 1 && p < range && r.slotKind(g, p) !== 'empty') n++;
  if (allocator) for (const p of r.idaPasids()) if (p >= 1 && p < range && r.allocated(p) && r.slotKind(g, p) === 'empty') n++;
  return n;
}

/** The finding a failing bind shows: op run in state r (before it) failed with errno; null when it shows none. */
export function findingOf(r: Reads, op: SpecOp, errno: Errno | null): FindingKind | null {
  if (errno === null || (op.op !== 'bind' && op.op !== 'bind_pasid')) return null;
  if (op.op === 'bind_pasid' ? errno !== 'ENOSPC' : errno !== 'ENOSPC' && errno !== 'EBUSY') return null;
  const g = groupOfDev(r.cfg, op.dev);
  if (g === null) return null;
  const range = rangeOf(r, g);
  if (op.op === 'bind_pasid') {
    if (hasSvaDomain(r, op.mm)) return null;
    return op.pasid > 0 && op.pasid < range && r.slotKind(g, op.pasid) === 'empty' ? 'idle-local-kept' : null;
  }
  if (r.pasid(op.mm) !== NONE || boundPasidIn(r, g, op.mm) !== NONE) return null;
  if (errno === 'ENOSPC') return taken(r, g, range, false) < range - 1 ? 'starved' : null;
  const want = r.firstUnallocated(1);                                    // what the allocator hands out (A1)
  const kind = r.slotKind(g, want);
  if (kind === 'empty' || taken(r, g, range, true) >= range - 1) return null;
  if (kind === 'sva') {
    const owner = r.slotMm(g, want);
    return r.pasid(owner) === want && r.isGlobal(owner) ? null : 'local-collision';
  }
  return r.held(want) ? null : 'attach-collision';
}
