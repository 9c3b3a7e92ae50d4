import type { VariantName } from '../../vocab/index.ts';
import type { Variant } from '../step.ts';
import { perDevice } from './perDevice.ts';
import { upstream } from './upstream.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';
import { EARLIER_VARIANTS } from './earlier.ts';

export const VARIANT_BY_NAME: Readonly<Record<VariantName, Variant>> = { upstream, v1, v2, 'per-device': perDevice };

/** A variant given by name (a built-in or an earlier design's) or as itself (a design from a file). */
export function variantOf(v: string | Variant): Variant {
  if (typeof v !== 'string') return v;
  const found = variantByName(v);
  if (!found) throw new Error(`unknown variant '${v}'`);
  return found;
}

export function variantByName(name: string): Variant | undefined {
  return Object.hasOwn(VARIANT_BY_NAME, name) ? (VARIANT_BY_NAME as Record<string, Variant>)[name] : Object.hasOwn(EARLIER_VARIANTS, name) ? EARLIER_VARIANTS[name] : undefined;
}
