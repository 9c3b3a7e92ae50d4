// The JSON Schemas of the protocol messages (conformance/protocol/schema/), held to real
// traffic: every line the runner sent to the reference C implementation (examples/c) and every
// line it answered, recorded by tee in a conform run with random runs, litmus scenarios, a
// batch and error responses. And the schemas reject what PROTOCOL.md forbids.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAdapter } from '../check.ts';
import { bundledSources, runSources } from '../litmus/index.ts';
import { SEED_SETUP } from '../../vocab/index.ts';
import { buildCExample, openExecAdapter } from './index.ts';

const load = (f: string) => JSON.parse(readFileSync(new URL(`./schema/${f}`, import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const request = ajv.compile(load('request.schema.json'));
const response = ajv.compile(load('response.schema.json'));

const build = buildCExample();
if (!build.ok && build.noCompiler) console.warn(`SKIPPED conformance/protocol/schema.test.ts (real traffic): ${build.reason}`);
const withC = build.ok || !build.noCompiler ? describe : describe.skip;
const dir = mkdtempSync(join(tmpdir(), 'svacheck-traffic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const problems = (validate: typeof request, msgs: Record<string, unknown>[]) =>
  msgs.flatMap((m) => (validate(m) ? [] : [`${JSON.stringify(m).slice(0, 160)}: ${ajv.errorsText(validate.errors).slice(0, 300)}`]));

withC('protocol JSON Schemas against the traffic of examples/c', () => {
  it('every request and every response of a real run validates; every message type occurs', async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    if (!build.ok) return;
    const [inLog, outLog] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const o = await openExecAdapter(`exec:sh -c 'tee ${inLog} | ${build.v2} | tee ${outLog}'`, { batch: true });
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    const c = o.adapter;
    try {
      await runSources((await bundledSources()).slice(0, 12), ['v2', 'upstream'], { subject: c });
      const r = await checkAdapter(c, { variant: 'v2', setup: SEED_SETUP, runs: 5, seed: 3 });
      expect(r.ok, r.failure?.message).toBe(true);
      // Calls issued without awaiting go out as one batch.
      await c.configure(SEED_SETUP, 'v2');
      await Promise.all([c.apply({ op: 'alloc_global', dev: 'nic' }), c.apply({ op: 'dma', dev: 'nic', pasid: 1 }), c.observe([{ dev: 'nic', pasid: 1 }])]);
    } finally { await c.close(); }
    const sent = lines(inLog), got = lines(outLog);
    expect(problems(request, sent)).toEqual([]);
    expect(problems(response, got)).toEqual([]);
    expect(new Set(sent.map((m) => m.type))).toEqual(new Set(['hello', 'configure', 'op', 'observe', 'batch', 'shutdown']));
    for (const key of ['hello', 'result', 'observation', 'responses', 'digest']) expect(got.some((m) => key in m), key).toBe(true);
    expect(sent.some((m) => m.type === 'observe' && 'digest' in m), 'an observe with the expected digest (§12)').toBe(true);
  }, 60_000);

  it('error responses of the C implementation validate', () => {
    if (!build.ok) return;
    const input = [
      { id: 0, type: 'hello', protocol: 1, runner: 'test' },
      { id: 1, type: 'configure', variant: 'per-device', setup: { devices: [{ name: 'a', ssid_bits: 2, group: 'a', iommu: 'smmu0' }], iommus: [{ name: 'smmu0', asid_bits: 16, sva: true }], mms: ['A'] } },
      { id: 2, type: 'op', op: 'bind', dev: 'a', mm: 'A' },
      { id: 3, type: 'shutdown' },
    ].map((m) => JSON.stringify(m)).join('\n') + '\n';
    const run = spawnSync(build.v2, [], { input, encoding: 'utf8', timeout: 10_000 });
    const got = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.filter((m) => 'error' in m).length).toBeGreaterThanOrEqual(1);
    expect(problems(response, got)).toEqual([]);
  });
});

describe('protocol JSON Schemas: the optional capabilities of sections 11 and 12, as PROTOCOL.md shows them', () => {
  it('digest messages validate', () => {
    expect(request({ id: 12, type: 'observe', probes: [{ dev: 'accel', pasid: 1 }], digest: '3f0c1a2b4d5e6f70' }), ajv.errorsText(request.errors)).toBe(true);
    expect(response({ id: 12, digest: '3f0c1a2b4d5e6f70' }), ajv.errorsText(response.errors)).toBe(true);
    expect(request({ id: 14, type: 'observe', digest: '3f0c1a2b4d5e6f70' }), ajv.errorsText(request.errors)).toBe(true);
    const observation = { bonds: [], attaches: [], mms: [], global_pasids: [], dma: [{ dev: 'accel', pasid: 1, result: { fault: 'bad_cd' } }] };
    expect(response({ id: 12, observation, digest: '0123456789abcdef' }), ajv.errorsText(response.errors)).toBe(true);
    expect(response({ id: 20, responses: [{ id: 21, result: 'ok' }, { id: 22, digest: '3f0c1a2b4d5e6f70' }] }), ajv.errorsText(response.errors)).toBe(true);
  });

  it('fail_nth and leaks messages validate', () => {
    expect(request({ id: 30, type: 'op', op: 'bind', dev: 'accel', mm: 'A', as: 'h1', fail_nth: 3 }), ajv.errorsText(request.errors)).toBe(true);
    expect(request({ id: 41, type: 'leaks' })).toBe(true);
    expect(response({ id: 30, result: { errno: 'ENOMEM' }, calls: 3, injected: { site: 'iommu-sva.c:127 iommu_sva_bind_device_internal', point: 'handle' } }), ajv.errorsText(response.errors)).toBe(true);
    expect(response({ id: 41, leaks: { objects: 0, pasids: 0, asids: 0, cd_entries: 0, mm_refs: 0, list: [] } })).toBe(true);
    expect(response({ id: 0, hello: { name: 'x', protocol: 1, variants: ['v2'], ops: ['bind'], capabilities: { batch: 1, fail_nth: 1, leaks: 1 } } })).toBe(true);
  });
});

describe('protocol JSON Schemas reject what PROTOCOL.md forbids', () => {
  it.each([
    ['an unknown errno', { id: 1, result: { errno: 'EFOO' } }],
    ['two answers in one response', { id: 1, result: 'ok', error: { code: 'internal', message: 'x' } }],
    ['a result of two keys', { id: 1, result: { pasid: 1, mm: 'A' } }],
    ['an mm in an unknown state', { id: 1, observation: { bonds: [], attaches: [], mms: [{ mm: 'A', state: 'zombie', pasid: null, global: null, domains: [] }], global_pasids: [], dma: [] } }],
    ['an injected failure at an unknown point', { id: 1, result: { errno: 'ENOMEM' }, calls: 3, injected: { site: 'x.c:1 f', point: 'somewhere' } }],
    ['a leaks answer without its counts', { id: 1, leaks: { list: [] } }],
    ['a digest that is not 16 lowercase hex digits', { id: 1, digest: '3F0C1A2B4D5E6F70' }],
    ['a result with a digest', { id: 1, result: 'ok', digest: '3f0c1a2b4d5e6f70' }],
    ['a domain with no users', { id: 1, observation: { bonds: [], attaches: [], mms: [{ mm: 'A', state: 'live', pasid: 1, global: true, domains: [{ iommu: 's', users: 0 }] }], global_pasids: [1], dma: [] } }],
  ])('response: %s', (_what, msg) => { expect(response(msg)).toBe(false); });

  it.each([
    ['an op with a field it does not take', { id: 1, type: 'op', op: 'unbind', handle: 'h', mm: 'A' }],
    ['a bind without its mm', { id: 1, type: 'op', op: 'bind', dev: 'a' }],
    ['a PASID past 32 bits', { id: 1, type: 'op', op: 'free_global', pasid: 2 ** 32 }],
    ['an unknown variant', { id: 1, type: 'configure', variant: 'v3', setup: { devices: [], iommus: [], mms: [] } }],
    ['an unknown type', { id: 1, type: 'reset' }],
    ['fail_nth 0', { id: 1, type: 'op', op: 'bind', dev: 'a', mm: 'A', fail_nth: 0 }],
    ['an observe with a short digest', { id: 1, type: 'observe', probes: [], digest: '3f0c' }],
    ['an observe with neither probes nor digest', { id: 1, type: 'observe' }],
  ])('request: %s', (_what, msg) => { expect(request(msg)).toBe(false); });
});
