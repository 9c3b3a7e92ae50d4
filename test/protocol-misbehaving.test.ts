/**
 * Misbehaving implementations (conformance/protocol/fixtures): each is correct for two
 * operations, then misbehaves. The adapter must name the failure kind with a clear message,
 * keep the partial transcript (the two answered ops), and leave no process behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCExample, describeFailure, FAILURE_INFO, openExecAdapter, ProtocolError, renderExecReport, type ExecAdapter, type FailureKind } from '../conformance/protocol/index.ts';
import { formatResult, SEED_SETUP, type Op } from '../vocab/index.ts';

const build = buildCExample();
if (!build.ok && build.noCompiler) console.warn(`SKIPPED test/protocol-misbehaving.test.ts: ${build.reason}`);
const suite = build.ok || !build.noCompiler ? describe : describe.skip;

const fixture = (name: string, ...args: string[]) => `exec:node conformance/protocol/fixtures/${name}.mjs ${args.join(' ')}`;
const OPS: readonly Op[] = [
  { op: 'bind', dev: 'accel', mm: 'A', as: 'h1' },
  { op: 'get_pasid', handle: 'h1' },
  { op: 'dma', dev: 'accel', pasid: 1 },
  { op: 'unbind', handle: 'h1' },
];

/**
 * Whether a live (not zombie) process of the group led by pid remains, waiting up to 2 s for
 * the group to go. Zombies are dead: reaping orphans is PID 1's business, not the runner's.
 */
async function groupAlive(pid: number): Promise<boolean> {
  const members = (): string[] => {
    if (!existsSync('/proc/self/stat')) { try { process.kill(-pid, 0); return ['?']; } catch { return []; } }
    const out: string[] = [];
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try { stat = readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pid && state !== 'Z') out.push(p);
    }
    return out;
  };
  for (let i = 0; i < 40; i++) {
    if (members().length === 0) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const opened: ExecAdapter[] = [];
afterEach(async () => { for (const a of opened.splice(0)) await a.close(); });

/** Run OPS until the adapter rejects; returns what was answered and the error. */
async function runUntilFailure(spec: string, options = {}) {
  const o = await openExecAdapter(spec, { requestTimeoutMs: 1500, ...options });
  if (!o.ok) throw new Error(`open failed: ${o.failure?.kind}`);
  const a = o.adapter;
  opened.push(a);
  await a.configure(SEED_SETUP, 'v2');
  const answered: string[] = [];
  let error: unknown = null;
  for (const op of OPS) {
    try { answered.push(formatResult(await a.apply(op))); } catch (e) { error = e; break; }
  }
  await a.close();
  return { a, answered, error, report: a.report() };
}

suite('a misbehaving implementation is reported, not fatal', () => {
  const midRun: [string, FailureKind, RegExp][] = [
    ['crash', 'crashed', /killed by SIGSEGV/],
    ['exit', 'exited', /exited with status 3/],
    ['hang', 'hang', /no response within 1500 ms/],
    ['garbage', 'not_json', /"debug: walking CD table for ssid 1"/],
    ['out-of-order', 'wrong_id', /expected the answer to request #\d+ \(dma \{dev: accel, pasid: 1\}\), got id \d+/],
    ['bad-result', 'malformed_response', /unknown errno "EPERM"/],
  ];
  for (const [name, kind, detail] of midRun) {
    it(`${name}: ${kind}, with the partial transcript kept`, async () => {
      const { a, answered, error, report } = await runUntilFailure(fixture(name, '2'));
      expect(error).toBeInstanceOf(ProtocolError);
      const failure = (error as ProtocolError).failure;
      expect(failure.kind).toBe(kind);
      expect(failure.detail).toMatch(detail);
      expect(failure.request?.summary).toBe('dma {dev: accel, pasid: 1}');
      // The two answers gathered before the misbehaviour are kept, the third has none.
      expect(answered).toEqual(['1', '1']);
      expect(report.transcript.map((e) => e.result && formatResult(e.result))).toEqual(['1', '1', undefined]);
      expect(report.totals).toMatchObject({ opsSent: 3, opsAnswered: 2 });
      const text = renderExecReport(report).join('\n');
      expect(text).toContain(`${kind}: ${FAILURE_INFO[kind].title}`);
      expect(text).toContain('3. dma {dev: accel, pasid: 1} -> (no answer)');
      // Every later call fails the same way, without touching the dead process (no EPIPE).
      await expect(a.apply(OPS[0])).rejects.toMatchObject({ failure: { kind } });
      expect(await groupAlive(report.pid!)).toBe(false);
    });
  }

  it('crash: the exit signal is in the report', async () => {
    const { report } = await runUntilFailure(fixture('crash', '2'));
    expect(report.failure?.exit).toMatchObject({ signal: 'SIGSEGV' });
    expect(describeFailure(report.failure!)).toContain('process killed by SIGSEGV');
  });

  it('hang: the runner kills the process group and says so', async () => {
    const { report } = await runUntilFailure(fixture('hang', '2'));
    expect(report.failure?.exit).toMatchObject({ signal: 'SIGKILL', byRunner: true });
    expect(describeFailure(report.failure!)).toContain('killed by the runner (SIGKILL)');
  });

  const handshake: [string, FailureKind, RegExp][] = [
    ['wrong-version', 'wrong_version', /speaks protocol 2; this runner speaks 1/],
    ['no-handshake', 'missing_handshake', /the first response must carry "hello"/],
  ];
  for (const [name, kind, detail] of handshake) {
    it(`${name}: ${kind} at open, with a report`, async () => {
      const o = await openExecAdapter(fixture(name));
      expect(o.ok).toBe(false);
      if (o.ok) return;
      expect(o.failure?.kind).toBe(kind);
      expect(o.failure?.detail).toMatch(detail);
      expect(o.report?.pid).toBeTypeOf('number');
      expect(await groupAlive(o.report!.pid!)).toBe(false);
    });
  }

  it('unsupported variant: refused before configure is sent', async () => {
    const o = await openExecAdapter(fixture('v1-only'));
    if (!o.ok) throw new Error('open failed');
    opened.push(o.adapter);
    await expect(o.adapter.configure(SEED_SETUP, 'v2')).rejects.toMatchObject({ failure: { kind: 'unsupported_variant', detail: 'variant v2 is not among those announced: v1' } });
  });

  it('per-device asked of the C example: unsupported_variant', async () => {
    const o = await openExecAdapter(`exec:${build.ok ? build.v2 : ''}`);
    if (!o.ok) throw new Error('open failed');
    opened.push(o.adapter);
    await expect(o.adapter.configure(SEED_SETUP, 'per-device')).rejects.toMatchObject({ failure: { kind: 'unsupported_variant' } });
  });

  it('a program that does not exist: spawn_failed', async () => {
    const o = await openExecAdapter('exec:./no/such/sva-impl --flag');
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.failure).toMatchObject({ kind: 'spawn_failed', detail: './no/such/sva-impl: no such file or program in PATH' });
  });

  it('a malformed exec spec is a usage error with a column', async () => {
    const o = await openExecAdapter('exec:node "fixture.mjs');
    expect(o).toMatchObject({ ok: false, failure: null, usage: '--impl exec:node "fixture.mjs: column 11: unterminated double quote' });
  });

  it('stderr chatter is captured and reported, not an error by default', async () => {
    const { answered, error, report } = await runUntilFailure(fixture('stderr-chatter'));
    expect(error).toBeNull();
    expect(answered).toEqual(['1', '1', 'A', 'ok']);
    expect(report.failure).toBeNull();
    expect(report.stderr).toContain('trace: got op #');
    expect(renderExecReport(report).join('\n')).toMatch(/stderr \(last \d+ of \d+ lines? kept\):\n {2}\| trace: got hello #0/);
  });

  it('stderr chatter with stderrIsError: stderr_output', async () => {
    const o = await openExecAdapter(fixture('stderr-chatter'), { stderrIsError: true });
    // The chatter starts with the hello: the failure may come at open or at the first call.
    const failure = o.ok ? await o.adapter.configure(SEED_SETUP, 'v2').then(() => o.adapter.apply(OPS[0])).then(() => null, (e: ProtocolError) => e.failure) : o.failure;
    if (o.ok) { opened.push(o.adapter); }
    expect(failure).toMatchObject({ kind: 'stderr_output' });
  });

  it('stderr is bounded: only the tail is kept', async () => {
    const { report } = await runUntilFailure(fixture('stderr-chatter'), { stderrLimit: 64 });
    expect(report.stderr.length).toBeLessThanOrEqual(64);
    expect(report.stderrDropped).toBe(true);
  });

  it('close() after a clean run: shutdown acknowledged, process gone, no failure', async () => {
    const { report } = await runUntilFailure(`exec:${build.ok ? build.v2 : ''}`);
    expect(report.failure).toBeNull();
    expect(report.exitAfterShutdown).toBeNull();
    expect(report.lines.at(-1)).toMatch(/^< \{"id":\d+,"result":"ok"\}$/);
    expect(await groupAlive(report.pid!)).toBe(false);
  });
});
