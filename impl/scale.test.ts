/**
 * The implementation stays correct at 20-bit PASID spaces with hundreds of thousands of holders:
 * every op is O(1) or O(log n) (Map-indexed slots and mm data, hierarchical-bitmap IDA, lazily
 * filled CD tables). Its speed is measured in `npm run bench`, never asserted in a test.
 */
import { describe, expect, it } from 'vitest';
import { type Setup } from '../vocab/index.ts';
import { createImpl } from './adapter.ts';
import { IOMMU_PASID_INVALID } from './types.ts';

describe('scale', () => {
  it('300k global holders + 60k bound mms on a 20-bit device; exits punch holes, refilled lowest-first', () => {
    const HOLDERS = 300_000;
    const N = 60_000; // < 2^16 - 1: each mm takes one ASID of the 16-bit pool
    const mms = Array.from({ length: N }, (_, i) => `m${i}`);
    const setup: Setup = { devices: [{ name: 'nic', ssidBits: 20 }, { name: 'accel', ssidBits: 2 }], mms };
    const k = createImpl(setup, 'upstream');
    for (let i = 0; i < HOLDERS; i++) k.allocGlobalPasid('nic');
    const handles = mms.map((mm) => {
      const r = k.bind('nic', mm);
      if (!r.ok) throw new Error(r.errno);
      return r.value;
    });
    expect(handles[N - 1].pasid).toBe(HOLDERS + N);
    for (let i = 0; i < N; i += 2) { k.unbind(handles[i]); k.mmExit(mms[i]); } // frees HOLDERS+1, +3, ...
    k.freeGlobalPasid(2);
    expect(k.allocGlobalPasid('accel')).toBe(2);
    expect(k.allocGlobalPasid('accel')).toBe(IOMMU_PASID_INVALID); // 1..3 held
    expect(k.allocGlobalPasid('nic')).toBe(HOLDERS + 1);
    expect(k.allocGlobalPasid('nic')).toBe(HOLDERS + 3);
    expect(k.dma('nic', HOLDERS + N)).toEqual({ kind: 'mm', mm: `m${N - 1}` });
    expect(k.dma('nic', HOLDERS + N - 1)).toEqual({ kind: 'fault', fault: 'bad_cd' });
    expect(k.globalPasidIda.count).toBe(HOLDERS + N / 2 + 2);
  });

  it('ASIDs bound the number of SVA domains on one SMMU: the 2^16-th mm gets EBUSY', () => {
    const mms = Array.from({ length: 2 ** 16 }, (_, i) => `m${i}`);
    const k = createImpl({ devices: [{ name: 'nic', ssidBits: 20 }], mms }, 'v2');
    for (let i = 0; i < 2 ** 16 - 1; i++) if (!k.bind('nic', mms[i]).ok) throw new Error(`bind ${i}`);
    expect(k.bind('nic', mms[2 ** 16 - 1])).toEqual({ ok: false, errno: 'EBUSY' });
    expect(k.mms[2 ** 16 - 1].iommuMm).toBeNull(); // V7: rolled back
    expect(k.globalPasidIda.count).toBe(2 ** 16 - 1);
  });
});
