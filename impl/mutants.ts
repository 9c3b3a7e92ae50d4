/**
 * Mutant implementations: each is the built-in implementation with ONE deliberate bug, made by
 * a small override of a protected hook of the core or a variant (the mixin `patch`). Each is
 * paired with the rule whose check must catch it. Later mutants follow the same shape; the
 * override points (protected hooks of IommuSvaCore, V2Sva and ArmSmmuV3) are:
 *   allocMmData, modeMismatch, localPasidReplaceable, unwindMmData, publishMmData,
 *   reuseCandidates, svaGetPasid, enqcmdPasid, mmPasidDrop, maxPasids, attachChecks,
 *   handlePut, unbindDevice, bindDevicePasid, svaDomainAlloc/Free, mmdrop,
 *   driverSetDevPasid, driverRemoveDevPasid, driverMmRelease, createSmmu.
 */
import type { SvaAdapter, VariantName } from '../vocab/index.ts';
import { type ImplPatch, createBuiltinAdapter } from './adapter.ts';
import type { Device, IommuMm, SvaDomain } from './types.ts';
import { ArmSmmuV3, type ArmSmmuDomain, type ArmSmmuMaster } from './smmuv3/index.ts';
import { V2Sva } from './variants/v2.ts';

export interface Mutant {
  readonly name: string;
  /** The rule id the bug breaks (spec/rules.ts; `svacheck rules ID`). */
  readonly rule: string;
  readonly description: string;
  /** Variants in which the mutant differs from the correct implementation. */
  readonly variants: readonly VariantName[];
  readonly patch: ImplPatch;
  create(): SvaAdapter;
}

function mutant(m: Omit<Mutant, 'create'>): Mutant {
  return { ...m, create: () => createBuiltinAdapter({ name: `mutant:${m.name}`, variants: m.variants, patch: m.patch }) };
}

export const MUTANTS: readonly Mutant[] = [
  mutant({
    name: 'v2-keeps-idle-local-pasid',
    rule: 'V4',
    description: 'v2 with the v1 bug: an idle local mm keeps its first PASID, so bind_pasid with another PASID fails ENOSPC.',
    variants: ['v2'],
    patch: (base) => class extends (base as typeof V2Sva) {
      protected override localPasidReplaceable(_iommuMm: IommuMm): boolean { return false; }
    },
  }),
  mutant({
    name: 'cd-not-zeroed-on-detach',
    rule: 'B3',
    description: 'The driver leaves CD[pasid] valid on detach: after the last unbind the device still reaches the mm.',
    variants: ['upstream', 'v1', 'v2', 'per-device'],
    patch: (base) => class extends base {
      protected override driverRemoveDevPasid(_domain: ArmSmmuDomain, _dev: Device, _pasid: number): void {}
    },
  }),
  mutant({
    name: 'domain-reuse-across-iommus',
    rule: 'S5',
    description: "SVA domains are reused across IOMMU instances: a device behind smmu1 joins the mm's smmu0 domain (its ASID).",
    variants: ['upstream', 'v1', 'v2', 'per-device'],
    patch: (base) => class extends base {
      protected override reuseCandidates(iommuMm: IommuMm, _dev: Device): Iterable<SvaDomain> {
        return iommuMm.svaDomains.values();
      }
      protected override createSmmu(index: number, name: string, asidBits: number, sva: boolean): ArmSmmuV3 {
        return new (class extends ArmSmmuV3 {
          protected override checkDomain(_d: ArmSmmuDomain, _m: ArmSmmuMaster): null { return null; }
        })(index, name, asidBits, sva, this.asidXa);
      }
    },
  }),
];
