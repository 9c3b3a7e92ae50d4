/**
 * conformance/: the bridge between the spec and implementations — the adapter contract's
 * runner (lockstep property tests through fast-check), the abstraction of observations, the
 * mutant fixtures and their kill table, the litmus library and the subprocess protocol.
 */
export { abstractObservation, diffObservations, dmaDifferences, type AbstractObservation } from './abstraction.ts';
export { HANDLE_NAMES, interestingPasids, opArb, setupArb } from './arbitraries.ts';
export {
  CHECKS, checkAdapter, conformanceProperty, counterexampleLitmus, counterexampleOf, defaultReplay, freshSeed, pruneSetup,
  scenarioArb, scenarioOps, splitPath,
  type CheckKind, type CheckOptions, type ConformanceReport, type Counterexample, type Scenario, type StepFailure,
} from './check.ts';
export { ConformanceFailure, Lockstep, runTrace, servesBatches, servesDigest, type DigestObserver, type LockstepOptions } from './lockstep.ts';
export { SpecAdapter, createSpecAdapter } from './specAdapter.ts';
export { CONFORMANCE_MUTANTS, MUTANT_FIXTURES, mutantByName, type Mutant } from './mutants/index.ts';
export { KILL_SEED, caughtBy, formatKillTable, killMutant, runKillTable, type KillOptions, type KillRow } from './killTable.ts';
// The litmus runner, for other test frameworks: parse and run a file on the spec or on an adapter.
export {
  BUNDLED_DIR, bundledPath, bundledSources, findLitmusFiles, loadLitmus, parseLitmus, renderOutcome, runLitmus, runSources,
  type FileOutcome, type LitmusSource, type ParsedLitmus, type Verdict,
} from './litmus/index.ts';
