// Issue 11, output safety and signals: --out is checked before a run, writes are atomic with
// names unique per run, a failed write never loses the printed report, and SIGINT/SIGTERM end
// check, walk, diff and conform with the partial results, "interrupted", the seed and the
// command to run again, exit 130/143.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { raiseSignal } from '../cli/interrupt.ts';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { OutDir } from '../cli/out.ts';
import { renderExecReport } from '../conformance/protocol/index.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/svacheck.mjs');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'svacheck-out-'));
async function run(argv: string[], cwd?: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}
const big = (): string => {
  const f = path.join(tmp(), 'big.yaml');
  writeFileSync(f, `name: big\ndevices:\n${Array.from({ length: 12 }, (_, i) => `  d${i}: { ssid_bits: 2 }\n`).join('')}processes: 3\n`);
  return f;
};

describe('--out is usable before the run starts', () => {
  it.each([
    ['a file', (d: string) => { const f = path.join(d, 'file'); writeFileSync(f, 'x'); return f; }, /exists and is not a directory/],
    ['a directory under a file', (d: string) => { const f = path.join(d, 'file'); writeFileSync(f, 'x'); return path.join(f, 'sub'); }, /cannot create the directory/],
  ])('%s: exit 2 at once, for check, diff, walk, conform and mutants', async (_what, make, message) => {
    const out = make(tmp());
    for (const argv of [['check', '--config', big(), '--out', out], ['diff', 'v1', 'v2', '--config', big(), '--out', out], ['walk', '--config', big(), '--out', out, '--walks', '100000'], ['conform', '--impl', 'builtin', '--runs', '1000', '--out', out], ['mutants', '--litmus-dir', out]]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });

  it('two configurations with one name write two files, not one over the other', async () => {
    const d = tmp(), out = path.join(d, 'out');
    const cfg = (f: string, procs: number) => { writeFileSync(path.join(d, f), `name: same\ndevices:\n  accel: { ssid_bits: 2 }\n  dsp: { ssid_bits: 1 }\nprocesses: ${procs}\nvariants: [per-device]\nexpect: { per-device: [enqcmdPasidIsGlobalAndMeansItsMm] }\n`); return path.join(d, f); };
    const r = await run(['check', '--config', cfg('a.yaml', 2), '--config', cfg('b.yaml', 3), '--out', out]);
    expect(r.code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files.filter((f) => f.startsWith('same-per-device-enqcmd'))).toEqual(['same-per-device-enqcmdPasidIsGlobalAndMeansItsMm-2.litmus.yaml', 'same-per-device-enqcmdPasidIsGlobalAndMeansItsMm.litmus.yaml']);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    const written = [...r.out.matchAll(/Written: (\S+)/g)].map((m) => m[1]);
    expect(new Set(written).size).toBe(written.length);               // each "Written:" path is its own file
  });

  it('walks of two seeds into one directory keep both files (the seed is in the name)', async () => {
    const out = tmp();
    for (const seed of ['1', '2']) expect((await run(['walk', 'twins', '--variant', 'per-device', '--seed', seed, '--walks', '40', '--out', out])).code).toBe(0);
    const files = readdirSync(out);
    expect(files.some((f) => f.includes('-seed1-'))).toBe(true);
    expect(files.some((f) => f.includes('-seed2-'))).toBe(true);
  });

  it('a write that fails is reported and its content kept (new input: the directory vanishes mid-run)', () => {
    const d = tmp();
    const o = OutDir.prepare(path.join(d, 'x'), d);
    expect(o.write('a', 'one\n')).toMatch(/a\.litmus\.yaml$/);
    expect(o.write('a', 'two\n')).toMatch(/a-2\.litmus\.yaml$/);
    rmSync(path.join(d, 'x'), { recursive: true });
    expect(o.write('b', 'three\n')).toBeNull();
    expect(o.failureLines('check')).toEqual([expect.stringMatching(/cannot write .*b\.litmus\.yaml \(ENOENT\); its content is printed above instead/)]);
  });
});

describe('signals: partial results, "interrupted", exit 130/143', () => {
  afterEach(() => raiseSignal(null));

  it('in process: each searching command stops at its next check and says so', async () => {
    raiseSignal('SIGINT');
    const c = await run(['check', 'twins', '--variant', 'v2']);
    expect(c.code).toBe(130);
    expect(c.out).toContain('Not run: twins/v2.');
    expect(c.out).toContain('Run it again: svacheck check twins --variant v2');
    raiseSignal('SIGTERM');
    const d = await run(['diff', 'v1', 'v2', 'twins']);
    expect(d.code).toBe(143);
    expect(d.out).toContain('NOT EXHAUSTIVE: stopped by a signal (interrupted)');
    expect(d.out).toContain('INTERRUPTED by SIGTERM');
    const w = await run(['walk', 'twins', '--variant', 'v2', '--json']);
    expect(w.code).toBe(143);
    expect(JSON.parse(w.out)).toMatchObject({ exit: 143, interrupted: 'SIGTERM', notRun: ['v2'] });
  });

  /** Run bin/svacheck.mjs, send `sig` after `afterMs`, and collect what it printed. */
  function interruptCli(argv: string[], sig: NodeJS.Signals, afterMs: number): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { err += c; });
      const t = setTimeout(() => child.kill(sig), afterMs);
      const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => { clearTimeout(t); clearTimeout(deadline); resolve({ code, out, err }); });
    });
  }

  it('check on a large space, SIGINT: the partial statistics, "interrupted", the command again; exit 130', async () => {
    const r = await interruptCli(['check', '--config', big(), '--variant', 'v2'], 'SIGINT', 2500);
    expect(r.code).toBe(130);
    expect(r.out).toContain('INTERRUPTED by SIGINT');
    expect(r.out).toMatch(/Run it again: svacheck check --config \S+big\.yaml --variant v2/);
    if (r.out.includes('== check')) expect(r.out).toMatch(/distinct states[\s\S]*NOT EXHAUSTIVE: stopped by a signal \(interrupted\)/);
  });

  it('walk, SIGTERM: the seed and the replay command; exit 143', async () => {
    const r = await interruptCli(['walk', '--config', big(), '--variant', 'v2', '--walks', '10000000', '--length', '200'], 'SIGTERM', 2500);
    expect(r.code).toBe(143);
    expect(r.out).toMatch(/Run it again: svacheck walk .* --seed \d+/);
    expect(r.out).toContain('INTERRUPTED by SIGTERM');
  });

  it('conform, SIGINT: what ran, the seed, exit 130; the implementation is not blamed', async () => {
    const r = await interruptCli(['conform', '--impl', 'builtin', '--runs', '1000000', '--no-library'], 'SIGINT', 3000);
    expect(r.code).toBe(130);
    expect(r.out).toMatch(/Run it again: svacheck conform --impl builtin --runs 1000000 --no-library --seed -?\d+/);
    expect(r.out).not.toContain('the implementation under test broke');
  });
});

describe('a second signal ends at once, and takes the implementation with it', () => {
  it.skipIf(!existsSync('/proc/self/environ'))('conform on an exec: implementation that never answers: SIGINT twice, exit 130, no process left', async () => {
    const d = tmp(), pidFile = path.join(d, 'impl.pid');
    const prog = path.join(d, 'stuck.mjs');
    writeFileSync(prog, `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
process.stdin.once('data', () => process.stdout.write('{"id":0,"hello":{"name":"stuck","protocol":1,"variants":["v2"],"ops":["bind","unbind"]}}\\n'));
setInterval(() => {}, 1000);
`);
    const child = spawn(process.execPath, [BIN, 'conform', '--impl', `exec:node ${prog}`, '--timeout', '600000', '--no-library', '--runs', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const implPid = Number(readFileSync(pidFile, 'utf8'));
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', (c) => resolve(c));
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 300);
      setTimeout(() => child.kill('SIGKILL'), 30_000);
    });
    expect(code).toBe(130);
    expect(err).toContain('SIGINT again: stopping now');
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) { try { process.kill(implPid, 0); await new Promise((r) => setTimeout(r, 50)); } catch { gone = true; } }
    expect(gone).toBe(true);
  });

  it("an exec: implementation's name and stderr reach the terminal escaped", () => {
    const lines = renderExecReport({
      command: ['x'], name: 'bad\u001b]0;title\u0007name', pid: 1, failure: null, configured: null, transcript: [],
      totals: { configures: 0, opsSent: 0, opsAnswered: 0 }, stderr: 'line\r\u001b[2Kover\n', stderrDropped: false, lines: [], exitAfterShutdown: null,
    });
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(lines[0]).toContain('bad\\u001b]0;title\\u0007name');
  });
});
