// Issue 11, false passes and adapter crashes: an implementation that announces nothing usable,
// dies, hangs, loops, throws from a timer or returns garbage never yields "held" nor a raw
// stack trace; module adapters get the same deadline and validation as exec: ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { buildCExample } from '../conformance/protocol/index.ts';

const IMPL = path.resolve(import.meta.dirname, '../impl/index.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-modules-'));

/** A module adapter: the builtin implementation with `body` spliced into a wrapper. */
function moduleFixture(name: string, body: string): string {
  const f = path.join(dir, `${name}.mts`);
  writeFileSync(f, `import { createBuiltinAdapter } from ${JSON.stringify(IMPL)};
const inner = createBuiltinAdapter();
let n = 0;
const adapter = {
  contractVersion: 1, name: inner.name, variants: inner.variants,
  configure: (s: any, v: any) => inner.configure(s, v),
  apply: (op: any) => inner.apply(op),
  observe: (p: any) => inner.observe(p),
  close: () => {},
};
${body}
export default adapter;
`);
  return f;
}

async function conform(...args: string[]) {
  const io = bufferIo();
  const code = await main(['conform', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}
const QUICK = ['--variant', 'v2', '--runs', '5', '--seed', '3', '--no-library', '--timeout', '1500'];

describe('module adapters run under a deadline, validated like exec: responses', () => {
  it.each([
    ['apply never settles', 'adapter.apply = (op: any) => (++n > 3 ? new Promise(() => {}) : inner.apply(op));', /hang|did not settle/],
    ['apply loops forever', 'adapter.apply = (op: any) => { if (++n > 3) for (;;) {} return inner.apply(op); };', /did not settle/],
    ['a timer throws', "adapter.apply = (op: any) => { if (++n === 3) setTimeout(() => { throw new Error('boom from a timer'); }); return inner.apply(op); };", /boom from a timer/],
    ['an unhandled rejection', "adapter.apply = (op: any) => { if (++n === 3) Promise.reject(new Error('nobody catches me')); return inner.apply(op); };", /nobody catches me/],
    ['process.exit(0) mid-run', 'adapter.apply = (op: any) => { if (++n > 3) process.exit(0); return inner.apply(op); };', /ended its thread|exited/],
    ['apply returns undefined', 'adapter.apply = (op: any) => (++n > 3 ? undefined : inner.apply(op)) as any;', /apply\(.*returned a malformed result/],
    ['apply returns {kind: pasid, pasid: "one"}', "adapter.apply = (op: any) => (++n > 3 ? { kind: 'pasid', pasid: 'one' } : inner.apply(op)) as any;", /pasid must be an integer/],
    ['apply returns an unknown errno (new input)', "adapter.apply = (op: any) => (++n > 3 ? { kind: 'errno', errno: 'EWHATEVER' } : inner.apply(op)) as any;", /unknown errno/],
    ['observe returns null (new input)', 'adapter.observe = () => null as any;', /malformed observation/],
    ['the module loops at import (new input)', 'for (;;) {}', /did not load within/],
  ])('%s: exit 3, naming the failure, never a stack trace', async (name, body, message) => {
    const f = moduleFixture(name.replace(/\W+/g, '-'), body);
    const r = await conform('--impl', f, ...QUICK);
    expect(r.code).toBe(3);
    expect(r.out + r.err).toMatch(message);
    expect(r.out + r.err).not.toMatch(/^\s+at /m);                    // no stack trace
    expect(r.out).not.toContain('all checks held');
  });

  it('a close() that throws is reported before any verdict is printed (exit 3)', async () => {
    const f = moduleFixture('close-throws', "adapter.close = () => { throw new Error('close went wrong'); };");
    const r = await conform('--impl', f, ...QUICK);
    expect(r.code).toBe(3);
    expect(r.out).toContain('The implementation broke at close(): ');
    expect(r.out).toContain('close went wrong');
    expect(r.out).not.toContain('exit 0');
  });

  it.each([
    ['variants: []', 'adapter.variants = [];'],
    ['only unknown variants', "adapter.variants = ['v9', 'linux-7'] as any;"],
  ])('an implementation announcing %s: exit 2, nothing would be checked', async (_what, body) => {
    const f = moduleFixture(`variants-${_what.replace(/\W+/g, '')}`, body);
    const r = await conform('--impl', f, '--runs', '3', '--seed', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/announces no variant svacheck knows.*nothing would be checked/);
  });

  it('zero random runs and no litmus file check nothing: exit 2, said loudly (new input)', async () => {
    const r = await conform('--impl', 'builtin', '--variant', 'v2', '--runs', '0', '--no-library');
    expect(r.code).toBe(2);
    expect(r.out).toContain('NOTHING WAS CHECKED');
  });

  it("control characters in an implementation's name are shown escaped", async () => {
    const f = moduleFixture('ctrl-name', "adapter.name = 'evil\\u001b[2J\\rname\\u0007';");
    const r = await conform('--impl', f, ...QUICK);
    expect(r.code).toBe(0);
    expect(r.out).toContain('evil\\u001b[2J\\u000dname\\u0007');
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('a bad --path is bad input (exit 2), malformed or not of this seed', async () => {
    for (const p of ['x:y', '5:3:999999']) {
      const r = await conform('--impl', 'builtin', '--variant', 'v2', '--runs', '3', '--seed', '1', '--no-library', '--path', p);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--path');
    }
  });
});

const build = buildCExample();
const suite = build.ok || !build.noCompiler ? describe : describe.skip;

suite('exec: implementations', () => {
  const fixture = (name: string, source: string): string => {
    const f = path.join(dir, `${name}.mjs`);
    writeFileSync(f, `import { proxy } from ${JSON.stringify(path.resolve(import.meta.dirname, '../conformance/protocol/fixtures/proxy.mjs'))};\n${source}`);
    return `exec:node ${f}`;
  };

  it('the runner never sends an op hello.ops did not announce: files using it are not run, random runs skip it', async () => {
    // Announces everything but dma and enqcmd_pasid; dies (exit 9) if one arrives anyway.
    const spec = fixture('no-dma', `
proxy({
  request: (req) => { const ops = req?.type === 'batch' ? req.requests : [req]; if (ops.some((r) => r?.op === 'dma' || r?.op === 'enqcmd_pasid')) process.exit(9); },
  response: (line, req) => (req?.type === 'hello' ? line.replace(/"dma",?|"enqcmd_pasid",?/g, '').replace(',]', ']') : line),
});`);
    const r = await conform('--impl', spec, '--variant', 'v2', '--runs', '20', '--seed', '5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Litmus files not run: they use operations the implementation does not announce \(\d+\)/);
    expect(r.out).toMatch(/: (dma|enqcmd_pasid)/);
    expect(r.out).toMatch(/v2 on the seed setup: 20 runs, [1-9]\d* ops checked/);
  });

  it('hello with variants: [] is exit 2, not a pass', async () => {
    const spec = fixture('no-variants', `proxy({ response: (line, req) => (req?.type === 'hello' ? line.replace(/"variants":\\[[^\\]]*\\]/, '"variants":[]') : line) });`);
    const r = await conform('--impl', spec, '--runs', '3', '--seed', '1');
    expect(r.code).toBe(2);
    expect(r.err).toContain('nothing would be checked');
  });

  it('a non-zero exit after shutdown is shown (and is not a failure)', async () => {
    const spec = fixture('exit-4-after-shutdown', `proxy({ response: (line, req) => { if (req?.type !== 'shutdown') return line; process.stdout.write(line + '\\n', () => process.exit(4)); return null; } });`);
    const r = await conform('--impl', spec, '--variant', 'v2', '--runs', '3', '--seed', '1', '--no-library');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Note: after shutdown the implementation exited with status 4');
  });
});

describe('a file that does not run the variant asked checks nothing: exit 2', () => {
  const sticky = 'litmus/v2-sticky-global-mode.litmus.yaml';                    // runs v1, v2, per-device
  it('litmus FILE --variant upstream', async () => {
    const io = bufferIo();
    expect(await main(['litmus', sticky, '--variant', 'upstream'], io)).toBe(2);
    expect(io.stderr).toContain('nothing was checked: no file given runs upstream');
  });
  it('replay FILE --variant upstream', async () => {
    const io = bufferIo();
    expect(await main(['replay', sticky, '--variant', 'upstream'], io)).toBe(2);
    expect(io.stderr).toContain('nothing to replay: the file does not run upstream (it runs: v1, v2, per-device)');
  });
  it('new input: a directory where some files run the variant still runs those (exit 0)', async () => {
    const io = bufferIo();
    expect(await main(['litmus', 'litmus', '--variant', 'upstream'], io)).toBe(0);
    expect(io.stdout).toMatch(/upstream: +[1-9]\d* Ok, 0 No/);
  });
});
