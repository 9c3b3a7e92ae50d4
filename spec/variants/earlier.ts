/**
 * Variants of designs that came before the 2026 patch, stated on the spec alone (no impl/):
 * reachable by name through variantByName, and so by `svacheck simulate`, until the variant
 * interface lets every engine take them.
 *
 * Not stated yet, because the variant interface has no place for what they change:
 * - sva-2018 ("[PATCH v2 01/40] iommu: Introduce Shared Virtual Addressing API", 2018-09-07):
 *   the PASID freed at the last unbind (io_mm refcounted by its bonds), which is shared code
 *   (unbind) here; exit in two steps (the driver's mm_exit callback, then "done"), a new
 *   operation with its caller contract; min_pasid/max_pasid given at iommu_sva_device_init, a
 *   device field; a private-PASID bind flag.
 * - ioasid-2020 ("[PATCH 00/10] IOASID extensions for guest SVA", 2020-03-25): sets with quotas
 *   (ioasid_alloc_set, ioasid_free_set, ioasid_adjust_set), new operations; alloc_global drawing
 *   from a caller's set, which is shared code here.
 */
import type { Variant } from '../step.ts';
import { DMA_PASID_2021_RULES, dmaPasid2021 } from './dmaPasid2021.ts';

export const EARLIER_VARIANTS: Readonly<Record<string, Variant>> = { 'dma-pasid-2021': dmaPasid2021 };

/** The ids of their rules: steps of these variants may name them (spec/rules.ts ApiRuleId). */
export type EarlierRuleId = (typeof DMA_PASID_2021_RULES)[number]['id'];

/** Their rules, kept beside each variant until rule ids are one typed catalogue for every variant. */
export const EARLIER_RULES: readonly { readonly id: string; readonly statement: string; readonly source: string; readonly errno?: string }[] = [...DMA_PASID_2021_RULES];
