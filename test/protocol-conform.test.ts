/**
 * `svacheck conform` end to end on real fixtures: the C example conforms (exit 0), the planted
 * v1 reuse bug is caught with a shrunk litmus trace that replays (exit 1), misbehaving
 * implementations end with exit 3 and the partial report, bad usage is exit 2.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { buildCExample } from '../conformance/protocol/index.ts';

const build = buildCExample();
if (!build.ok && build.noCompiler) console.warn(`SKIPPED test/protocol-conform.test.ts: ${build.reason}`);
const suite = build.ok || !build.noCompiler ? describe : describe.skip;

async function conform(...args: string[]) {
  const io = bufferIo();
  const code = await main(['conform', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

suite('svacheck conform', () => {
  it('the C example conforms: exit 0, every litmus file Ok, random runs ok', async () => {
    const r = await conform('--impl', 'exec:examples/c/build/sva-v2', '--runs', '25', '--seed', '11');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('svacheck conform: sva-c (examples/c) (exec:examples/c/build/sva-v2)');
    expect(r.out).toMatch(/^v2: +\d+ Ok, 0 No, 0 Malformed/m);
    expect(r.out).toMatch(/^Rule coverage: \d+ of \d+ API rules/m);
    for (const v of ['v2', 'v1', 'upstream']) expect(r.out).toMatch(new RegExp(`^  ${v} on the seed setup: 25 runs, \\d+ ops checked, \\d+ ms - ok$`, 'm'));
    expect(r.out).toContain('Verdict: all checks held (exit 0)');
  });

  it('by default each random run goes out ahead in batch lines, --no-pipeline one op per line; either way observes carry digests (PROTOCOL.md §8, §12)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-pipeline-'));
    const sent = async (...extra: string[]) => {
      const log = path.join(dir, `in${extra.length}.jsonl`);
      const r = await conform('--impl', `exec:sh -c 'tee ${log} | examples/c/build/sva-v2'`, '--variant', 'v2', '--no-library', '--runs', '20', '--seed', '11', ...extra);
      expect(r.code, r.out + r.err).toBe(0);
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; requests?: { type: string; digest?: string }[]; digest?: string });
    };
    const opsPerLine = (msgs: Awaited<ReturnType<typeof sent>>) => Math.max(...msgs.map((m) => (m.type === 'batch' ? m.requests!.filter((q) => q.type === 'op').length : m.type === 'op' ? 1 : 0)));
    const digests = (msgs: Awaited<ReturnType<typeof sent>>) => msgs.flatMap((m) => m.requests ?? [m]).filter((q) => q.type === 'observe' && typeof q.digest === 'string').length;
    const pipelined = await sent(), plain = await sent('--no-pipeline');
    expect(opsPerLine(pipelined)).toBeGreaterThan(1);
    expect(opsPerLine(plain)).toBe(1);
    expect(digests(pipelined)).toBeGreaterThan(20);
    expect(digests(plain)).toBeGreaterThan(20);
  });

  it('the planted v1 reuse bug: exit 1, a shrunk litmus file that replays the failure', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'svacheck-conform-'));
    const r = await conform('--impl', 'exec:examples/c/build/sva-v2-planted', '--variant', 'v2', '--runs', '100', '--seed', '7', '--out', out);
    expect(r.code).toBe(1);
    // The bundled scenario for the bug fails, and so does a random run.
    expect(r.out).toMatch(/^No +v2 +v1-reuse-bug$/m);
    expect(r.out).toMatch(/v2 on the seed setup: .* - FAILED \(result\): step \d+ \(bind_pasid .*\): spec \d, impl ENOSPC/);
    // The scenario's failure is printed once, naming the rules the spec decided by.
    expect(r.out.match(/v1-reuse-bug\.litmus\.yaml:\d+: step 3:/g)).toHaveLength(1);
    expect(r.out).toContain('  explain it: npx svacheck replay v1-reuse-bug --variant v2');
    expect(r.out).toMatch(/gives ENOSPC\s+where\s+the\s+spec\s+gives\s+2\s+by\s+rules\s+S5-new,\s+V4;\s+later/);
    expect(r.out).toMatch(/^ {4}the spec decides step \d+ by [\w-]+(, [\w-]+)* \(npx svacheck rules [\w-]+ explains a rule\)$/m);
    expect(r.out).toMatch(/^ {4}explain it: +npx svacheck replay \S+ --variant v2$/m);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    const text = readFileSync(path.join(out, files[0]), 'utf8');
    // Shrunk: bind_pasid, unbind, bind_pasid with another PASID — the bug and nothing else.
    const ops = text.split('\n').filter((l) => /^ {2}- /.test(l)).map((l) => l.trim().split(':')[0].slice(2));
    expect(ops).toEqual(['bind_pasid', 'unbind', 'bind_pasid']);
    expect(text).toMatch(/^# replay: npx svacheck conform --impl exec:examples\/c\/build\/sva-v2-planted --variant v2 --no-library --seed 7 --path \S+ --runs 100 --max-steps 100$/m);
    const replay = r.out.match(/replay the file: +npx svacheck conform (.*)$/m)?.[1].split(' ');
    expect(replay).toBeDefined();
    const again = await conform(...replay!.slice(0));
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^No +v2 +conform-sva-c/m);
    // The same file passes on the correct build: the trace pins down the bug.
    const correct = await conform('--impl', 'exec:examples/c/build/sva-v2', '--variant', 'v2', '--no-library', '--runs', '0', '--litmus', path.join(out, files[0]));
    expect(correct.code).toBe(0);
  });

  const broken: [string, string[], RegExp][] = [
    ['crash', ['exec:node conformance/protocol/fixtures/crash.mjs 30'], /crashed: the implementation crashed\n +killed by SIGSEGV/],
    ['hang', ['exec:node conformance/protocol/fixtures/hang.mjs 30', '--timeout', '800'], /hang: the implementation hung\n +no response within 800 ms/],
    ['garbage', ['exec:node conformance/protocol/fixtures/garbage.mjs 30'], /not_json: a stdout line is not JSON/],
    ['out-of-order', ['exec:node conformance/protocol/fixtures/out-of-order.mjs 30'], /wrong_id: a response out of order/],
  ];
  for (const [name, impl, failure] of broken) {
    it(`${name} mid-run: exit 3 with the partial report`, async () => {
      const r = await conform('--impl', ...impl, '--variant', 'v2', '--seed', '5');
      expect(r.code).toBe(3);
      expect(r.out).toContain('The implementation broke:');
      expect(r.out).toMatch(failure);
      // How far it got: 30 answers came back before the misbehaviour, and the transcript shows the last ones.
      expect(r.out).toMatch(/progress: \d+ configures?, 31 ops sent, 30 answered/);
      expect(r.out).toMatch(/\d+\. .* -> \(no answer\)$/m);
      expect(r.out).toContain('Verdict: the implementation under test broke (exit 3)');
    });
  }

  it('wrong protocol version: exit 3 before the first check, with the report', async () => {
    const r = await conform('--impl', 'exec:node conformance/protocol/fixtures/wrong-version.mjs');
    expect(r.code).toBe(3);
    expect(r.out).toContain('wrong_version: wrong protocol version');
    expect(r.out).toContain('the implementation speaks protocol 2; this runner speaks 1');
  });

  it('--json: the stable machine form, with the failure and the transcript', async () => {
    const r = await conform('--impl', 'exec:node conformance/protocol/fixtures/crash.mjs 3', '--variant', 'v2', '--no-library', '--seed', '5', '--json');
    expect(r.code).toBe(3);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ version: 1, exit: 3, broke: { failure: { kind: 'crashed' }, totals: { opsAnswered: 3 } } });
    expect(j.broke.transcript.at(-1).result).toBeNull();
  });

  const usage: [string[], RegExp][] = [
    [[], /--impl is required/],
    [['--impl', 'exec:node "x'], /column 11: unterminated double quote/],
    [['--impl', './no-such-module.ts'], /cannot load the module/],
    [['--impl', 'exec:examples/c/build/sva-v2', '--variant', 'per-device'], /sva-c \(examples\/c\) does not implement per-device \(it implements: v2, v1, upstream\)/],
    [['--impl', 'builtin', '--runs', '-1'], /--runs must be an integer in 0\.\.1000000/],
    [['--impl', 'builtin', '--config', 'no-such.yaml'], /--config: .*no-such.yaml: cannot read/],
    [['--impl', 'builtin', '--litmus', 'no/such/dir'], /--litmus: no such file or directory: no\/such\/dir/],
    [['--impl', 'builtin', '--pipeline', '--no-pipeline'], /--pipeline and --no-pipeline contradict each other/],
  ];
  for (const [args, message] of usage) {
    it(`usage error: ${args.join(' ') || '(no arguments)'} → exit 2`, async () => {
      const r = await conform(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);             // no stack trace
    });
  }

  it('builtin and a module path are accepted as implementations', async () => {
    const b = await conform('--impl', 'builtin', '--variant', 'v2', '--runs', '5', '--seed', '1', '--no-library');
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/v2 on the seed setup: 5 runs/);
    const m = await conform('--impl', 'conformance/protocol/fixtures/module-adapter.ts', '--variant', 'v1', '--runs', '5', '--seed', '1', '--no-library');
    expect(m.err).toBe('');
    expect(m.code).toBe(0);
    expect(m.out).toContain('svacheck conform: builtin-from-module');
  });
});
