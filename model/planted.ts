/**
 * Planted bugs: variants built by wrapping a spec Variant, for tests that the checker finds a
 * known bug with its shortest trace. Test fixtures only; not exported from model/index.ts.
 */
import { VARIANT_BY_NAME, type Variant } from '../spec/index.ts';

/** v2 whose mm_pasid_drop forgets to free the global PASID: leaks it (A3, U3). */
export const v2Leaky: Variant = { ...VARIANT_BY_NAME.v2, name: 'planted-v2:leaky-drop', freesOnDrop: () => false };

/** v2 without V9: mm_pasid_drop frees a device-local PASID to the global allocator too. */
export const v2NoV9: Variant = { ...VARIANT_BY_NAME.v2, name: 'planted-v2:frees-local', freesOnDrop: () => true };
