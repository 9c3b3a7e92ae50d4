/**
 * What a design written outside svacheck builds on: the built-in variants to override, the
 * shared pieces of the bind path, the state's readers and writers, and the step constructors.
 * A `--variant ./my-design.ts` file default-exports a Variant, or a function of this kit
 * returning one (so the file needs no import path into svacheck); docs/variants.md walks
 * through one.
 */
import { OP_NAMES, R } from '../vocab/index.ts';
import { attachRefusal, lowestFreeAsid, lowestFreeGlobal, svaAttach, takeGlobal, freeGlobal } from './sva.ts';
import { groupOf, hasSvaDomain, maxPasids, slotAt, withMm, withSlot } from './state.ts';
import { also, done, fail } from './step.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';

export const kit = {
  variants: VARIANT_BY_NAME,
  OP_NAMES,
  R,
  sva: { attachRefusal, lowestFreeAsid, lowestFreeGlobal, svaAttach, takeGlobal, freeGlobal },
  state: { groupOf, hasSvaDomain, maxPasids, slotAt, withMm, withSlot },
  step: { also, done, fail },
} as const;

export type Kit = typeof kit;
