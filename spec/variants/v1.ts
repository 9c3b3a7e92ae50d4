/**
 * v1: the first posting of the patch. Identical to v2 except that a local mm keeps its first
 * PASID after all its bonds are unbound, so binding it later with another PASID fails with
 * ENOSPC — the bug v2's changelog ("Reuse iommu_mm->pasid after ... is unbound") fixes.
 */
import type { Variant } from '../step.ts';
import { v2Family } from './v2.ts';

export const v1: Variant = v2Family('v1', 'the first posting: as v2, but a local mm keeps its first PASID after unbind (ENOSPC later)', {
  replaceIdleLocalPasid: false,
});
