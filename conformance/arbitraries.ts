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
 *
 * Both are drawn from weighted choices read off one integer per operation and two per setup
 * (Choice, drawn, opCode): fast-check's records and oneofs cost several times more, and
 * generating was the larger part of the property loop's time.
 */
import fc from 'fast-check';
import type { DeviceSetup, IommuSetup, Op, OpName, Setup } from '../vocab/index.ts';

const SMALL_NAMES = ['accel', 'dsp', 'gpu', 'npu'] as const;
const BIG_NAME = 'nic';
const MM_NAMES = ['A', 'B', 'C', 'D'] as const;
/** Handle names binds take; unbind and get_pasid name one of them. */
export const HANDLE_NAMES = ['h1', 'h2', 'h3'] as const;

/** A finite weighted choice: `values[i]` is drawn with probability `weights[i] / total`. */
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

/** n (0 <= n < product of the totals) read as a mixed-radix number: each field's value, the first field the most significant digit. */
function digits<const C extends readonly Choice<unknown>[]>(fields: C, n: number): ValuesOf<C> {
  const values = new Array<unknown>(fields.length);
  for (let i = fields.length - 1; i >= 0; i--) {
    const total = fields[i].total;
    values[i] = pick(fields[i], n % total);
    n = (n - (n % total)) / total;
  }
  return values as ValuesOf<C>;
}

/**
 * `fc.noBias(fc.integer({ min: 0, max: size - 1 })).map(decode)` in one arbitrary: the same
 * draw (one mrng.nextInt(0, size - 1), the integer arbitrary's draw without bias), and the same
 * shrinks (the integer's, decoded), so seeds and replay paths are those of the composed form,
 * without its two intermediate values per draw (the loop generates about two operations per
 * operation it checks). arbitraries.test.ts holds it to the composed form.
 */
export class DecodedInteger<T> extends fc.Arbitrary<T> {
  private readonly integer: fc.Arbitrary<number>;
  constructor(private readonly size: number, private readonly decode: (n: number) => T) {
    super();
    this.integer = fc.integer({ min: 0, max: size - 1 });
  }
  generate(mrng: fc.Random): fc.Value<T> {
    const n = mrng.nextInt(0, this.size - 1);
    return new fc.Value(this.decode(n), { n, context: undefined });
  }
  canShrinkWithoutContext(_value: unknown): _value is T { return false; }
  shrink(_value: T, context: unknown): fc.Stream<fc.Value<T>> {
    if (typeof context !== 'object' || context === null || !('n' in context)) return fc.Stream.nil();
    const { n, context: inner } = context as { n: number; context: unknown };
    return this.integer.shrink(n, inner).map((v) => new fc.Value(this.decode(v.value), { n: v.value, context: v.context }));
  }
}

const product = (fields: readonly Choice<unknown>[]): number => fields.reduce((p, c) => p * c.total, 1);

/**
 * Values drawn from `fields`, each by its weights and independently of the others (as a record
 * of weighted arbitraries draws them), from one unbiased integer in [0, product of the
 * totals). fast-check shrinks the integer towards 0: the fields towards their first values,
 * the first field first.
 */
function drawn<const C extends readonly Choice<unknown>[]>(fields: C): fc.Arbitrary<ValuesOf<C>> {
  const size = product(fields);
  if (size > 2 ** 31) throw new Error(`drawn: ${size} combinations do not fit one integer`);
  return new DecodedInteger(size, (n) => digits(fields, n));
}

/** An operation kind: its fields, how many combinations they have, and the op they make. */
interface Kind { readonly fields: readonly Choice<unknown>[]; readonly size: number; make(values: readonly unknown[]): Op }
const kind = <const C extends readonly Choice<unknown>[]>(fields: C, make: (...values: ValuesOf<C>) => Op): Kind =>
  ({ fields, size: product(fields), make: (values) => make(...(values as ValuesOf<C>)) });

const bool = uniform([false, true]);
/** A small device: its SSID bits, whether it sits behind no IOMMU (when it may), behind the second IOMMU. */
const smallDevice = [uniform([0, 1, 2, 3]), bool, bool] as const;

/**
 * Random setups, usable by construction (fixed distinct names, SSID bits in range, a shared
 * group's devices behind one IOMMU): no filter pays setupProblem per sequence, and
 * arbitraries.test.ts holds every sample to it.
 */
export const setupArb: fc.Arbitrary<Setup> = fc
  .tuple(
    // How many small devices (1-4), then four of them (the first `count` are used).
    drawn([uniform([1, 2, 3, 4]), ...smallDevice, ...smallDevice, ...smallDevice, ...smallDevice]),
    drawn([
      uniform([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]),     // bigBits
      bool,                                                            // bigSecond
      bool,                                                            // twoIommus
      /** 0: none share a group; k: small devices 0..k share group g0 (behind the first device's IOMMU). */
      uniform([0, 1, 2]),                                              // shared
      mix([4, uniform([16])], [1, uniform([1, 2])]),                   // asidBits
      mix([3, uniform([16])], [1, uniform([1])]),                      // secondAsidBits
      mix([6, uniform([true])], [1, uniform([false])]),                // secondSva
      uniform([1, 2, 3, 4]),                                           // mms
    ]),
  )
  .map(([[count, ...small], [bigBits, bigSecond, twoIommus, shared, asidBits, secondAsidBits, secondSva, mms]]): Setup => {
    const iommuOf = (second: boolean) => (twoIommus && second ? 'smmu1' : 'smmu0');
    const devices: DeviceSetup[] = [];
    for (let i = 0; i < count; i++) {
      const ssidBits = small[3 * i] as number, noIommu = small[3 * i + 1] as boolean, second = small[3 * i + 2] as boolean;
      // A device without an IOMMU now and then (1 in 8), never one that would share a group.
      devices.push(noIommu && ssidBits === 0 && i > shared
        ? { name: SMALL_NAMES[i], ssidBits, iommu: null }
        : { name: SMALL_NAMES[i], ssidBits, iommu: iommuOf(second) });
    }
    if (shared > 0 && devices.length > shared) {
      const iommu = devices[0].iommu;
      for (let i = 0; i <= shared; i++) devices[i] = { ...devices[i], group: 'g0', iommu };
    }
    devices.push({ name: BIG_NAME, ssidBits: bigBits, iommu: iommuOf(bigSecond) });
    const iommus: IommuSetup[] = [{ name: 'smmu0', asidBits }];
    if (twoIommus) iommus.push({ name: 'smmu1', asidBits: secondAsidBits, sva: secondSva });
    return { devices, iommus, mms: MM_NAMES.slice(0, mms) };
  });

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

/** PASIDs worth trying: 0..4 (weight 6), the setup's interesting ones (weight 2). */
const pasidChoice = (setup: Setup): Choice<number> => mix([6, uniform([0, 1, 2, 3, 4])], [2, uniform(interestingPasids(setup))]);

/** Small PASIDs: where alloc_global's lowest-first ids, attaches and local binds meet. */
const SMALL_PASIDS = uniform([1, 2, 3]);

/**
 * Operations as integers: `decode` maps each n in [0, size) to an operation. The range is cut
 * into equal blocks, one per unit of weight (a kind of weight 4 owns 4 blocks, in the order
 * below, binds first), and n's place in its block draws the kind's fields (digits, scaled to
 * the kind's combinations). One unbiased integer per operation is the cheapest draw fast-check
 * has; shrinking it goes towards the first kind and the fields' first values.
 */
export interface OpCode { readonly size: number; decode(n: number): Op }

/**
 * Random operations among `ops` (the variant's) over the setup's names, weighted so that a sequence of
 * ~20 reaches bonds shared by several names, attaches being detached, ids being freed, and
 * exits late enough for the mm to have bonds.
 *
 * `maxSteps` (the longest sequence, default 50) keeps exits at about one per sequence: every
 * other weight is scaled by maxSteps / 50 (rounded, at least 1). Exits are terminal: at the
 * same rate, a sequence of 100 would see every mm of a small setup exit, and then drop most of
 * its remaining ops (no op may name an exited mm).
 */
export function opCode(setup: Setup, ops: readonly OpName[], maxSteps = 50): OpCode {
  const dev = uniform(setup.devices.map((d) => d.name));
  // iommu_alloc_global_pasid on a device behind no IOMMU oopses (C6): never generated.
  const pasidDev = uniform(setup.devices.filter((d) => d.iommu !== null).map((d) => d.name));
  const mm = uniform(setup.mms);
  const handle = uniform(HANDLE_NAMES);
  const pasid = pasidChoice(setup);
  /** One entry per unit of weight. */
  const blocks: Kind[] = [];
  const scale = Math.max(1, Math.round(maxSteps / 50));
  const offer = (op: OpName, weight: number, k: () => Kind) => {
    if (!ops.includes(op)) return;
    const made = k();
    for (let i = 0; i < (op === 'mm_exit' ? weight : weight * scale); i++) blocks.push(made);
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
  if (blocks.length === 0) throw new Error(`no operation left to generate (asked: ${ops.join(', ') || 'none'})`);
  const block = Math.floor(2 ** 31 / blocks.length);
  for (const k of blocks) if (k.size > block) throw new Error(`opCode: ${k.size} combinations do not fit a block of ${block}`);
  return {
    size: block * blocks.length,
    decode(n: number): Op {
      const k = blocks[Math.floor(n / block)];
      return k.make(digits(k.fields, Math.floor(((n % block) * k.size) / block)));
    },
  };
}

/** A random operation (opCode's, one unbiased integer each). */
export function opArb(setup: Setup, ops: readonly OpName[], maxSteps = 50): fc.Arbitrary<Op> {
  const code = opCode(setup, ops, maxSteps);
  return new DecodedInteger(code.size, (n) => code.decode(n));
}
