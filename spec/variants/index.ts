import type { VariantName } from '../../vocab/index.ts';
import type { Variant } from '../step.ts';
import { perDevice } from './perDevice.ts';
import { upstream } from './upstream.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';

export const VARIANT_BY_NAME: Readonly<Record<VariantName, Variant>> = { upstream, v1, v2, 'per-device': perDevice };

export function variantByName(name: string): Variant | undefined {
  return (VARIANT_BY_NAME as Record<string, Variant>)[name];
}
