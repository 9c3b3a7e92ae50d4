/**
 * Designs from the record before the 2026 patch, each in its own file with its rules in the
 * catalogue (spec/rules.ts). They run on the spec alone: impl/ has no implementation of
 * them, and model/ explores them on both backends of the state interface, as every variant.
 */
import type { Design2026, VariantName } from '../../vocab/index.ts';
import type { Variant } from '../step.ts';
import { dmaPasid2021 } from './dmaPasid2021.ts';
import { ioasid2020 } from './ioasid2020.ts';
import { sva2018 } from './sva2018.ts';

export const EARLIER_VARIANTS: Readonly<Record<Exclude<VariantName, Design2026>, Variant>> = { 'sva-2018': sva2018, 'ioasid-2020': ioasid2020, 'dma-pasid-2021': dmaPasid2021 };
