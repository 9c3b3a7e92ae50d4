/**
 * What a design written outside svacheck builds on: the built-in variants to override, the
 * shared pieces of the bind path, and the reads composed over the state interface (world.ts).
 * A `--variant ./my-design.ts` file default-exports a Variant, or a function of this kit
 * returning one (so the file needs no import path into svacheck); docs/variants.md walks
 * through one. Its actions are written against the World they are given, like the built-in
 * ones, so the model checker runs them at full speed on its flat states.
 */
import { OPS_2026 } from '../vocab/index.ts';
import { attachRefusal, lowestFreeAsid, lowestFreeGlobal, svaAttach } from './sva.ts';
import { NONE, boundPasidIn, groupOfDev, hasSvaDomain, maxPasidsOf } from './world.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';

export const kit = {
  variants: VARIANT_BY_NAME,
  /** The operations of the 2026 designs (what a design written over them has). */
  OP_NAMES: OPS_2026,
  NONE,
  sva: { attachRefusal, lowestFreeAsid, lowestFreeGlobal, svaAttach },
  reads: { boundPasidIn, groupOfDev, hasSvaDomain, maxPasidsOf },
} as const;

export type Kit = typeof kit;
