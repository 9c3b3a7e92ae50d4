/**
 * simulate/: bind failure rates under a workload, per variant, with confidence intervals;
 * rendered as a mail-safe table, JSON, or an SVG plot. Runs on impl/ where the variant has an
 * implementation and on spec/ otherwise.
 */
export {
  parseWorkload, loadWorkloadFile, seedWorkload, withParam, offeredLoad, poolOf, paramProblem, SEED_WORKLOAD_FILE, WorkloadError,
  type Workload, type ProcessClass, type HolderClass, type Pool, type Sweep, type Api,
} from './workload.ts';
export { simulate, boundDevices, SimulateError, type SimulateOptions, type SimulateResult, type PointResult, type Cell, type EngineChoice, type Progress } from './sweep.ts';
export { simulateRun, streamSeed, type RunResult, type RunOptions, type Tally } from './run.ts';
export { autoEngine, LockstepDifference, type Engine } from './target.ts';
export { rateOf, wilson, erlangB, engset, type Rate } from './stats.ts';
export { renderText, renderJson, renderSvg, deviceBlocks, formatCell, formatWhy, shellLines, wrap, JSON_VERSION } from './render.ts';
