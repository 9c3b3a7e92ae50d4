import type { Design2026, VariantName } from '../../vocab/index.ts';
import type { Variant } from '../step.ts';
import { perDevice } from './perDevice.ts';
import { upstream } from './upstream.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';
import { EARLIER_VARIANTS } from './earlier.ts';

/** The 2026 designs (the kit's variants to override; impl/ implements them). */
export const VARIANT_BY_NAME: Readonly<Record<Design2026, Variant>> = { upstream, v1, v2, 'per-device': perDevice };

/** Every built-in variant by name: the 2026 designs and the earlier ones (variants/earlier.ts). */
export const BUILTIN_VARIANTS: Readonly<Record<VariantName, Variant>> = { ...VARIANT_BY_NAME, ...EARLIER_VARIANTS };

/** A variant given by name (a built-in or an earlier design's) or as itself (a design from a file). */
export function variantOf(v: string | Variant): Variant {
  if (typeof v !== 'string') return v;
  const found = variantByName(v);
  if (!found) throw new Error(`unknown variant '${v}'`);
  return found;
}

export function variantByName(name: string): Variant | undefined {
  return Object.hasOwn(BUILTIN_VARIANTS, name) ? (BUILTIN_VARIANTS as Record<string, Variant>)[name] : undefined;
}
