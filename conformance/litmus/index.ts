/** The litmus engine: parse, run, load, cover, render. `svacheck litmus` and the report use it. */
export { parseLitmus, type LitmusError, type ParsedLitmus, type ParseResult } from './parse.ts';
export { runLitmus, variantsOf, expectationFor, type Failure, type FailureKind, type RunOptions, type Verdict, type VerdictKind } from './run.ts';
export { BUNDLED_DIR, bundledPath, bundledSources, exitCodeOf, findLitmusFiles, loadLitmus, runSources, type FileOutcome, type LitmusSource } from './library.ts';
export { coverageOf, type Coverage, type ErrnoCoverage, type RuleCoverage } from './coverage.ts';
export { ascii, hanging, renderCoverage, renderOutcome, renderSummary, renderTable, summarize, toJson, verdictLine, wrap, WIDTH } from './render.ts';
