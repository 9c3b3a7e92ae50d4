/**
 * impl/: the optimized, kernel-shaped implementation of the SVA PASID rules over an emulated
 * Arm SMMUv3. Imports nothing but ../vocab.
 */
export { createImpl, createBuiltinAdapter, observeImpl, type ImplOptions, type ImplPatch, type BuiltinAdapterOptions } from './adapter.ts';
export { IommuSvaCore, ContractViolation, type BindCtx } from './core.ts';
export { VARIANT_CLASSES, UpstreamSva, V1Sva, V2Sva, PerDeviceSva, type SvaImplClass } from './variants/index.ts';
export { IOMMU_PASID_INVALID, IommuSva } from './types.ts';
export { MUTANTS, type Mutant } from './mutants.ts';
