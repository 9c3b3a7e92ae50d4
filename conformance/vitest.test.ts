// registerConformanceTests' seed: SVACHECK_SEED (what a printed replay line sets) wins over the
// option, a number is accepted as fast-check users write it, and a bad value is refused.
import { describe, expect, it } from 'vitest';
import { seedFor } from './vitest.ts';

describe('seedFor', () => {
  it('takes a number as the seed', () => {
    expect(seedFor(42, {})).toEqual({ seed: 42, why: 'option' });
  });
  it('lets SVACHECK_SEED override the option, with its path', () => {
    expect(seedFor(42, { SVACHECK_SEED: '7', SVACHECK_PATH: '1:2' })).toEqual({ seed: 7, path: '1:2', why: 'SVACHECK_SEED' });
  });
  it('falls back to the CI seed, and refuses a non-integer', () => {
    expect(seedFor(undefined, { CI: 'true' }).why).toBe('CI');
    expect(() => seedFor(1.5, {})).toThrow(/seed must be an integer/);
  });
});
