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

/**
 * A finite weighted choice: `values[i]` is drawn with probability `weights[i] / total`.
 * Operations are drawn from these, one integer per operation (kind, below), instead of from
 * fast-check records and oneofs over per-field arbitraries, which cost several times more per
 * operation: generating the operations was the larger part of the property loop's time.
 */
interface Choice<T> { readonly values: readonly T[]; readonly weights: readonly number[]; readonly total: number }

const uniform = <T>(values: readonly T[]): Choice<T> => ({ values, weights: values.map(() => 1), total: values.length });

/** Part i with probability w_i / sum(w), then one of its values by the part's own weights (as fc.oneof over weighted arbitraries). */
function mix<T>(...parts: readonly (readonly [number, Choice<T>])[]): Choice<T> {
  const product = parts.reduce((p, [, c]) => p * c.total, 1);
  const values: T[] = [], weights: number[] = [];
  for (const [w, c] of parts) {
    const scale = w * (product / c.total);
    c.values.forEach((v, i) => { values.push(v); weights.push(c.weights[i] * scale); });
  }
  return { values, weights, total: weights.reduce((a, b) => a + b, 0) };
}

/** The value that digit (0 <= digit < total) stands for. */
function pick<T>(c: Choice<T>, digit: number): T {
  let i = 0;
  while (digit >= c.weights[i]) digit -= c.weights[i++];
  return c.values[i];
}

type ValuesOf<C extends readonly Choice<unknown>[]> = { -readonly [K in keyof C]: C[K] extends Choice<infer T> ? T : never };

/**
 * Operations whose fields are drawn from `fields`: one unbiased integer in [0, product of the
 * totals), read as a mixed-radix number with the first field as its most significant digit.
 * Each field is drawn by its weights, independently of the others, as a record of weighted
 * arbitraries would draw it. fast-check shrinks the integer towards 0: the fields towards
 * their first values, the first field first.
 */
function kind<const C extends readonly Choice<unknown>[]>(fields: C, make: (...values: ValuesOf<C>) => Op): fc.Arbitrary<Op> {
  const size = fields.reduce((p, c) => p * c.total, 1);
  return fc.noBias(fc.integer({ min: 0, max: size - 1 })).map((n) => {
    const values = new Array<unknown>(fields.length);
    for (let i = fields.length - 1; i >= 0; i--) {
      const total = fields[i].total;
      values[i] = pick(fields[i], n % total);
      n = (n - (n % total)) / total;
    }
    return make(...(values as ValuesOf<C>));
  });
}

/** PASIDs worth trying: 0..4 (weight 6), the setup's interesting ones (weight 2). */
const pasidChoice = (setup: Setup): Choice<number> => mix([6, uniform([0, 1, 2, 3, 4])], [2, uniform(interestingPasids(setup))]);

/** Small PASIDs: where alloc_global's lowest-first ids, attaches and local binds meet. */
const SMALL_PASIDS = uniform([1, 2, 3]);

/**
 * A random operation among `ops` (the variant's) over the setup's names, weighted so that a sequence of
 * ~20 reaches bonds shared by several names, attaches being detached, ids being freed, and
 * exits late enough for the mm to have bonds.
 *
 * `maxSteps` (the longest sequence, default 50) keeps exits at about one per sequence: every
 * other weight is scaled by maxSteps / 50 (rounded, at least 1). Exits are terminal: at the
 * same rate, a sequence of 100 would see every mm of a small setup exit, and then drop most of
 * its remaining ops (no op may name an exited mm).
 */
export function opArb(setup: Setup, ops: readonly OpName[], maxSteps = 50): fc.Arbitrary<Op> {
  const dev = uniform(setup.devices.map((d) => d.name));
  // iommu_alloc_global_pasid on a device behind no IOMMU oopses (C6): never generated.
  const pasidDev = uniform(setup.devices.filter((d) => d.iommu !== null).map((d) => d.name));
  const mm = uniform(setup.mms);
  const handle = uniform(HANDLE_NAMES);
  const pasid = pasidChoice(setup);
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Op> }[] = [];
  const scale = Math.max(1, Math.round(maxSteps / 50));
  const offer = (op: OpName, weight: number, arbitrary: () => fc.Arbitrary<Op>) => {
    if (ops.includes(op)) kinds.push({ weight: op === 'mm_exit' ? weight : weight * scale, arbitrary: arbitrary() });
  };
  offer('bind', 4, () => kind([dev, mm, handle], (dev, mm, as) => ({ op: 'bind', dev, mm, as })));
  offer('unbind', 4, () => kind([handle], (handle) => ({ op: 'unbind', handle })));
  offer('get_pasid', 1, () => kind([handle], (handle) => ({ op: 'get_pasid', handle })));
  offer('enqcmd_pasid', 1, () => kind([mm], (mm) => ({ op: 'enqcmd_pasid', mm })));
  offer('alloc_global', 2, () => kind([pasidDev], (dev) => ({ op: 'alloc_global', dev })));
  // free_global only runs for an id alloc_global returned (C3): lowest-first ids are small.
  offer('free_global', 2, () => kind([mix([4, SMALL_PASIDS], [1, pasid])], (pasid) => ({ op: 'free_global', pasid })));
  offer('attach_pasid', 2, () => kind([dev, mix([2, SMALL_PASIDS], [1, pasid]), uniform([false, true])],
    (dev, pasid, handle) => ({ op: 'attach_pasid', dev, pasid, ...(handle ? { handle: true } : {}) })));
  // detach_pasid only runs where a non-SVA attach sits (C4).
  offer('detach_pasid', 2, () => kind([dev, mix([4, SMALL_PASIDS], [1, pasid])], (dev, pasid) => ({ op: 'detach_pasid', dev, pasid })));
  offer('mm_exit', 1, () => kind([mm], (mm) => ({ op: 'mm_exit', mm })));
  offer('dma', 1, () => kind([dev, pasid], (dev, pasid) => ({ op: 'dma', dev, pasid })));
  offer('bind_pasid', 4, () => kind([dev, mm, pasid, handle], (dev, mm, pasid, as) => ({ op: 'bind_pasid', dev, mm, pasid, as })));
  // The earlier designs' own operations: sva-2018's private binds and mm_exit callbacks returning,
  // ioasid-2020's set operations where the setup declares sets.
  offer('bind_private', 2, () => kind([dev, mm, handle], (dev, mm, as) => ({ op: 'bind_private', dev, mm, as })));
  offer('mm_exit_done', 3, () => kind([handle], (handle) => ({ op: 'mm_exit_done', handle })));
  const sets = setup.ioasid?.sets?.map((s) => s.name) ?? [];
  if (sets.length > 0) {
    const set = uniform(sets);
    offer('ioasid_alloc', 2, () => kind([set, pasidDev], (set, dev) => ({ op: 'ioasid_alloc', set, dev })));
    offer('ioasid_free_set', 1, () => kind([set], (set) => ({ op: 'ioasid_free_set', set })));
    offer('ioasid_adjust_set', 1, () => kind([set, uniform([0, 1, 2, 3, 4])], (set, quota) => ({ op: 'ioasid_adjust_set', set, quota })));
  }
  if (kinds.length === 0) throw new Error(`no operation left to generate (asked: ${ops.join(', ') || 'none'})`);
  return fc.oneof(...kinds);
}
