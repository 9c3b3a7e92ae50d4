/**
 * A module adapter (`conform --impl PATH`) run in a worker thread, where a deadline can be
 * enforced: every call must settle within the timeout, results are validated as strictly as
 * an exec: implementation's responses, and a module that loops, never settles, throws from a
 * timer, leaves a rejection unhandled or calls process.exit ends the run as a failure of the
 * implementation (exit 3), reported like an exec: failure (kind, detail, transcript).
 */
import { Worker } from 'node:worker_threads';
import { ERRNOS, OP_NAMES, formatOp, type DmaProbe, type Observation, type Op, type OpName, type Result, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';
import type { ExecReport, TranscriptEntry } from '../conformance/protocol/adapter.ts';
import { ProtocolError, quoteLine, type FailureKind, type ProtocolFailure } from '../conformance/protocol/failures.ts';

export type ModuleOpen =
  | { readonly ok: true; readonly adapter: ModuleAdapter }
  | { readonly ok: false; readonly code: 2 | 3; readonly message: string; readonly report?: ExecReport };

interface Call { readonly method: string; readonly summary: string; resolve(v: unknown): void; reject(e: Error): void; readonly timer: NodeJS.Timeout }

const RESULT_KINDS = ['pasid', 'ok', 'invalid', 'fault', 'kernel', 'mm', 'errno'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;

/** Why v is not a Result (vocab/index.ts), or null. */
export function resultProblem(v: unknown): string | null {
  if (!isObject(v) || typeof v.kind !== 'string' || !RESULT_KINDS.includes(v.kind)) return `a result must be {kind: ${RESULT_KINDS.join('|')}, ...}, got ${quoteLine(JSON.stringify(v) ?? String(v))}`;
  if (v.kind === 'pasid' && !isCount(v.pasid)) return `pasid must be an integer in 0..2^32-1, got ${quoteLine(JSON.stringify(v.pasid) ?? String(v.pasid))}`;
  if (v.kind === 'errno' && !(ERRNOS as readonly unknown[]).includes(v.errno)) return `unknown errno ${quoteLine(JSON.stringify(v.errno) ?? String(v.errno))} (known: ${ERRNOS.join(' ')})`;
  if (v.kind === 'mm' && (typeof v.mm !== 'string' || v.mm === '')) return `mm must be a name, got ${quoteLine(JSON.stringify(v.mm) ?? String(v.mm))}`;
  return null;
}

/** Why v is not an Observation answering these probes, or null. */
export function observationProblem(v: unknown, probes: readonly DmaProbe[]): string | null {
  if (!isObject(v)) return `an observation must be an object, got ${quoteLine(JSON.stringify(v) ?? String(v))}`;
  for (const k of ['bonds', 'attaches', 'mms', 'globalPasids', 'dma']) if (!Array.isArray(v[k])) return `observation.${k} must be an array`;
  const dma = v.dma as unknown[];
  if (dma.length !== probes.length) return `observation.dma has ${dma.length} entries for ${probes.length} probes`;
  for (const [i, d] of dma.entries()) {
    if (!isObject(d)) return `observation.dma[${i}] must be {dev, pasid, result}`;
    const p = resultProblem(d.result);
    if (p) return `observation.dma[${i}].result: ${p}`;
  }
  return null;
}

export class ModuleAdapter implements SvaAdapter {
  readonly contractVersion = 1 as const;
  name = '(not loaded)';
  variants: readonly VariantName[] = [];
  readonly ops: readonly OpName[] = OP_NAMES;
  private worker: Worker | null = null;
  private failure: ProtocolFailure | null = null;
  private readonly calls = new Map<number, Call>();
  private nextId = 0;
  private transcript: TranscriptEntry[] = [];
  private configured: { variant: VariantName; setup: Setup } | null = null;
  private totals = { configures: 0, opsSent: 0, opsAnswered: 0 };
  private closing = false;

  /** Loading (tsx compiles the module) gets twice the call deadline, at least 3 s. */
  private readonly startTimeoutMs: number;

  constructor(readonly file: string, private readonly timeoutMs = 5_000, private readonly shown = file) {
    this.startTimeoutMs = Math.max(3_000, 2 * timeoutMs);
  }

  /** Load the module in a worker; a module that fails to load is 2 (bad input) or 3 (it threw). */
  static async open(file: string, options: { timeoutMs?: number; shown?: string } = {}): Promise<ModuleOpen> {
    const a = new ModuleAdapter(file, options.timeoutMs, options.shown);
    const hello = await a.start();
    if (hello.ok) return { ok: true, adapter: a };
    await a.terminate();
    return hello.code === 2 ? { ok: false, code: 2, message: hello.message } : { ok: false, code: 3, message: hello.message, report: a.report() };
  }

  private start(): Promise<{ ok: true } | { ok: false; code: 2 | 3; message: string }> {
    const entry = new URL('./moduleWorker.ts', import.meta.url).href;
    const hooks = new URL('../bin/register.mjs', import.meta.url).href;
    // The worker installs svacheck's module hooks itself (types stripped, adapters as ES modules), then loads the entry.
    const boot = `import(${JSON.stringify(hooks)}).then(() => import(${JSON.stringify(entry)}))`;
    const w = new Worker(boot, { eval: true, workerData: { file: this.file, shown: this.shown }, stdout: false, stderr: false });
    this.worker = w;
    // An idle adapter does not keep the process alive; a pending call's deadline timer does.
    w.unref();
    return new Promise((resolve) => {
      let started = false;
      const timer = setTimeout(() => {
        if (started) return;
        this.fail('hang', `the module did not load within ${this.startTimeoutMs} ms (an endless loop at import?)`, 'load');
        resolve({ ok: false, code: 3, message: this.failure!.detail });
        void this.terminate();
      }, this.startTimeoutMs);
      w.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'hello') {
          started = true; clearTimeout(timer);
          this.name = String(m.name);
          this.variants = (m.variants as string[]) as VariantName[];
          resolve({ ok: true });
        } else if (m.type === 'load_error') {
          started = true; clearTimeout(timer);
          if (m.code === 3) this.fail('crashed', String(m.message), 'load');
          resolve({ ok: false, code: m.code === 3 ? 3 : 2, message: String(m.message) });
        } else this.onReply(m);
      });
      w.on('error', (e) => {
        this.fail('crashed', `uncaught in the module: ${(e?.message ?? String(e)).split('\n')[0]}`);
        if (!started) { started = true; clearTimeout(timer); resolve({ ok: false, code: 3, message: this.failure!.detail }); }
      });
      w.on('exit', (code) => {
        if (!this.closing) this.fail('exited', `the module ended its thread (process.exit(${code})?) before close`);
        if (!started) { started = true; clearTimeout(timer); resolve({ ok: false, code: 3, message: this.failure?.detail ?? `exited with ${code}` }); }
        for (const c of this.calls.values()) { clearTimeout(c.timer); c.reject(new ProtocolError(this.failure ?? { kind: 'exited', detail: 'the module thread ended' })); }
        this.calls.clear();
      });
    });
  }

  get failed(): ProtocolFailure | null { return this.failure; }

  private call(method: 'configure' | 'apply' | 'observe' | 'close', args: unknown[], summary: string): Promise<unknown> {
    if (this.failure) return Promise.reject(new ProtocolError(this.failure));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail('hang', `${method} did not settle within ${this.timeoutMs} ms (never settles, or an endless loop); the thread was stopped`, summary);
        void this.terminate();
      }, this.timeoutMs);
      this.calls.set(id, { method, summary, resolve, reject, timer });
      this.worker!.postMessage({ id, method, args });
    });
  }

  private onReply(m: Record<string, unknown>): void {
    const c = this.calls.get(m.id as number);
    if (!c) return;
    this.calls.delete(m.id as number);
    clearTimeout(c.timer);
    if (m.ok) c.resolve(m.value);
    else c.reject(new Error(`${this.name}: ${c.summary} threw: ${String(m.error)}`));
  }

  async configure(setup: Setup, variant: VariantName): Promise<void> {
    this.transcript = [];
    this.configured = { variant, setup };
    this.totals.configures++;
    await this.call('configure', [setup, variant], `configure ${variant}`);
  }

  async apply(op: Op): Promise<Result> {
    const entry: TranscriptEntry = { op };
    this.transcript.push(entry);
    this.totals.opsSent++;
    const v = await this.call('apply', [op], formatOp(op));
    const problem = resultProblem(v);
    if (problem) throw this.fail('malformed_response', `${this.name}: apply(${formatOp(op)}) returned a malformed result: ${problem}`, formatOp(op));
    entry.result = v as Result;
    this.totals.opsAnswered++;
    return v as Result;
  }

  async observe(probes: readonly DmaProbe[]): Promise<Observation> {
    const v = await this.call('observe', [probes], 'observe');
    const problem = observationProblem(v, probes);
    if (problem) throw this.fail('malformed_response', `${this.name}: observe() returned a malformed observation: ${problem}`, 'observe');
    return v as Observation;
  }

  /** Call the module's close (if any) under the deadline, then stop the thread. A close that throws is recorded. */
  async close(): Promise<void> {
    if (this.worker === null) return;
    if (this.failure === null) {
      try { await this.call('close', [], 'close'); } catch (e) {
        if (this.failure === null) this.fail('impl_error', `close() threw: ${(e as Error).message.split('\n')[0]}`, 'close');
      }
    }
    await this.terminate();
  }

  private async terminate(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    if (w) await w.terminate().catch(() => undefined);
  }

  report(): ExecReport {
    return {
      command: ['module', this.file], name: this.name, pid: null, failure: this.failure, configured: this.configured,
      transcript: this.transcript.map((e) => ({ ...e })), totals: { ...this.totals }, stderr: '', stderrDropped: false, lines: [],
      exitAfterShutdown: null,
    };
  }

  private fail(kind: FailureKind, detail: string, summary?: string): ProtocolError {
    if (this.failure === null) {
      this.failure = summary ? { kind, detail, request: { id: this.nextId - 1, summary } } : { kind, detail };
      for (const c of this.calls.values()) { clearTimeout(c.timer); c.reject(new ProtocolError(this.failure)); }
      this.calls.clear();
    }
    return new ProtocolError(this.failure);
  }
}
