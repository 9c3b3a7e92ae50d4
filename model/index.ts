/**
 * The model checker: explicit-state exploration of spec/. `check` (exhaustive BFS with
 * symmetry, invariants, availability findings), `diff` (variant against variant), `walk`
 * (seeded random walks), and the model configurations (bundled ones and files).
 */
export { check, type CheckOptions, type CheckResult, type ViolationReport, type AvailabilityReport, type Counterexample } from './check.ts';
export { diff, type DiffOptions, type DiffResult } from './diff.ts';
export { walk, type WalkOptions, type WalkResult, type WalkViolation } from './walk.ts';
export {
  parseConfig, loadConfigFile, loadBundledConfig, bundledConfigNames, loadManifest, ConfigError, DEFAULT_BOUNDS,
  type ModelConfig, type Bounds, type Manifest, type ManifestEntry,
} from './config.ts';
export { formatStats, formatCoverage, formatProgress, type Stats, type Coverage, type Progress } from './stats.ts';
export { EncodingError } from './space.ts';
export { DivergenceError, ENGINES, type EngineChoice } from './engine.ts';
