/**
 * The stateful property tests: the spec-backed adapter (the machinery checked against itself)
 * and the built-in implementation, every variant, random setups and operation sequences,
 * compared with the spec step by step. Seed: printed; SVACHECK_SEED=<n> replays.
 */
import { describe } from 'vitest';
import { createBuiltinAdapter } from '../impl/index.ts';
import { VARIANTS } from '../vocab/index.ts';
import { createSpecAdapter } from './specAdapter.ts';
import { registerConformanceTests } from './vitest.ts';

describe('spec adapter against the spec', () => {
  registerConformanceTests('spec', () => createSpecAdapter(), { runs: 60, variants: VARIANTS });
});

describe('built-in implementation against the spec', () => {
  registerConformanceTests('builtin', () => createBuiltinAdapter(), { runs: 800 });
});
