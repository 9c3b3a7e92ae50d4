/** The reference spec of the SVA PASID rules: pure, small, the oracle. */
export type { Config, Mm, MmData, Slot, State } from './state.ts';
export { initialState } from './state.ts';
export type { AnySpecOp, EarlierSpecOp, SpecOp, Step, Variant } from './step.ts';
export { variantArg } from './step.ts';
export { step, ObjectWorld } from './objectWorld.ts';
export { act, actionOf } from './ops.ts';
export { NONE, boundPasidIn, groupOfDev, hasSvaDomain, maxPasidsOf, scanFirstUnallocated, scanSvaPasids, type MmStatus, type Outcomes, type Reads, type SlotKind, type World, type Writes } from './world.ts';
export { contractBreach, contractRule, staticContractRule, stateContractOf, stateContractRule, variantContractOf, type ContractBreach } from './contract.ts';
export { RULES, RULE_BY_ID, isRuleId, isScenarioRule, rulesOf, type ApiRuleId, type ContractRuleId, type Rule, type RuleId } from './rules.ts';
export { INVARIANTS, checkInvariants, stateInvariantsFor, type Invariant, type InvariantContext, type ObservationInvariant, type StateInvariant, type Violation } from './invariants.ts';
export { ObservationReads } from './observationReads.ts';
export { AVAILABILITY, findingOf, type FindingKind, type FindingRuleId } from './findings.ts';
export { ALWAYS_PROBED, observeSpec, defaultProbes, forEachPasidInUse, pasidsInUse } from './observe.ts';
export { BUILTIN_VARIANTS, VARIANT_BY_NAME, variantByName, variantOf } from './variants/index.ts';
export { EARLIER_VARIANTS } from './variants/earlier.ts';
export { SpecDriver, ContractError, type Applied } from './driver.ts';
export { kit, type Kit } from './kit.ts';
