/**
 * What can end a run of an external implementation, as values. A closed union keyed on
 * `kind`, with a Record<Kind, info> table so that a new kind cannot ship without a title and
 * an explanation (PROTOCOL.md §10 lists the same kinds).
 */

export const FAILURE_KINDS = [
  'spawn_failed', 'exited', 'crashed', 'hang', 'not_json', 'malformed_response', 'wrong_id',
  'missing_handshake', 'wrong_version', 'unsupported_variant', 'impl_error', 'stderr_output', 'line_too_long',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export const FAILURE_INFO: Readonly<Record<FailureKind, { readonly title: string; readonly explanation: string }>> = {
  spawn_failed: {
    title: 'could not start the implementation',
    explanation: 'The program named after exec: could not be started (not found, or not executable).',
  },
  exited: {
    title: 'the implementation exited mid-run',
    explanation: 'The process exited before answering shutdown; every request still waiting is lost.',
  },
  crashed: {
    title: 'the implementation crashed',
    explanation: 'The process was killed by a signal (e.g. SIGSEGV, SIGABRT) before answering shutdown.',
  },
  hang: {
    title: 'the implementation hung',
    explanation: 'A response did not arrive within the timeout; the process group was killed.',
  },
  not_json: {
    title: 'a stdout line is not JSON',
    explanation: 'stdout is the protocol channel: every line must be one JSON object. Print logs to stderr.',
  },
  malformed_response: {
    title: 'a malformed response',
    explanation: 'A JSON line that is not a valid response to the request it answers (PROTOCOL.md §3, §6, §7).',
  },
  wrong_id: {
    title: 'a response out of order',
    explanation: 'Responses must come in request order, each carrying the id of the oldest unanswered request.',
  },
  missing_handshake: {
    title: 'no handshake',
    explanation: 'The first response must answer the hello request with a hello object (PROTOCOL.md §4).',
  },
  wrong_version: {
    title: 'wrong protocol version',
    explanation: 'The implementation speaks a protocol version this runner does not (the runner speaks 1).',
  },
  unsupported_variant: {
    title: 'variant not supported',
    explanation: 'The variant asked for is not among those the implementation announced, or configure was refused.',
  },
  impl_error: {
    title: 'the implementation could not serve a request',
    explanation: 'It answered an error response (PROTOCOL.md §9); a correct implementation never does for runner requests.',
  },
  stderr_output: {
    title: 'output on stderr',
    explanation: 'The implementation wrote to stderr while the runner was told to treat that as an error.',
  },
  line_too_long: {
    title: 'a stdout line beyond the length limit',
    explanation: 'A protocol line grew past the limit (16 MiB by default) without a newline; no valid response is that long.',
  },
};

export interface ProtocolFailure {
  readonly kind: FailureKind;
  /** What happened, in one or two lines, with the offending text quoted (bounded). */
  readonly detail: string;
  /** The request being answered (or the oldest unanswered), by id and summary. */
  readonly request?: { readonly id: number; readonly summary: string };
  /** Exit status or signal, once the process is gone. */
  exit?: { readonly code: number | null; readonly signal: string | null; readonly byRunner?: boolean };
}

/** The failure as report text: title, detail, request, exit. */
export function describeFailure(f: ProtocolFailure): string {
  const lines = [`${f.kind}: ${FAILURE_INFO[f.kind].title}`, `  ${f.detail}`];
  if (f.request) lines.push(`  while waiting for request #${f.request.id} (${f.request.summary})`);
  if (f.exit) lines.push(`  process ${f.exit.byRunner ? `killed by the runner (${f.exit.signal})` : f.exit.signal ? `killed by ${f.exit.signal}` : `exit status ${f.exit.code}`}`);
  lines.push(`  (${FAILURE_INFO[f.kind].explanation})`);
  return lines.join('\n');
}

/** Raised (rejected) by the exec adapter once the run has ended; `failure` says why. */
export class ProtocolError extends Error {
  constructor(readonly failure: ProtocolFailure) {
    super(`${failure.kind}: ${FAILURE_INFO[failure.kind].title}: ${failure.detail}`);
    this.name = 'ProtocolError';
  }
}

/** Quote a line for a message: bounded, control characters visible. */
export function quoteLine(text: string, max = 120): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
