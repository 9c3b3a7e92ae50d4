/**
 * The runner side of PROTOCOL.md: an SvaAdapter that drives an external implementation over
 * JSON Lines on its stdin/stdout. It survives every misbehaviour of the child and says what
 * happened as a ProtocolFailure value; every call after the run has ended rejects with a
 * ProtocolError carrying that value. Nothing already answered is lost: the transcript keeps
 * each operation sent since the last configure, with its result once it came back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { formatOp, type DmaProbe, type Observation, type Op, type OpName, type Result, type Setup, type SvaAdapter, type VariantName } from '../../vocab/index.ts';
import { decodeFailNth, decodeHello, decodeLeaks, decodeObservation, decodeObserveAnswer, decodeResult, encodeSetup, PROTOCOL_VERSION, type Decoded, type FailNthInfo, type Hello, type Leaks } from './codec.ts';
import { ProtocolError, quoteLine, type FailureKind, type ProtocolFailure } from './failures.ts';
import { parseExecSpec } from './words.ts';
import type { StepAnswers } from '../lockstep.ts';

export interface ExecOptions {
  /** Working directory of the child (and base of a relative program path). */
  readonly cwd?: string;
  /** Deadline of the hello response after the start (default 10 s). */
  readonly startTimeoutMs?: number;
  /** Deadline of every other response, a batch counting as one (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** How much stderr is kept (the last N characters; default 64 KiB). */
  readonly stderrLimit?: number;
  /** Treat any stderr output as a protocol failure (default false: captured and reported). */
  readonly stderrIsError?: boolean;
  /** Coalesce apply() calls issued without awaiting into batch lines, when hello announces the batch capability (default true). */
  readonly batch?: boolean;
  /**
   * Largest batch sent in one line (default 128). A run issued ahead goes out as several lines,
   * so the implementation works on the first while the runner writes the next and checks the
   * answers already back: the two sides overlap.
   */
  readonly maxBatch?: number;
  /** How many raw protocol lines the report keeps (the last N; default 40). */
  readonly lineLimit?: number;
  /** The runner's name sent in hello. */
  readonly runner?: string;
  /** Longest stdout line accepted, in characters (default 16 MiB); a longer one is `line_too_long`. */
  readonly maxLineLength?: number;
}

/** One operation sent since the last configure; `result` once its answer came back. */
export interface TranscriptEntry { readonly op: Op; result?: Result }

export interface ExecReport {
  readonly command: readonly string[];
  readonly name: string | null;
  readonly pid: number | null;
  readonly failure: ProtocolFailure | null;
  /** The variant and setup of the last configure, if any. */
  readonly configured: { readonly variant: VariantName; readonly setup: Setup } | null;
  readonly transcript: readonly TranscriptEntry[];
  /** `restarts`: fresh processes started in place of one that broke on requests sent ahead (ExecAdapter.replaceable). */
  readonly totals: { readonly configures: number; readonly opsSent: number; readonly opsAnswered: number; readonly restarts?: number };
  /** The tail of the captured stderr, and whether older output was dropped. */
  readonly stderr: string;
  readonly stderrDropped: boolean;
  /** The last raw protocol lines: `> ` sent, `< ` received. */
  readonly lines: readonly string[];
  /** Exit status after shutdown, when it was not 0. */
  readonly exitAfterShutdown: { readonly code: number | null; readonly signal: string | null } | null;
}

type Json = Record<string, unknown>;

interface Pending {
  readonly id: number;
  readonly summary: string;
  readonly timeoutMs: number;
  /** How many requests the line carries (a batch: its inner requests). */
  readonly requests?: number;
  /** Written before an earlier answer came back, or a batch of several: sent ahead (set when written). */
  ahead?: boolean;
  /** Check and consume the response; a failure ends the run. */
  accept(resp: Json): ProtocolFailure | null;
  reject(e: ProtocolError): void;
}

/** Where a queued request's answer goes (decoded), or the error that ended the run before it came. */
interface Settle { resolve(answer: unknown): void; reject(e: unknown): void }

/** A step's op or its observe, answered into its StepAnswers (once, as a promise settles once). */
class AnswerInto implements Settle {
  private done = false;
  constructor(private readonly into: StepAnswers, private readonly observe: boolean) {}
  resolve(answer: unknown): void { this.settle(answer, undefined); }
  reject(e: unknown): void { this.settle(undefined, e ?? new Error('rejected')); }
  private settle(answer: unknown, error: unknown): void {
    if (this.done) return;
    this.done = true;
    const a = this.into;
    if (this.observe) { if (error === undefined) a.observation = answer as Observation | null; else a.observationError = error; }
    else if (error === undefined) a.result = answer; else a.resultError = error;
    a.settled++;
    a.wake?.();
  }
}

interface Queued {
  readonly id: number; readonly body: Json; readonly entry: TranscriptEntry;
  /** Whether the response must carry the fail_nth fields (calls, injected): answered with `{result, info}`, else the result alone. */
  readonly tracked: boolean;
  /** Where the answer goes: a promise's resolve and reject, or a step's answers (sendStep). */
  readonly to: Settle;
  /** An observe queued behind ops (batching only): how its answer is decoded and delivered instead. */
  readonly observe?: { readonly probes: readonly DmaProbe[]; readonly digest: Sent; answered: boolean };
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const probeBody = (p: DmaProbe) => ({ dev: p.dev, pasid: p.pasid });
/**
 * Unwritten lines longer than this together are written at once (a batch line of 128 requests
 * is about 8 KiB: every second one). Each write to a program waiting on its input wakes it,
 * which costs the runner's thread tens of microseconds on a virtual machine (the write, not the
 * bytes): a run sent ahead goes out in fewer writes, while the first of them still reaches the
 * program early enough for it to answer before the runner has issued the rest.
 */
const WRITE_AT = 16384;
/** The transcript entry of a queued observe (never recorded: summaries only). */
const OBSERVE_ENTRY: TranscriptEntry = { op: { op: 'dma', dev: '(observe)', pasid: 0 } };
/** encodeOp's fields (the op as is, without absent members), written into the request body. */
function encodeOpInto(body: Json, op: Op): void {
  for (const k in op) {
    const v = (op as unknown as Record<string, unknown>)[k];
    if (v !== undefined) body[k] = v;
  }
}
/** The expected digest with its last hex digit changed: the digest of no observation the spec expects here. */
const decoyOf = (digest: string): string => digest.slice(0, -1) + ((parseInt(digest.slice(-1), 16) + 1) % 16).toString(16);
const sameProbes = (a: readonly DmaProbe[], b: readonly DmaProbe[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].dev !== b[i].dev || a[i].pasid !== b[i].pasid) return false;
  return true;
};
/** The digest an observe carried (§12), and whether it was the decoy sent once per configure. */
type Sent = { readonly digest: string; readonly decoy: boolean } | null;
/** The answer to an observe: an observation, or, when a digest was sent, null for "that digest". */
const decodeObserve = (resp: Json, probes: readonly DmaProbe[], sent: Sent): Decoded<Observation | null> => {
  if (sent !== null) return decodeObserveAnswer(resp, probes, sent.digest, sent.decoy);
  return 'observation' in resp ? decodeObservation(resp.observation, probes) : { ok: false, error: `observe must answer "observation", got ${quoteLine(JSON.stringify(resp))}` };
};

// Children still running, killed if the runner itself goes away (exit, SIGINT, SIGTERM).
const LIVE = new Set<ExecAdapter>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => { for (const a of LIVE) a.kill(); });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      for (const a of LIVE) a.kill();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** The environment variable carrying a run's marker to the implementation and its descendants. */
export const MARKER_VAR = 'SVACHECK_RUN';

/**
 * SIGKILL every process whose environment carries this run's marker: descendants that called
 * setsid() (or were re-parented to init) escape the process group, not their environment.
 * Linux /proc only; elsewhere the process group kill is all there is.
 */
export function killMarked(marker: string): number {
  let entries: string[];
  try { entries = readdirSync('/proc'); } catch { return 0; }
  const needle = `${MARKER_VAR}=${marker}\0`;
  let killed = 0;
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    let env: string;
    try { env = readFileSync(`/proc/${d}/environ`, 'latin1'); } catch { continue; }
    if (!(env + '\0').includes(needle)) continue;
    try { process.kill(Number(d), 'SIGKILL'); killed++; } catch { /* gone meanwhile */ }
  }
  return killed;
}

export type OpenResult =
  | { readonly ok: true; readonly adapter: ExecAdapter }
  | { readonly ok: false; readonly failure: ProtocolFailure | null; readonly usage?: string; readonly report?: ExecReport };

/**
 * Start `exec:<command>` and do the handshake. A malformed spec is a usage problem (`usage`);
 * a child that cannot start or fails the handshake is a failure with its report.
 */
export async function openExecAdapter(spec: string, options: ExecOptions = {}): Promise<OpenResult> {
  const words = parseExecSpec(spec);
  if (!words.ok) return { ok: false, failure: null, usage: `--impl ${spec}: column ${words.column}: ${words.error}` };
  const adapter = new ExecAdapter(words.words, options);
  try {
    await adapter.start();
    return { ok: true, adapter };
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    await adapter.close();
    return { ok: false, failure: e.failure, report: adapter.report() };
  }
}

export class ExecAdapter implements SvaAdapter {
  readonly contractVersion = 1 as const;
  name = '(not started)';
  variants: readonly VariantName[] = [];
  ops: readonly OpName[] = [];
  hello: Hello | null = null;

  private child: ChildProcessWithoutNullStreams | null = null;
  private failure: ProtocolFailure | null = null;
  private readonly pending: Pending[] = [];
  private outbox: Queued[] = [];
  /**
   * Lines not yet written, and their length: what one synchronous stretch of the runner sends
   * (a configure, the observe after it, a run's first batch) goes out in one write, at the
   * microtask that follows it (drain), or at once past WRITE_AT characters, so a long run sent
   * ahead reaches the implementation line by line while the runner issues the rest.
   */
  private unwritten: string[] = [];
  private unwrittenLen = 0;
  private drainScheduled = false;
  private readonly drain = (): void => { this.drainScheduled = false; this.flush(); this.writeOut(); };
  private timer: NodeJS.Timeout | null = null;
  private nextId = 0;
  /** Stdout not yet framed: chunks of the current line (no newline in any of them), and their length. */
  private stdoutParts: string[] = [];
  private stdoutLen = 0;
  private stderr = '';
  private stderrDropped = false;
  private readonly lines: string[] = [];
  private transcript: TranscriptEntry[] = [];
  private configured: { variant: VariantName; setup: Setup } | null = null;
  private totals = { configures: 0, opsSent: 0, opsAnswered: 0, restarts: 0 };
  /**
   * The failure came with requests sent ahead of an answer in flight: one request at a time
   * might never have sent the one that broke the process (see `replaceable`).
   */
  private brokeAhead = false;
  /**
   * The requests in flight are answers a finished run no longer wants: sent ahead, beyond the
   * step where it stopped, and still owed when configure (or close) came. Their failure is not
   * the run's: configure then waits for them (`held`) and starts over on a fresh process if
   * the process breaks on them.
   */
  private surplus = false;
  /** Requests not yet written, with their lines: behind surplus answers, or a fresh process's hello. */
  private held: { readonly pendings: Pending[]; readonly lines: string[] } | null = null;
  /** The probes of the last observe sent with probes and a digest since configure (§12: the next may leave them out). */
  private lastProbes: readonly DmaProbe[] | null = null;
  /** Whether the next observe with a digest carries the decoy (once per configure, §12). */
  private decoyDue = false;
  private exit: { code: number | null; signal: string | null; byRunner?: boolean } | null = null;
  private killedByRunner = false;
  private shuttingDown = false;
  /** close() was called: no fresh process replaces a broken one any more. */
  private closing = false;
  private gone = false;
  private closed: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  private readonly opt: Required<Omit<ExecOptions, 'cwd'>> & { cwd?: string };
  /** This run's mark in the environment of the child and everything it starts. */
  private marker = '';

  constructor(readonly command: readonly string[], options: ExecOptions = {}) {
    this.opt = {
      cwd: options.cwd,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
      stderrLimit: options.stderrLimit ?? 64 * 1024,
      stderrIsError: options.stderrIsError ?? false,
      batch: options.batch ?? true,
      maxBatch: options.maxBatch ?? 128,
      lineLimit: options.lineLimit ?? 40,
      runner: options.runner ?? 'svacheck',
      maxLineLength: options.maxLineLength ?? 16 * 2 ** 20,
    };
  }

  /** Spawn the child and do the hello handshake (PROTOCOL.md §4). */
  async start(): Promise<void> {
    const h = decodeHello((await this.spawnChild()).hello);
    if (!h.ok) throw this.fail(this.failureFor('missing_handshake', h.error));
    if (h.value.protocol !== PROTOCOL_VERSION)
      throw this.fail(this.failureFor('wrong_version', `the implementation speaks protocol ${h.value.protocol}; this runner speaks ${PROTOCOL_VERSION}`));
    this.hello = h.value;
    this.name = h.value.name;
    this.variants = h.value.variants;
    this.ops = h.value.ops;
  }

  /** Start a process and send it hello; its answer. Events of a process since replaced are ignored. */
  private spawnChild(): Promise<Json> {
    installExitHooks();
    const [program, ...args] = this.command;
    this.marker = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    // detached: its own process group, killed as one; the marker in its environment finds the
    // descendants that left the group (setsid) — they inherit it (killMarked).
    const child = spawn(program, args, { cwd: this.opt.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, [MARKER_VAR]: this.marker } });
    this.child = child;
    const mine = () => this.child === child;
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    LIVE.add(this);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (mine() && child.pid === undefined) {
        this.fail({ kind: 'spawn_failed', detail: `${program}: ${e.code === 'ENOENT' ? 'no such file or program in PATH' : e.message}` });
        this.finish();
      }
    });
    child.stdin.on('error', () => { /* EPIPE: the child closed stdin; its exit says why */ });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => { if (mine()) this.onStdout(chunk, child); });
    child.stdout.on('end', () => { if (mine() && this.stdoutLen > 0 && this.failure === null) { const rest = this.stdoutParts.join(''); this.stdoutParts = []; this.stdoutLen = 0; this.onLine(rest); } });
    child.stderr.on('data', (chunk: string) => { if (mine()) this.onStderr(chunk); });
    child.on('exit', (code, signal) => {
      if (!mine()) return;
      this.exit = this.killedByRunner && signal === 'SIGKILL' ? { code, signal, byRunner: true } : { code, signal };
      // stdout may still hold answers: let 'close' report; a grandchild holding the pipe open
      // must not keep the run waiting.
      setTimeout(() => { if (mine()) this.onGone(); }, 300).unref();
    });
    child.on('close', () => { if (mine()) this.onGone(); });

    return new Promise<Json>((resolve, reject) => {
      const id = this.nextId++;
      const hello: Pending = {
        id, summary: 'hello', timeoutMs: this.opt.startTimeoutMs, reject,
        accept: (resp) => {
          if (!('hello' in resp)) return this.failureFor('missing_handshake', `the first response must carry "hello", got ${quoteLine(JSON.stringify(resp))}`);
          resolve(resp);
          return null;
        },
      };
      // Before anything held: nothing may be sent before the hello answer (§4).
      this.pending.push(hello);
      this.arm();
      this.writeLine(this.encode({ id, type: 'hello', protocol: PROTOCOL_VERSION, runner: this.opt.runner }));
    });
  }

  /**
   * Whether the process broke with requests sent ahead of an answer in flight (a run sent
   * ahead, PROTOCOL.md §8): one request at a time might never have sent the one that broke it,
   * for the run may have failed at an earlier step. The next configure then starts a fresh
   * process in its place (the same command; its hello must be the same), so the runner can run
   * the same operations again one at a time (conformanceProperty does), or go on with its next
   * run. A process that broke on a request sent alone, after every earlier answer came back,
   * stays broken, as it always did.
   */
  get replaceable(): boolean { return this.failure !== null && this.brokeAhead; }

  /**
   * Start a fresh process in place of one that broke (`replaceable`, or on surplus answers):
   * kill the old one, spawn, and hold every request (configure first) until the new hello
   * answers as the first did.
   */
  private replace(): void {
    if (this.closing) return;
    this.kill();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.failure = null; this.brokeAhead = false; this.surplus = false;
    this.exit = null; this.killedByRunner = false; this.gone = false; this.shuttingDown = false;
    this.stdoutParts = []; this.stdoutLen = 0; this.stderr = ''; this.stderrDropped = false;
    this.lastProbes = null;
    this.unwritten = []; this.unwrittenLen = 0;     // lines for the process replaced
    this.held ??= { pendings: [], lines: [] };
    this.totals.restarts++;
    const first = this.hello;
    this.spawnChild().then((resp) => {
      const h = decodeHello(resp.hello);
      if (!h.ok) { this.fail(this.failureFor('missing_handshake', h.error)); this.kill(); return; }
      if (JSON.stringify(h.value) !== JSON.stringify(first)) {
        this.fail(this.failureFor('missing_handshake', `a fresh process answered hello unlike the first: ${quoteLine(JSON.stringify(resp.hello))}`));
        this.kill();
        return;
      }
      this.release();
    }, () => { /* the failure is recorded, and the held requests rejected */ });
  }

  /** Write the held requests: the surplus answers came back, or the fresh process said hello. */
  private release(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.surplus = false;
    for (let i = 0; i < held.pendings.length; i++) {
      if (this.failure !== null) { held.pendings[i].reject(new ProtocolError(this.failure)); continue; }
      this.push(held.pendings[i]);
      this.writeLine(held.lines[i]);
    }
    this.flush();             // what was issued meanwhile and not yet written
  }

  async configure(setup: Setup, variant: VariantName): Promise<void> {
    if (this.replaceable) this.replace();
    this.ensureRunning();
    if (!this.variants.includes(variant))
      throw this.fail(this.failureFor('unsupported_variant', `variant ${variant} is not among those announced: ${this.variants.join(', ') || '(none)'}`));
    this.flush();
    // Answers still owed to a finished run (sent ahead beyond where it stopped): hold this run
    // until they are back, so that a process they break is replaced before it gets configure.
    if (this.pending.length > 0 && this.held === null) { this.held = { pendings: [], lines: [] }; this.surplus = true; }
    this.transcript = [];
    this.lastProbes = null;
    this.decoyDue = true;
    this.configured = { variant, setup };
    this.totals.configures++;
    await this.request({ type: 'configure', variant, setup: encodeSetup(setup) }, `configure ${variant}`, (resp) => {
      if (resp.result !== 'ok') return { ok: false, error: `configure must answer "result":"ok", got ${quoteLine(JSON.stringify(resp))}` };
      return { ok: true, value: undefined };
    });
  }

  /** One operation. Calls issued without awaiting are sent together as one batch line. */
  apply(op: Op): Promise<Result> {
    return this.send(op, false, undefined);
  }

  /**
   * One operation with the fail_nth capability (PROTOCOL.md §11): how many fallible calls it
   * made, and, with `failNth` n, the n-th of them failed as out of memory if it was reached.
   */
  applyTracked(op: Op, failNth?: number): Promise<{ result: Result; info: FailNthInfo }> {
    return this.send(op, true, failNth);
  }

  /** The implementation tears everything down and says what it still holds (§11). */
  async leaks(): Promise<Leaks> {
    this.ensureRunning();
    this.flush();
    return this.request({ type: 'leaks' }, 'leaks', (resp) =>
      'leaks' in resp ? decodeLeaks(resp.leaks) : { ok: false, error: `leaks must answer "leaks", got ${quoteLine(JSON.stringify(resp))}` });
  }

  /** Whether hello announced the op (a set of them, made once). */
  private announced(op: OpName): boolean {
    if (this.announcedOps === null || this.announcedFrom !== this.ops) { this.announcedOps = new Set(this.ops); this.announcedFrom = this.ops; }
    return this.announcedOps.has(op);
  }
  private announcedOps: Set<OpName> | null = null;
  private announcedFrom: readonly OpName[] | null = null;

  /** Whether ops go out in batch lines: asked for, and announced by the implementation (§8). */
  private get batching(): boolean { return this.opt.batch && (this.hello?.capabilities.batch ?? 0) >= 1; }

  /** The capabilities hello announced, with their versions. */
  get capabilities(): Readonly<Record<string, number>> { return this.hello?.capabilities ?? {}; }

  private send<T>(op: Op, tracked: boolean, failNth: number | undefined): Promise<T> {
    const refused = this.refusal(op);
    if (refused !== null) return Promise.reject(refused);
    return new Promise<T>((resolve, reject) => this.queueOp(op, tracked, failNth, { resolve: resolve as (answer: unknown) => void, reject }));
  }

  /** Why op cannot be sent: the run has ended, or hello did not announce it; null if it can. */
  private refusal(op: Op): Error | null {
    if (this.failure) return new ProtocolError(this.failure);
    this.ensureRunning();
    // PROTOCOL.md §4: the runner never sends an op outside hello.ops. Callers filter first
    // (conform skips what is not announced); this refusal keeps the promise if one does not.
    if (this.hello !== null && !this.announced(op.op))
      return new Error(`runner bug: ${op.op} is not among the operations ${this.name} announced (${this.ops.join(', ')}); it was not sent`);
    return null;
  }

  private queueOp(op: Op, tracked: boolean, failNth: number | undefined, to: Settle): void {
    const entry: TranscriptEntry = { op };
    this.transcript.push(entry);
    this.totals.opsSent++;
    const id = this.nextId++;
    const body: Json = { id, type: 'op' };
    encodeOpInto(body, op);
    if (failNth !== undefined) body.fail_nth = failNth;
    this.outbox.push({ id, body, entry, tracked, to });
    if (!this.batching || this.outbox.length >= this.opt.maxBatch) this.flush();
    else this.scheduleDrain();
  }

  private queueObserve(probes: readonly DmaProbe[], digest: Sent, to?: Settle): Promise<Observation | null> | undefined {
    if (to === undefined) return new Promise((resolve, reject) => { this.queueObserve(probes, digest, { resolve: resolve as (answer: unknown) => void, reject }); });
    const id = this.nextId++;
    const body = this.observeBody(probes, digest, id);
    const alone = this.outbox.length === 0;                            // nothing to join: go now, as a line of its own
    this.outbox.push({ id, body, entry: OBSERVE_ENTRY, tracked: false, to, observe: { probes, digest, answered: false } });
    if (alone || this.outbox.length >= this.opt.maxBatch) this.flush();
    else this.scheduleDrain();
    return undefined;
  }

  /**
   * A step sent ahead (Lockstep.issue): op, then an observe at `probes` (with the digest the
   * runner expects, or null for the whole observation), their answers written into `into` as
   * they come back, exactly as apply() and observe() or observeOrDigest() would deliver them
   * (an error in place of an answer the same way), without a promise per request. Batching,
   * both join the batch lines; otherwise each goes as apply() and observe() send it.
   */
  sendStep(op: Op, probes: readonly DmaProbe[], digest: string | null, into: StepAnswers): void {
    const opTo = new AnswerInto(into, false), observeTo = new AnswerInto(into, true);
    if (!this.batching) {
      this.apply(op).then((r) => opTo.resolve(r), (e: unknown) => opTo.reject(e));
      const o = digest === null ? this.observe(probes) : this.observeOrDigest(probes, digest);
      o.then((x) => observeTo.resolve(x), (e: unknown) => observeTo.reject(e));
      return;
    }
    let refused: Error | null;
    try { refused = this.refusal(op); } catch (e) { refused = e as Error; }
    if (refused !== null) opTo.reject(refused);
    else this.queueOp(op, false, undefined, opTo);
    if (digest !== null && (this.hello?.capabilities.digest ?? 0) < 1) { observeTo.reject(new Error(`runner bug: ${this.name} did not announce the digest capability`)); return; }
    try { this.ensureRunning(); } catch (e) { observeTo.reject(e); return; }
    this.queueObserve(probes, this.sentFor(digest), observeTo);
  }

  /** Several operations in one batch line (PROTOCOL.md §8), results in order. */
  applyBatch(ops: readonly Op[]): Promise<Result[]> {
    const all = ops.map((op) => this.apply(op));
    this.flush();
    return Promise.all(all);
  }

  /**
   * The implementation's observation. When batching, an observe issued without awaiting joins
   * the ops queued before it in one batch line (PROTOCOL.md §8 batches hold op and observe
   * requests); otherwise it is a line of its own, after the queued ops.
   */
  async observe(probes: readonly DmaProbe[]): Promise<Observation> {
    return (await this.observeAsked(probes, null))!;
  }

  /**
   * The digest capability (PROTOCOL.md §12): observe, telling the implementation the digest of
   * the observation expected. Null when it answers that the digest of its observation is that
   * one; otherwise its whole observation (which then differs from the expected one, unless its
   * digest collides). Only for an implementation that announced `digest`.
   */
  observeOrDigest(probes: readonly DmaProbe[], digest: string): Promise<Observation | null> {
    if ((this.hello?.capabilities.digest ?? 0) < 1) return Promise.reject(new Error(`runner bug: ${this.name} did not announce the digest capability`));
    return this.observeAsked(probes, digest);
  }

  private observeAsked(probes: readonly DmaProbe[], expected: string | null): Promise<Observation | null> {
    try { this.ensureRunning(); } catch (e) { return Promise.reject(e); }
    // Once per configure, a decoy: a digest no observation it should have has (the expected one
    // with its last digit changed). The implementation must come back with its whole
    // observation and its own digest, which the runner recomputes: a program that echoed the
    // digest it was sent, or computed digests its own way, is caught (malformed_response).
    const digest = this.sentFor(expected);
    if (this.batching) return this.queueObserve(probes, digest)!;
    this.flush();
    return this.request(this.observeBody(probes, digest), 'observe', (resp) => this.decodeObserve(resp, probes, digest));
  }

  /** What an observe carries for the digest expected: it, or once per configure the decoy (observeAsked). */
  private sentFor(expected: string | null): Sent {
    if (expected === null) return null;
    if (this.decoyDue) { this.decoyDue = false; return { digest: decoyOf(expected), decoy: true }; }
    return { digest: expected, decoy: false };
  }

  /**
   * An observe request; with the digest the runner expects, for an implementation serving
   * `digest` (§12), which also lets the probes be left out when they are those of the last
   * observe sent since configure (most steps: the spec's probes change only with the PASIDs in use).
   */
  private observeBody(probes: readonly DmaProbe[], sent: Sent, id?: number): Json {
    const body: Json = id === undefined ? { type: 'observe' } : { id, type: 'observe' };
    if (sent === null) { this.lastProbes = null; body.probes = probes.map(probeBody); return body; }
    if (this.lastProbes === null || !sameProbes(this.lastProbes, probes)) body.probes = probes.map(probeBody);
    this.lastProbes = probes;                     // the same array next time, most steps: compared at once
    body.digest = sent.digest;
    return body;
  }

  /** Observes sent with an expected digest (§12), and how many were answered by that digest alone. */
  readonly digests = { asked: 0, matched: 0 };

  private decodeObserve(resp: Json, probes: readonly DmaProbe[], sent: Sent): Decoded<Observation | null> {
    const d = decodeObserve(resp, probes, sent);
    if (sent !== null) { this.digests.asked++; if (d.ok && d.value === null) this.digests.matched++; }
    return d;
  }

  /** Shut the child down (shutdown, then EOF, then SIGKILL); never throws. */
  async close(): Promise<void> {
    if (this.child === null) return;
    this.closing = true;
    if (this.failure === null && this.exit === null) {
      this.flush();
      this.shuttingDown = true;
      // Answers still owed to a finished run: a process that breaks on them broke nothing checked.
      if (this.pending.length > 0) this.surplus = true;
      try {
        await this.request({ type: 'shutdown' }, 'shutdown', (resp) =>
          resp.result === 'ok' ? { ok: true, value: undefined } : { ok: false, error: `shutdown must answer "result":"ok", got ${quoteLine(JSON.stringify(resp))}` });
      } catch { /* the failure is recorded */ }
      if (this.surplus && this.failure !== null) { this.failure = null; this.brokeAhead = false; }
    }
    this.shuttingDown = true;
    this.writeOut();
    this.child.stdin.end();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
    await Promise.race([this.closed, grace]);
    this.kill();
    await Promise.race([this.closed, new Promise<void>((resolve) => setTimeout(resolve, 500).unref())]);
  }

  /**
   * SIGKILL the child's process group (grandchildren included); safe to call at any time. The
   * group id cannot be reused while any member, even a zombie, remains.
   */
  kill(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.exit === null) this.killedByRunner = true;
    try { process.kill(-pid, 'SIGKILL'); } catch {
      if (this.exit === null) try { this.child?.kill('SIGKILL'); } catch { /* already gone */ }
    }
    killMarked(this.marker);
  }

  /** How the run went so far: failure, stderr, transcript. */
  report(): ExecReport {
    const afterShutdown = this.failure === null && this.exit !== null && (this.exit.code !== 0 || this.exit.signal !== null) ? this.exit : null;
    return {
      command: this.command, name: this.hello?.name ?? null, pid: this.child?.pid ?? null,
      failure: this.failure, configured: this.configured, transcript: this.transcript.map((e) => ({ ...e })),
      totals: { ...this.totals }, stderr: this.stderr, stderrDropped: this.stderrDropped, lines: [...this.lines],
      exitAfterShutdown: afterShutdown,
    };
  }

  get failed(): ProtocolFailure | null { return this.failure; }

  // ---- internals ----

  private ensureRunning(): void {
    if (this.failure) throw new ProtocolError(this.failure);
    if (this.child === null) throw new Error('ExecAdapter used before start()');
  }

  private request<T>(body: Json, summary: string, decode: (resp: Json) => Decoded<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) { reject(new ProtocolError(this.failure)); return; }
      const id = this.nextId++;
      this.push({
        id, summary, timeoutMs: this.opt.requestTimeoutMs, reject,
        accept: (resp) => {
          const d = decode(resp);
          if (!d.ok) return this.failureFor('malformed_response', d.error);
          resolve(d.value);
          return null;
        },
      });
      this.write({ id, ...body });
    });
  }

  /** Send the queued requests at the end of this task (they may still be joined by more). */
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drain);
  }

  /** Send the queued requests now: one request line each, or batch lines of up to maxBatch. */
  private flush(): void {
    while (this.outbox.length > 0 && this.failure === null) {
      const items = this.outbox.slice(0, this.batching ? this.opt.maxBatch : 1);
      this.outbox = this.outbox.slice(items.length);
      const what = (q: Queued): string => (q.observe ? 'observe' : formatOp(q.entry.op));
      const settle = (q: Queued, resp: unknown): ProtocolFailure | null => {
        if (!isObject(resp)) return this.failureFor('malformed_response', `a response must be an object, got ${quoteLine(JSON.stringify(resp))}`);
        const o = q.observe;
        if (o) {
          if (resp.id !== q.id) return this.failureFor('wrong_id', `expected the answer to request #${q.id} (observe), got id ${JSON.stringify(resp.id)}`);
          if ('error' in resp) return this.errorFailure(resp.error, `#${q.id} observe`);
          const d = this.decodeObserve(resp, o.probes, o.digest);
          if (!d.ok) return this.failureFor('malformed_response', d.error);
          o.answered = true;
          q.to.resolve(d.value);
          return null;
        }
        if (resp.id !== q.id) return this.failureFor('wrong_id', `expected the answer to request #${q.id} (${formatOp(q.entry.op)}), got id ${JSON.stringify(resp.id)}`);
        if ('error' in resp) return this.errorFailure(resp.error, `#${q.id} ${formatOp(q.entry.op)}`);
        if (!('result' in resp)) return this.failureFor('malformed_response', `the answer to #${q.id} (${formatOp(q.entry.op)}) has no "result": ${quoteLine(JSON.stringify(resp))}`);
        const r = decodeResult(resp.result);
        if (!r.ok) return this.failureFor('malformed_response', `the answer to #${q.id} (${formatOp(q.entry.op)}): ${r.error}`);
        let info: FailNthInfo | null = null;
        if (q.tracked) {
          const d = decodeFailNth(resp);
          if (!d.ok) return this.failureFor('malformed_response', `the answer to #${q.id} (${formatOp(q.entry.op)}): ${d.error}`);
          info = d.value;
        }
        q.entry.result = r.value;
        this.totals.opsAnswered++;
        q.to.resolve(q.tracked ? { result: r.value, info } : r.value);
        return null;
      };
      const rejectAll = (e: ProtocolError) => { for (const q of items) q.to.reject(e); };
      if (items.length === 1) {
        const q = items[0];
        this.push({ id: q.id, summary: what(q), timeoutMs: this.opt.requestTimeoutMs, reject: rejectAll, accept: (resp) => settle(q, resp) });
        this.write(q.body);
        continue;
      }
      const id = this.nextId++;
      this.push({
        id, summary: `batch of ${items.length} requests (#${items[0].id}..#${items[items.length - 1].id})`, timeoutMs: this.opt.requestTimeoutMs, requests: items.length,
        reject: (e) => { for (const q of items) if (q.observe ? !q.observe.answered : q.entry.result === undefined) q.to.reject(e); },
        accept: (resp) => {
          if ('error' in resp) return this.errorFailure(resp.error, `batch #${id}`);
          const list = resp.responses;
          if (!Array.isArray(list)) return this.failureFor('malformed_response', `a batch must be answered with "responses", got ${quoteLine(JSON.stringify(resp))}`);
          for (let i = 0; i < items.length; i++) {
            if (i >= list.length) return this.failureFor('malformed_response', `the batch #${id} answered ${list.length} of ${items.length} requests`);
            const f = settle(items[i], list[i]);
            if (f) return f;
          }
          if (list.length > items.length) return this.failureFor('malformed_response', `the batch #${id} answered ${list.length} responses to ${items.length} requests`);
          return null;
        },
      });
      this.write({ id, type: 'batch', requests: items.map((q) => q.body) });
    }
  }

  private push(p: Pending): void {
    if (this.failure) { p.reject(new ProtocolError(this.failure)); return; }
    if (this.held !== null) { this.held.pendings.push(p); return; }
    p.ahead = (p.requests ?? 1) > 1 || this.pending.length > 0;
    this.pending.push(p);
    if (this.pending.length === 1) this.arm();
  }

  /** The head's deadline: from when it became the head (a run sent ahead: about one per answer line). */
  private arm(): void {
    const head = this.pending[0];
    if (!head) { if (this.timer) clearTimeout(this.timer); this.timer = null; return; }
    // The same timeout as the head before: the timer starts again (refresh), no new one is made.
    if (this.timer !== null && this.timerMs === head.timeoutMs) { this.timer.refresh(); return; }
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = head.timeoutMs;
    this.timer = setTimeout(this.onHang, head.timeoutMs);
  }
  private timerMs = 0;
  /** No answer to the head in time (the head then is the one armed for: every change of head re-arms). */
  private readonly onHang = (): void => {
    const head = this.pending[0];
    if (!head) return;
    this.fail({ kind: 'hang', detail: `no response within ${head.timeoutMs} ms`, request: { id: head.id, summary: head.summary } });
    this.kill();
  };

  /** Write a request (after its push): now, or once the held requests go (release). */
  private write(msg: Json): void {
    if (this.failure !== null) return;                 // push rejected it
    const line = this.encode(msg);
    if (this.held !== null) this.held.lines.push(line);
    else this.writeLine(line);
  }

  private encode(msg: Json): string {
    const line = JSON.stringify(msg);
    this.record('> ', line);
    return line;
  }

  private writeLine(line: string): void {
    this.unwritten.push(line);
    this.unwrittenLen += line.length + 1;
    if (this.unwrittenLen >= WRITE_AT) this.writeOut();
    else this.scheduleDrain();
  }

  private writeOut(): void {
    if (this.unwritten.length === 0) return;
    const text = this.unwritten.length === 1 ? `${this.unwritten[0]}\n` : `${this.unwritten.join('\n')}\n`;
    this.unwritten = []; this.unwrittenLen = 0;
    const stdin = this.child?.stdin;
    if (stdin && stdin.writable) stdin.write(text);
  }

  /**
   * Frame stdout into lines in linear time: each chunk is scanned once, and the pieces of an
   * unfinished line are kept apart until its newline arrives (a 50 MB line used to be re-scanned
   * from its start on every chunk). A line past maxLineLength ends the run as line_too_long.
   */
  private onStdout(chunk: string, child: ChildProcessWithoutNullStreams): void {
    let from = 0, nl: number;
    while (this.failure === null && this.child === child && (nl = chunk.indexOf('\n', from)) >= 0) {
      const piece = chunk.slice(from, nl);
      from = nl + 1;
      if (this.tooLong(piece.length)) return;
      const line = this.stdoutParts.length > 0 ? this.stdoutParts.join('') + piece : piece;
      this.stdoutParts = []; this.stdoutLen = 0;
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (this.failure !== null || this.child !== child || from >= chunk.length) return;
    const rest = chunk.slice(from);
    if (this.tooLong(rest.length)) return;
    this.stdoutParts.push(rest);
    this.stdoutLen += rest.length;
  }

  private tooLong(more: number): boolean {
    if (this.stdoutLen + more <= this.opt.maxLineLength) return false;
    const head = (this.stdoutParts[0] ?? '').slice(0, 80);
    this.stdoutParts = []; this.stdoutLen = 0;
    this.fail(this.failureFor('line_too_long', `a stdout line longer than ${this.opt.maxLineLength} characters, starting ${quoteLine(head, 80)}`));
    this.kill();
    return true;
  }

  private onLine(line: string): void {
    if (this.failure) return;
    this.record('< ', line);
    let resp: unknown;
    try { resp = JSON.parse(line); } catch {
      this.fail(this.failureFor('not_json', `stdout line is not JSON: ${quoteLine(line)}`));
      this.kill();
      return;
    }
    if (!isObject(resp)) { this.fail(this.failureFor('not_json', `stdout line is not a JSON object: ${quoteLine(line)}`)); this.kill(); return; }
    const head = this.pending[0];
    if (!head) { this.fail({ kind: 'wrong_id', detail: `a response when no request was waiting: ${quoteLine(line)}` }); this.kill(); return; }
    if (resp.id !== head.id) {
      const kind: FailureKind = head.summary === 'hello' ? 'missing_handshake' : 'wrong_id';
      this.fail(this.failureFor(kind, `expected the answer to request #${head.id} (${head.summary}), got id ${JSON.stringify(resp.id)}: ${quoteLine(line)}`));
      this.kill();
      return;
    }
    if ('error' in resp && head.summary === 'hello') { this.fail(this.failureFor('missing_handshake', `hello was answered with an error: ${quoteLine(line)}`)); this.kill(); return; }
    const f = head.accept(resp);
    if (f) { this.fail(f); this.kill(); return; }
    this.pending.shift();
    this.arm();
    if (this.pending.length === 0 && this.surplus && this.held !== null) this.release();
  }

  private errorFailure(err: unknown, what: string): ProtocolFailure {
    const code = isObject(err) && typeof err.code === 'string' ? err.code : '?';
    const message = isObject(err) && typeof err.message === 'string' ? err.message : JSON.stringify(err);
    return this.failureFor(code === 'unsupported_variant' ? 'unsupported_variant' : 'impl_error', `${what} answered error ${code}: ${message}`);
  }

  private onStderr(chunk: string): void {
    this.stderr += chunk;
    if (this.stderr.length > this.opt.stderrLimit) { this.stderr = this.stderr.slice(-this.opt.stderrLimit); this.stderrDropped = true; }
    if (this.opt.stderrIsError && this.failure === null) {
      this.fail(this.failureFor('stderr_output', `stderr: ${quoteLine(chunk.split('\n')[0])}`));
      this.kill();
    }
  }

  /** The child is gone (its stdio closed, or it exited and a grace period passed). */
  private onGone(): void {
    if (this.exit === null || this.gone) return;
    this.gone = true;
    if (this.failure === null) {
      const onlyShutdownWaiting = this.pending.length === 1 && this.pending[0].summary === 'shutdown' && this.exit.code === 0;
      const expected = this.shuttingDown && (this.pending.length === 0 || onlyShutdownWaiting);
      if (!expected) {
        const kind: FailureKind = this.exit.signal ? 'crashed' : 'exited';
        this.fail(this.failureFor(kind, this.exit.signal ? `killed by ${this.exit.signal}` : `exited with status ${this.exit.code}`));
      }
    }
    if (this.failure && this.failure.exit === undefined) this.failure.exit = this.exit;
    this.finish();
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rest = this.pending.splice(0);
    if (rest.length > 0) {
      const e = new ProtocolError(this.failure ?? { kind: 'exited', detail: 'the process ended', exit: this.exit ?? undefined });
      for (const p of rest) p.reject(e);
    }
    LIVE.delete(this);
    this.resolveClosed?.();
  }

  private failureFor(kind: FailureKind, detail: string): ProtocolFailure {
    const head = this.pending[0];
    return head ? { kind, detail, request: { id: head.id, summary: head.summary } } : { kind, detail };
  }

  /** Record the first failure; reject everything waiting. Returns a ProtocolError to throw. */
  private fail(f: ProtocolFailure): ProtocolError {
    if (this.failure === null) {
      this.failure = f;
      if (this.exit) f.exit = this.exit;
      this.brokeAhead = this.surplus || this.pending.some((p) => p.ahead === true);
    }
    const e = new ProtocolError(this.failure);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.pending.splice(0)) p.reject(e);
    if (this.surplus && !this.shuttingDown) {
      // It broke on answers a finished run did not want: the held run starts over on a fresh
      // process, once the caller has finished with this one (it kills it right after).
      setImmediate(() => { if (this.replaceable) this.replace(); });
      return e;
    }
    for (const q of this.outbox.splice(0)) q.to.reject(e);
    const held = this.held;
    this.held = null;
    for (const p of held?.pendings ?? []) p.reject(e);
    return e;
  }

  /** Keep the line's first 400 characters (cut before joining: a batch answer can be megabytes). */
  private record(prefix: string, line: string): void {
    this.lines.push(line.length > 398 ? `${prefix}${line.slice(0, 398)}…` : `${prefix}${line}`);
    if (this.lines.length > this.opt.lineLimit) this.lines.shift();
  }
}
