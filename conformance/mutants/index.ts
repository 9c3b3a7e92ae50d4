/**
 * Mutant implementations kept as test fixtures: each is the built-in implementation with ONE
 * deliberate bug, made through impl's override points (a mixin over the variant's class, the
 * `patch` of createBuiltinAdapter), with the rule it breaks. The conformance property tests
 * must catch every one (mutants.test.ts; `svacheck mutants` prints the kill table).
 * impl/mutants.ts holds a few more of the same shape; MUTANT_FIXTURES is both lists.
 */
import { createBuiltinAdapter, MUTANTS as IMPL_MUTANTS, type ImplPatch, type Mutant, type V2Sva } from '../../impl/index.ts';
import type { SvaAdapter, VariantName } from '../../vocab/index.ts';
import type { Device, IommuSva, MmStruct, SvaDomain } from '../../impl/types.ts';
import type { BindCtx } from '../../impl/core.ts';
import { IOMMU_PASID_INVALID } from '../../impl/types.ts';

export type { Mutant } from '../../impl/index.ts';

const ALL: readonly VariantName[] = ['upstream', 'v1', 'v2', 'per-device'];
const PATCH: readonly VariantName[] = ['v1', 'v2'];

function mutant(m: Omit<Mutant, 'create'>): Mutant {
  return { ...m, create: (): SvaAdapter => createBuiltinAdapter({ name: `mutant:${m.name}`, variants: m.variants, patch: m.patch }) };
}
/** For patches that override a V2Sva hook: the base is v1's or v2's class. */
const asV2 = (base: Parameters<ImplPatch>[0]) => base as unknown as typeof V2Sva;

export const CONFORMANCE_MUTANTS: readonly Mutant[] = [
  mutant({
    name: 'local-pasid-freed-at-exit', rule: 'V9', variants: PATCH,
    description: "mm_pasid_drop frees the mm's PASID to the global allocator even when it is local: an alloc_global holder of the same id loses it.",
    patch: (base) => class extends base {
      protected override mmPasidDrop(mm: MmStruct): void {
        if (mm.iommuMm !== null) this.globalPasidIda.free(mm.iommuMm.pasid);
        mm.iommuMm = null;
      }
    },
  }),
  mutant({
    name: 'global-pasid-freed-at-unbind', rule: 'U2', variants: ALL,
    description: "The last unbind of an mm gives its global PASID back to the allocator while the mm keeps using it.",
    patch: (base) => class extends base {
      protected override unbindDevice(handle: IommuSva): void {
        const mm = handle.domain.mm;
        super.unbindDevice(handle);
        const data = mm.iommuMm;
        if (data !== null && data.pasidGlobal && data.svaDomains.size === 0) this.globalPasidIda.free(data.pasid);
      }
    },
  }),
  mutant({
    name: 'no-handle-refcount', rule: 'U1', variants: ALL,
    description: 'The handle is not refcounted: the first unbind of a (dev, mm) bound twice detaches it.',
    patch: (base) => class extends base {
      protected override handlePut(handle: IommuSva): boolean { handle.users = 0; return true; }
    },
  }),
  mutant({
    name: 'max-pasids-off-by-one', rule: 'A1', variants: ALL,
    description: 'max_pasids is 2^ssid_bits + 1: the allocator and the EOVERFLOW checks accept PASID 2^ssid_bits.',
    patch: (base) => class extends base {
      protected override maxPasids(dev: Device): number { return dev.maxPasids + 1; }
    },
  }),
  mutant({
    name: 'pasid0-attach-accepted', rule: 'B1-pasid0', variants: ALL,
    description: 'iommu_attach_device_pasid does not refuse PASID 0 (IOMMU_NO_PASID), the RID slot.',
    patch: (base) => class extends base {
      protected override attachChecks(group: Parameters<InstanceType<typeof base>['attachChecks']>[0], pasid: number) {
        return pasid === 0 ? null : super.attachChecks(group, pasid);
      }
    },
  }),
  mutant({
    name: 'bind-pasid-0-accepted', rule: 'V1', variants: ['v1', 'v2', 'per-device'],
    description: 'iommu_sva_bind_device_pasid lets PASID 0 through: it reads as IOMMU_PASID_GLOBAL_ANY and binds a global PASID.',
    patch: (base) => class extends base {
      protected override bindDevicePasid(dev: Device, mm: MmStruct, pasid: number) { return this.bindInternal(dev, mm, pasid); }
    },
  }),
  mutant({
    name: 'v2-mixing-allowed', rule: 'V2', variants: PATCH,
    description: 'No mixing check: a global mm binds locally (at its global PASID) and a local mm binds globally.',
    patch: (base) => class extends asV2(base) {
      protected override modeMismatch(): boolean { return false; }
    } as unknown as typeof base,
  }),
  mutant({
    name: 'v2-failed-first-bind-kept', rule: 'V7', variants: PATCH,
    description: 'A failed first bind is not rolled back: the new mm data (and its global PASID) stays published, as upstream does.',
    patch: (base) => class extends base {
      protected override unwindMmData(ctx: BindCtx): void {
        if (ctx.mm.iommuMm === null && ctx.iommuMm !== null) ctx.mm.iommuMm = ctx.iommuMm;
      }
    },
  }),
  mutant({
    name: 'exit-keeps-cds-live', rule: 'U3-exit', variants: ALL,
    description: "Process exit does not rewrite the mm's CDs to fault: DMA still reaches the exited mm.",
    patch: (base) => class extends base {
      protected override driverMmRelease(_domain: SvaDomain): void {}
    },
  }),
  mutant({
    name: 'enqcmd-pasid-for-local-mm', rule: 'V8', variants: PATCH,
    description: "mm_get_enqcmd_pasid returns a local mm's PASID: ENQCMD would carry a device-local PASID to every device.",
    patch: (base) => class extends base {
      protected override enqcmdPasid(mm: MmStruct): number { return mm.iommuMm?.pasid ?? IOMMU_PASID_INVALID; }
    },
  }),
  mutant({
    name: 'asid-leaked-on-domain-free', rule: 'M6', variants: ALL,
    description: 'Freeing an SVA domain does not give its ASID back: a small ASID space runs dry (EBUSY) too early.',
    patch: (base) => class extends base {
      protected override svaDomainFree(domain: SvaDomain): void { this.mmdrop(domain.mm); }
    },
  }),
  mutant({
    name: 'mm-gone-with-live-bonds', rule: 'U3', variants: ALL,
    description: 'The mm is freed at exit even though SVA domains still pin it: its PASID is dropped while bonds remain.',
    patch: (base) => class extends base {
      protected override mmdrop(mm: MmStruct): void {
        if (mm.state !== 'exited') return;
        mm.state = 'gone';
        this.mmPasidDrop(mm);
      }
    },
  }),
  mutant({
    name: 'alloc-global-ignores-device-range', rule: 'A2', variants: ALL,
    description: 'iommu_alloc_global_pasid allocates from the whole 20-bit space instead of [1, max_pasids(dev)-1].',
    patch: (base) => class extends base {
      protected override iommuAllocGlobalPasid(dev: Device): number {
        if (dev.smmu === null) return IOMMU_PASID_INVALID;
        return this.globalPasidIda.allocRange(1, 2 ** 20 - 1) ?? IOMMU_PASID_INVALID;
      }
    },
  }),
  mutant({
    name: 'per-device-failed-bind-keeps-global', rule: 'K4', variants: ['per-device'],
    description: 'per-device: a failed bind keeps the global PASID it allocated instead of giving it back.',
    patch: (base) => class extends base {
      protected override unwindMmData(_ctx: BindCtx): void {}
    },
  }),
];

/** Every mutant fixture: impl's examples and the conformance ones, each name once. */
export const MUTANT_FIXTURES: readonly Mutant[] = [
  ...IMPL_MUTANTS,
  ...CONFORMANCE_MUTANTS.filter((m) => !IMPL_MUTANTS.some((i) => i.name === m.name)),
];

export const mutantByName = (name: string): Mutant | undefined => MUTANT_FIXTURES.find((m) => m.name === name);
