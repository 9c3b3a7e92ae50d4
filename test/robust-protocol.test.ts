// Issue 11, the exec: protocol's edges: framing in linear time with a line cap of its own
// failure kind, and descendants that leave the process group (setsid) are killed too.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openExecAdapter, ProtocolError } from '../conformance/protocol/index.ts';
import { SEED_SETUP } from '../vocab/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-protocol-'));
const HELLO = '{"id":0,"hello":{"name":"t","protocol":1,"variants":["v2"],"ops":["bind","unbind","get_pasid","bind_pasid","mm_exit"]}}';

/** A node program speaking just enough protocol: hello, then `after(req)` for every other request. */
function program(name: string, after: string): string {
  const f = path.join(dir, `${name}.mjs`);
  writeFileSync(f, `import { createInterface } from 'node:readline';
const rl = createInterface({ input: process.stdin });
let first = true;
rl.on('line', (line) => {
  const req = JSON.parse(line);
  if (first) { first = false; process.stdout.write(${JSON.stringify(HELLO)} + '\\n'); return; }
  ${after}
});
`);
  return `exec:node ${f}`;
}

async function firstFailure(spec: string, options = {}) {
  const o = await openExecAdapter(spec, { requestTimeoutMs: 20_000, ...options });
  if (!o.ok) return o.failure;
  try {
    await o.adapter.configure(SEED_SETUP, 'v2');
    return null;
  } catch (e) {
    return e instanceof ProtocolError ? e.failure : null;
  } finally { await o.adapter.close(); }
}

describe('protocol framing', () => {
  it('a 50 MB line without a newline is line_too_long at once, not a hang after 20 s', async () => {
    const spec = program('huge-line', `const chunk = 'x'.repeat(1 << 20); for (let i = 0; i < 50; i++) process.stdout.write(chunk);`);
    const started = Date.now();
    const f = await firstFailure(spec);
    expect(f?.kind).toBe('line_too_long');
    expect(f?.detail).toMatch(/longer than 16777216 characters/);
    expect(Date.now() - started).toBeLessThan(15_000);             // generous: the deadline is 20 s
  });

  it('a long valid line is framed in linear time (10 MB answer in 64 KiB chunks), new input', async () => {
    const spec = program('long-ok', `process.stdout.write(JSON.stringify({ id: req.id, result: 'ok', pad: 'y'.repeat(10 << 20) }) + '\\n');`);
    const f = await firstFailure(spec);
    expect(f).toBeNull();
  });

  it('the line cap is an option: a 2 KiB line beyond a 1 KiB cap, new input', async () => {
    const spec = program('two-k', `process.stdout.write(JSON.stringify({ id: req.id, result: 'ok', pad: 'z'.repeat(2048) }) + '\\n');`);
    const f = await firstFailure(spec, { maxLineLength: 1024 });
    expect(f?.kind).toBe('line_too_long');
  });
});

describe('process cleanup', () => {
  const alive = (pid: number): boolean => {
    if (!existsSync(`/proc/${pid}/stat`)) return false;
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[0];
    return state !== 'Z';
  };
  const waitGone = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    return !alive(pid);
  };

  it.skipIf(!existsSync('/proc/self/environ'))('a grandchild that calls setsid() is killed with the run', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // detached: true makes the grandchild call setsid(): a new session and process group.
    const spec = program('setsid-grandchild', `
      import('node:child_process').then(({ spawn }) => {
        const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
        g.unref();
        import('node:fs').then(({ writeFileSync }) => { writeFileSync(${JSON.stringify(pidFile)}, String(g.pid)); process.stdout.write(JSON.stringify({ id: req.id, result: 'ok' }) + '\\n'); });
      });`);
    const o = await openExecAdapter(spec, { requestTimeoutMs: 5_000 });
    if (!o.ok) throw new Error('open failed');
    await o.adapter.configure(SEED_SETUP, 'v2');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    await o.adapter.close();
    expect(await waitGone(pid)).toBe(true);
  });
});
