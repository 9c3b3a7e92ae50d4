import type { OpName, Result, VariantName } from '../vocab/index.ts';
import type { ApiRuleId, ContractRuleId } from './rules.ts';
import type { Config, MmData, State } from './state.ts';
import type { Reads, World } from './world.ts';

/** One transition on the object state: the result, the state after, and the rule that decided the result. */
export interface Step {
  readonly result: Result;
  readonly state: State;
  readonly rule: ApiRuleId;
  /** Further rules whose effect this step carried out (e.g. S6 kept the PASID, V7 rolled back). */
  readonly effects?: readonly ApiRuleId[];
}

/** How a command line names the variant: its name, or the file a design was loaded from. */
export const variantArg = (v: Variant): string => v.source ?? v.name;

/**
 * Operations at the spec's level: devices and mms by index, and a handle as the slot that
 * holds its SVA bond (group, PASID). The driver maps the caller's names to these.
 */
export type SpecOp =
  | { readonly op: 'bind'; readonly dev: number; readonly mm: number }
  | { readonly op: 'bind_pasid'; readonly dev: number; readonly mm: number; readonly pasid: number }
  | { readonly op: 'unbind'; readonly group: number; readonly pasid: number }
  | { readonly op: 'get_pasid'; readonly group: number; readonly pasid: number }
  | { readonly op: 'enqcmd_pasid'; readonly mm: number }
  | { readonly op: 'alloc_global'; readonly dev: number }
  | { readonly op: 'free_global'; readonly pasid: number }
  | { readonly op: 'attach_pasid'; readonly dev: number; readonly pasid: number; readonly handle: boolean }
  | { readonly op: 'detach_pasid'; readonly dev: number; readonly pasid: number }
  | { readonly op: 'mm_exit'; readonly mm: number }
  | { readonly op: 'dma'; readonly dev: number; readonly pasid: number }
  // The operations only the designs before 2026 have (their Variant.own states them):
  | { readonly op: 'bind_private'; readonly dev: number; readonly mm: number }
  | { readonly op: 'mm_exit_done'; readonly group: number; readonly pasid: number }
  | { readonly op: 'ioasid_alloc'; readonly set: number; readonly dev: number }
  | { readonly op: 'ioasid_free_set'; readonly set: number }
  | { readonly op: 'ioasid_adjust_set'; readonly set: number; readonly quota: number };

/**
 * A variant: a named set of rules. The operations every variant shares live in ops.ts; a
 * variant supplies the ones where the designs differ, in its own file.
 */
/** Every operation (the earlier designs' own included), and those only the earlier designs have. */
export type AnySpecOp = SpecOp;
export type EarlierSpecOp = Extract<SpecOp, { readonly op: 'bind_private' | 'mm_exit_done' | 'ioasid_alloc' | 'ioasid_free_set' | 'ioasid_adjust_set' }>;

export interface Variant {
  readonly name: string;
  readonly doc: string;
  readonly ops: readonly OpName[];
  /**
   * How the design gives PASIDs to an mm: 'one' — one PASID per mm, every bond of the mm at
   * it (upstream, v1, v2); 'global-plus-local' — at most one global PASID per mm plus
   * device-local bonds, each at its own PASID (per-device); 'shared-plus-private' — one
   * PASID per mm shared by its bonds plus private bonds, each holding a PASID of the one
   * allocator (sva-2018's requested private PASIDs). Invariants that hold in only some ask
   * this, never the variant's name.
   */
  readonly pasidsPerMm: 'one' | 'global-plus-local' | 'shared-plus-private';
  /**
   * A design written outside svacheck (a file given to --variant) names the built-in design
   * whose litmus expectations it is held to where a scenario has none under its own name
   * (e.g. the reviewers' design written as overrides of v2 answers to per-device's).
   */
  readonly litmusAs?: VariantName;
  /** Where a design was loaded from (its --variant path as given): how printed commands name it. */
  readonly source?: string;
  /**
   * The actions where designs differ, each written once against the state interface
   * (world.ts): it reads, writes and reports its outcome on w.
   */
  bind(w: World, dev: number, mm: number): void;
  bindPasid?(w: World, dev: number, mm: number, pasid: number): void;
  /** iommu_sva_get_pasid of the handle in slot (group, pasid). */
  getPasid(w: World, group: number, pasid: number): void;
  /** mm_get_enqcmd_pasid. */
  enqcmdPasid(w: World, mm: number): void;
  /** mm_pasid_drop: whether the mm's PASID goes back to the global allocator. */
  freesOnDrop(data: MmData): boolean;
  /**
   * An operation this design states itself, in place of the shared one of ops.ts (e.g.
   * dma-pasid-2021's alloc_global, which never hands out the reserved DMA PASID): it acts on
   * w and returns true, or returns false (having done nothing) where the shared one decides.
   */
  own?(w: World, op: SpecOp): boolean;
  /** A caller-contract rule of this design's own, checked after the shared ones (contract.ts). */
  contract?(w: Reads, op: SpecOp): ContractRuleId | null;
  /**
   * A design from before 2026 numbers PASIDs and fails binds its own way: it runs only the
   * litmus scenarios that name it in `variants`, not every scenario whose operations it has.
   */
  namedScenariosOnly?: true;
  /**
   * For the model checker's PASID universe: the lowest id this design's allocator hands out
   * (default 1) and how many ids it can hold beyond one per mm and the alloc_global holders
   * (default 0).
   */
  allocator?(cfg: Config): { readonly from: number; readonly extra: number };
}
