/**
 * per-device scenarios: the reviewer's design in the review of v2 (2026-05-25; docs/semantics.md
 * "per-device"), implemented in impl/variants/per-device.ts over the same iommu-sva.c core.
 */
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, type Setup } from '../vocab/index.ts';
import { mmOf, observe, run } from './test-helpers.ts';

const SEED = SEED_SETUP;

describe('per-device (global PASID + device-local bonds)', () => {
  it('K2: mixing is allowed; ENQCMD uses the global PASID, get_pasid the bond\'s', () => {
    const a = run('per-device', SEED, [
      'bind_pasid accel A 2 as l', 'bind nic A as g => 1',
      'get_pasid l => 2', 'get_pasid g => 1', 'enqcmd_pasid A => 1',
      'dma accel 2 => A', 'dma nic 1 => A',
    ]);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: 1, global: true, domains: [{ iommu: 'smmu0', users: 2 }] });
  });

  it('K2: different local PASIDs on different devices at once', () => {
    run('per-device', SEED, ['bind_pasid accel A 3', 'bind_pasid dsp A 1', 'dma accel 3 => A', 'dma dsp 1 => A']);
  });

  it('K3: one bond per (group, mm): another PASID in the same group is EBUSY', () => {
    run('per-device', SEED, [
      'bind_pasid accel A 2 as h', 'bind_pasid accel A 3 => EBUSY', 'bind accel A => EBUSY',
      'bind_pasid accel A 2 => 2', // the same PASID: S4, one more reference
      'unbind h', 'unbind h', 'bind_pasid accel A 3 => 3',
    ]);
  });

  it('K4: a failed bind frees the global PASID it took', () => {
    const a = run('per-device', SEED, ['attach_pasid accel 1', 'bind accel A => EBUSY', 'enqcmd_pasid A => INVALID']);
    expect(observe(a).globalPasids).toEqual([]);
    expect(mmOf(a, 'A')).toMatchObject({ pasid: null, global: null });
  });

  it('K1: the global PASID stays after unbind (U2) and is the one ENQCMD keeps using', () => {
    run('per-device', SEED, ['bind nic A as g => 1', 'unbind g', 'alloc_global nic => 2', 'bind accel A => 1', 'enqcmd_pasid A => 1']);
  });

  it('V10 remains: local PASIDs are unknown to the global allocator', () => {
    const a = run('per-device', SEED, ['bind_pasid accel A 1', 'alloc_global nic => 1', 'bind accel B => 2']);
    expect(observe(a).globalPasids).toEqual([1, 2]);
  });

  it('S2: the global PASID too large for a small device → EOVERFLOW; a local bind still works there', () => {
    run('per-device', SEED, ['alloc_global nic => 1', 'bind nic A => 2', 'bind dsp A => EOVERFLOW', 'bind_pasid dsp A 1 => 1']);
  });

  it('bind_pasid checks: 0 → EINVAL before ENODEV, range → EOVERFLOW', () => {
    const setup: Setup = { devices: [{ name: 'plain', ssidBits: 2, iommu: null }, { name: 'dsp', ssidBits: 1 }], mms: ['A'] };
    run('per-device', setup, ['bind_pasid plain A 0 => EINVAL', 'bind_pasid plain A 1 => ENODEV', 'bind_pasid dsp A 2 => EOVERFLOW']);
  });

  it('U3/V9: at exit only the global PASID goes back; local bonds fault (translation) until unbound', () => {
    const a = run('per-device', SEED, ['alloc_global nic => 1', 'bind_pasid accel A 1 as l', 'bind nic A as g => 2', 'mm_exit A']);
    expect(observe(a, [{ dev: 'accel', pasid: 1 }]).dma[0].result).toEqual({ kind: 'fault', fault: 'translation' });
    const b = run('per-device', SEED, ['alloc_global nic => 1', 'bind_pasid accel A 1 as l', 'bind nic A as g => 2', 'mm_exit A', 'unbind l', 'unbind g']);
    expect(observe(b).globalPasids).toEqual([1]);
    expect(mmOf(b, 'A').state).toBe('gone');
  });
});
