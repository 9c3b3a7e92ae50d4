/** The variants, by name: each a small subclass of the core stating its differences. */
import type { VariantName } from '../../vocab/index.ts';
import type { ResolvedSetup } from '../../vocab/setup.ts';
import type { IommuSvaCore } from '../core.ts';
import { PerDeviceSva } from './per-device.ts';
import { UpstreamSva } from './upstream.ts';
import { V1Sva } from './v1.ts';
import { V2Sva } from './v2.ts';

/** A constructible implementation class (a variant, or a variant patched by a mutant). */
export type SvaImplClass = new (setup: ResolvedSetup) => IommuSvaCore;

/** The variants impl/ implements: the 2026 designs (the earlier designs exist on the spec alone). */
export const VARIANT_CLASSES: Readonly<Partial<Record<VariantName, SvaImplClass>>> = {
  upstream: UpstreamSva,
  v1: V1Sva,
  v2: V2Sva,
  'per-device': PerDeviceSva,
};

export { PerDeviceSva, UpstreamSva, V1Sva, V2Sva };
