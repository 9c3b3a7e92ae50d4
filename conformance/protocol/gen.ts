/**
 * A small seeded generator of contract-respecting operation sequences, independent of
 * fast-check, for driving an external implementation over the protocol (tests, the bench).
 * Candidates the caller contract forbids (SpecDriver.breach) are redrawn; calls that must
 * fail with an errno are kept.
 */
import type { SpecDriver } from '../../spec/index.ts';
import type { Op, OpName, Setup } from '../../vocab/index.ts';
import { rng } from '../../vocab/random.ts';

export { rng };


const HANDLES = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const WEIGHTS: readonly [OpName, number][] = [
  ['bind', 6], ['bind_pasid', 6], ['unbind', 6], ['get_pasid', 2], ['enqcmd_pasid', 2], ['alloc_global', 3],
  ['free_global', 2], ['attach_pasid', 3], ['detach_pasid', 2], ['mm_exit', 1], ['dma', 4],
];

/** One random op the driver's caller contract allows now, from the ops the variant has. */
export function nextOp(driver: SpecDriver, setup: Setup, random: () => number, ops: readonly OpName[]): Op {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const pasid = (): number => (random() < 0.8 ? Math.floor(random() * 5) : pick([7, 8, 255, 256, 2 ** 20 - 1]));
  const table = WEIGHTS.filter(([name]) => ops.includes(name));
  const total = table.reduce((s, [, w]) => s + w, 0);
  for (let tries = 0; ; tries++) {
    let r = random() * total, name: OpName = table[0][0];
    for (const [n, w] of table) { if ((r -= w) < 0) { name = n; break; } }
    const dev = pick(setup.devices).name, mm = pick(setup.mms);
    const live = HANDLES.filter((h) => driver.isLive(h));
    const free = HANDLES.filter((h) => !driver.isLive(h));
    let op: Op;
    switch (name) {
      case 'bind': op = { op: 'bind', dev, mm, as: pick(free.length > 0 && random() < 0.9 ? free : HANDLES) }; break;
      case 'bind_pasid': op = { op: 'bind_pasid', dev, mm, pasid: pasid(), as: pick(free.length > 0 && random() < 0.9 ? free : HANDLES) }; break;
      case 'unbind': case 'get_pasid': if (live.length === 0) continue; op = { op: name, handle: pick(live) }; break;
      case 'enqcmd_pasid': case 'mm_exit': op = { op: name, mm }; break;
      case 'alloc_global': {
        const behindIommu = setup.devices.filter((d) => d.iommu !== null);  // C6: never behind no IOMMU
        if (behindIommu.length === 0) continue;
        op = { op: 'alloc_global', dev: pick(behindIommu).name };
        break;
      }
      case 'free_global': {
        const held = driver.state.kernelHeld;
        if (held.length === 0) continue;
        op = { op: 'free_global', pasid: pick(held) };
        break;
      }
      case 'attach_pasid': op = { op: name, dev, pasid: pasid(), ...(random() < 0.5 ? { handle: true as const } : {}) }; break;
      case 'detach_pasid': case 'dma': op = { op: name, dev, pasid: pasid() }; break;
      default: continue;                                                 // the earlier designs' own operations: not in WEIGHTS
    }
    if (driver.breach(op) === null) return op;
    if (tries > 200) return { op: 'dma', dev, pasid: 0 };                // always allowed
  }
}

/** A setup that reaches groups, no-IOMMU devices, two IOMMUs and ASID exhaustion. */
export const PROTOCOL_TEST_SETUP: Setup = {
  devices: [
    { name: 'accel', ssidBits: 2 },
    { name: 'dsp', ssidBits: 1 },
    { name: 'nic', ssidBits: 8 },
    { name: 'gpu0', ssidBits: 3, group: 'g' },
    { name: 'gpu1', ssidBits: 2, group: 'g' },
    { name: 'plain', ssidBits: 0, iommu: null },
    { name: 'npu', ssidBits: 2, iommu: 'smmu1' },
  ],
  iommus: [{ name: 'smmu0', asidBits: 16 }, { name: 'smmu1', asidBits: 1 }],
  mms: ['A', 'B', 'C', 'D'],
};
