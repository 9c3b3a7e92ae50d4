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
import { maxPasids, type Config, type SpecOp, type State } from '../spec/index.ts';
import type { Result } from '../vocab/index.ts';

export type AvailabilityKind = 'starved' | 'local-collision' | 'attach-collision' | 'idle-local-kept';

export const AVAILABILITY: Record<AvailabilityKind, { readonly rule: string; readonly title: string; readonly explanation: string }> = {
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

const groupRange = (cfg: Config, g: number): number => Math.min(...cfg.groups[g].devices.map((d) => maxPasids(cfg, d)));

/** The availability finding this transition shows, or null. `before` is the state op ran in. */
export function availabilityOf(cfg: Config, before: State, op: SpecOp, result: Result): AvailabilityKind | null {
  if (result.kind !== 'errno' || (op.op !== 'bind' && op.op !== 'bind_pasid')) return null;
  const g = cfg.devices[op.dev].iommu === null ? null : cfg.devices[op.dev].group;
  if (g === null) return null;
  const mm = before.mms[op.mm];
  const slots = before.slots[g];
  const range = groupRange(cfg, g);
  if (op.op === 'bind_pasid') {
    if (result.errno !== 'ENOSPC' || mm.domains.some((u) => u > 0)) return null;
    return op.pasid > 0 && op.pasid < range && !slots.has(op.pasid) ? 'idle-local-kept' : null;
  }
  if (mm.data !== null) return null;
  for (const s of slots.values()) if (s.kind === 'sva' && s.mm === op.mm) return null;
  if (result.errno === 'ENOSPC') {
    for (let p = 1; p < range; p++) if (!slots.has(p)) return 'starved';
    return null;
  }
  if (result.errno !== 'EBUSY') return null;
  // The id the allocator would hand out: lowest free in the device's range (A1).
  let want = 1;
  for (const held of before.ida) { if (held > want) break; if (held === want) want++; }
  const at = slots.get(want);
  if (at === undefined) return null;
  let otherFree = false;
  for (let p = 1; p < range; p++) if (!slots.has(p) && !before.ida.includes(p)) { otherFree = true; break; }
  if (!otherFree) return null;
  if (at.kind === 'sva') return before.mms[at.mm].data?.pasid === want && before.mms[at.mm].data?.global ? null : 'local-collision';
  return before.kernelHeld.includes(want) ? null : 'attach-collision';
}
