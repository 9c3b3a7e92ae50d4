/**
 * Random small configurations and random operations over them, as fast-check arbitraries.
 *
 * Configurations: 1-4 small devices (0-3 SSID bits; sometimes behind no IOMMU, sometimes two
 * sharing a group) and one 8-20-bit PCI device; one or two SMMU instances, now and then with a
 * tiny ASID space (to reach ASID exhaustion, M6) or without SVA support (M7); 1-4 mms.
 *
 * Operations: every operation of the variant, over the setup's names. Nothing here avoids an
 * error path: which calls the caller contract forbids is decided at run time, from the
 * model's state, by the command's precondition (check.ts).
 */
import fc from 'fast-check';
import { RESERVED_NAMES, type DeviceSetup, type IommuSetup, type Op, type OpName, type Setup } from '../vocab/index.ts';
import { setupProblem } from '../vocab/setup.ts';

const SMALL_NAMES = ['accel', 'dsp', 'gpu', 'npu'] as const;
const BIG_NAME = 'nic';
const MM_NAMES = ['A', 'B', 'C', 'D'] as const;
/** Handle names binds take; unbind and get_pasid name one of them. */
export const HANDLE_NAMES = ['h1', 'h2', 'h3'] as const;

export const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    small: fc.array(
      fc.record({ ssidBits: fc.integer({ min: 0, max: 3 }), noIommu: fc.boolean(), second: fc.boolean() }),
      { minLength: 1, maxLength: 4 },
    ),
    bigBits: fc.integer({ min: 8, max: 20 }),
    bigSecond: fc.boolean(),
    twoIommus: fc.boolean(),
    /** 0: none share a group; k: small devices 0..k share group g0 (behind the first device's IOMMU). */
    shared: fc.integer({ min: 0, max: 2 }),
    asidBits: fc.oneof({ weight: 4, arbitrary: fc.constant(16) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
    secondAsidBits: fc.oneof({ weight: 3, arbitrary: fc.constant(16) }, { weight: 1, arbitrary: fc.constant(1) }),
    secondSva: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    mms: fc.integer({ min: 1, max: 4 }),
  })
  .map((r): Setup => {
    const iommuOf = (second: boolean) => (r.twoIommus && second ? 'smmu1' : 'smmu0');
    const devices: DeviceSetup[] = r.small.map((d, i) => {
      // A device without an IOMMU now and then (1 in 8), never one that would share a group.
      const noIommu = d.noIommu && d.ssidBits === 0 && i > r.shared;
      return noIommu ? { name: SMALL_NAMES[i], ssidBits: d.ssidBits, iommu: null } : { name: SMALL_NAMES[i], ssidBits: d.ssidBits, iommu: iommuOf(d.second) };
    });
    if (r.shared > 0 && devices.length > r.shared) {
      const iommu = devices[0].iommu;
      for (let i = 0; i <= r.shared; i++) devices[i] = { ...devices[i], group: 'g0', iommu };
    }
    devices.push({ name: BIG_NAME, ssidBits: r.bigBits, iommu: iommuOf(r.bigSecond) });
    const iommus: IommuSetup[] = [{ name: 'smmu0', asidBits: r.asidBits }];
    if (r.twoIommus) iommus.push({ name: 'smmu1', asidBits: r.secondAsidBits, sva: r.secondSva });
    return { devices, iommus, mms: MM_NAMES.slice(0, r.mms) };
  })
  .filter((s) => setupProblem(s, RESERVED_NAMES) === null);

/** PASIDs worth trying on this setup: 0..4, and each device's last valid PASID and first invalid one. */
export function interestingPasids(setup: Setup): number[] {
  const out = new Set<number>();
  for (const d of setup.devices) {
    if (d.iommu === null) continue;
    const max = 2 ** d.ssidBits;
    if (max > 1) out.add(max - 1);
    out.add(max);
  }
  return [...out].sort((a, b) => a - b);
}

const pasidArb = (setup: Setup): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
    { weight: 2, arbitrary: fc.constantFrom(...interestingPasids(setup)) },
  );

/** Small PASIDs: where alloc_global's lowest-first ids, attaches and local binds meet. */
const smallPasid = fc.integer({ min: 1, max: 3 });

/**
 * A random operation among `ops` (the variant's) over the setup's names, weighted so that a sequence of
 * ~20 reaches bonds shared by several names, attaches being detached, ids being freed, and
 * exits late enough for the mm to have bonds.
 */
export function opArb(setup: Setup, ops: readonly OpName[]): fc.Arbitrary<Op> {
  const dev = fc.constantFrom(...setup.devices.map((d) => d.name));
  // iommu_alloc_global_pasid on a device behind no IOMMU oopses (C6): never generated.
  const pasidDev = fc.constantFrom(...setup.devices.filter((d) => d.iommu !== null).map((d) => d.name));
  const mm = fc.constantFrom(...setup.mms);
  const handle = fc.constantFrom(...HANDLE_NAMES);
  const pasid = pasidArb(setup);
  const w = (weight: number, arbitrary: fc.Arbitrary<Op>) => ({ weight, arbitrary });
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Op> }[] = [];
  const offer = (op: OpName, weight: number, arbitrary: fc.Arbitrary<Op>) => { if (ops.includes(op)) kinds.push(w(weight, arbitrary)); };
  offer('bind', 4, fc.record({ dev, mm, as: handle }).map((o): Op => ({ op: 'bind', dev: o.dev, mm: o.mm, as: o.as })));
  offer('unbind', 4, handle.map((h): Op => ({ op: 'unbind', handle: h })));
  offer('get_pasid', 1, handle.map((h): Op => ({ op: 'get_pasid', handle: h })));
  offer('enqcmd_pasid', 1, mm.map((m): Op => ({ op: 'enqcmd_pasid', mm: m })));
  offer('alloc_global', 2, pasidDev.map((d): Op => ({ op: 'alloc_global', dev: d })));
  // free_global only runs for an id alloc_global returned (C3): lowest-first ids are small.
  offer('free_global', 2, fc.oneof({ weight: 4, arbitrary: smallPasid }, { weight: 1, arbitrary: pasid }).map((p): Op => ({ op: 'free_global', pasid: p })));
  offer('attach_pasid', 2, fc.record({ dev, pasid: fc.oneof({ weight: 2, arbitrary: smallPasid }, { weight: 1, arbitrary: pasid }), handle: fc.boolean() })
    .map((o): Op => ({ op: 'attach_pasid', dev: o.dev, pasid: o.pasid, ...(o.handle ? { handle: true } : {}) })));
  // detach_pasid only runs where a non-SVA attach sits (C4).
  offer('detach_pasid', 2, fc.record({ dev, pasid: fc.oneof({ weight: 4, arbitrary: smallPasid }, { weight: 1, arbitrary: pasid }) }).map((o): Op => ({ op: 'detach_pasid', ...o })));
  offer('mm_exit', 1, mm.map((m): Op => ({ op: 'mm_exit', mm: m })));
  offer('dma', 1, fc.record({ dev, pasid }).map((o): Op => ({ op: 'dma', ...o })));
  offer('bind_pasid', 4, fc.record({ dev, mm, pasid, as: handle }).map((o): Op => ({ op: 'bind_pasid', dev: o.dev, mm: o.mm, pasid: o.pasid, as: o.as })));
  // The earlier designs' own operations: sva-2018's private binds and mm_exit callbacks returning,
  // ioasid-2020's set operations where the setup declares sets.
  offer('bind_private', 2, fc.record({ dev, mm, as: handle }).map((o): Op => ({ op: 'bind_private', dev: o.dev, mm: o.mm, as: o.as })));
  offer('mm_exit_done', 3, handle.map((h): Op => ({ op: 'mm_exit_done', handle: h })));
  const sets = setup.ioasid?.sets?.map((s) => s.name) ?? [];
  if (sets.length > 0) {
    const set = fc.constantFrom(...sets);
    offer('ioasid_alloc', 2, fc.record({ set, dev: pasidDev }).map((o): Op => ({ op: 'ioasid_alloc', set: o.set, dev: o.dev })));
    offer('ioasid_free_set', 1, set.map((s): Op => ({ op: 'ioasid_free_set', set: s })));
    offer('ioasid_adjust_set', 1, fc.record({ set, quota: fc.integer({ min: 0, max: 4 }) }).map((o): Op => ({ op: 'ioasid_adjust_set', set: o.set, quota: o.quota })));
  }
  if (kinds.length === 0) throw new Error(`no operation left to generate (asked: ${ops.join(', ') || 'none'})`);
  return fc.oneof(...kinds);
}
