/**
 * Variants of designs that came before the 2026 patch, stated on the spec alone (no impl/):
 * reachable by name through variantByName, and so by `svacheck simulate`, until the variant
 * interface lets every engine take them.
 */
import type { Variant } from '../step.ts';
import { DMA_PASID_2021_RULES, dmaPasid2021 } from './dmaPasid2021.ts';

export const EARLIER_VARIANTS: Readonly<Record<string, Variant>> = { 'dma-pasid-2021': dmaPasid2021 };

/** Their rules, kept beside each variant until rule ids are one typed catalogue for every variant. */
export const EARLIER_RULES: readonly { readonly id: string; readonly statement: string; readonly source: string; readonly errno?: string }[] = [...DMA_PASID_2021_RULES];
