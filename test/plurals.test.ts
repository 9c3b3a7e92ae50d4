// Counts read as English: "1 bond is attached", "1 step", never "1 bonds" or "step(s)".
import { describe, expect, it } from 'vitest';
import { SpecDriver, VARIANT_BY_NAME, checkInvariants } from '../spec/index.ts';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { SEED_SETUP } from '../vocab/index.ts';

describe('plurals', () => {
  it('an invariant message about one bond says "1 bond is"', () => {
    const cfg = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2).cfg;
    const obs = {
      bonds: [{ dev: 'accel', pasid: 1, mm: 'A', users: 1 }], attaches: [], globalPasids: [1], dma: [],
      mms: [{ mm: 'A', state: 'live' as const, pasid: 1, global: true, domains: [{ iommu: 'smmu0', users: 2 }] }],
    };
    const broken = checkInvariants({ cfg, variant: VARIANT_BY_NAME.v2, obs, kernelHeld: [] }).find((v) => v.invariant === 'domainUsersMatchAttachments');
    expect(broken?.reason).toBe("mm A's SVA domain on smmu0 counts 2 users but 1 bond is attached");
  });

  it('no command output writes (s) after a count', async () => {
    for (const argv of [['check', 'seed-small', '--variant', 'per-device'], ['diff', 'upstream', 'v2', 'seed-small'], ['conform', '--impl', 'builtin', '--variant', 'v2', '--runs', '1', '--seed', '1']]) {
      const io = bufferIo();
      await main(argv, io);
      expect(io.stdout, argv.join(' ')).not.toMatch(/\d \w+\(s\)|\b1 (bits|bonds|steps|runs|operations|ops|files)\b/);
    }
  });
});
