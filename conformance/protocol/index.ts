/** The subprocess protocol (PROTOCOL.md), runner side. */
export { ExecAdapter, openExecAdapter, type ExecOptions, type ExecReport, type OpenResult, type TranscriptEntry } from './adapter.ts';
export { FAILURE_INFO, FAILURE_KINDS, ProtocolError, describeFailure, type FailureKind, type ProtocolFailure } from './failures.ts';
export { PROTOCOL_VERSION, decodeResult, decodeObservation, decodeObserveAnswer, decodeHello, encodeOp, encodeSetup, type Hello } from './codec.ts';
export { observationDigest } from './digest.ts';
export { splitCommand, parseExecSpec, EXEC_PREFIX, type SplitResult } from './words.ts';
export { buildCExample, hasCompiler, C_SV2, C_PLANTED, type BuildResult } from './cbuild.ts';
export { renderExecReport } from './report.ts';
