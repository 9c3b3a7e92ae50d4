/**
 * The observation digest (PROTOCOL.md §12) is computed by the runner in TypeScript
 * (conformance/protocol/digest.ts) and by C implementations in examples/c/protocol.c: the two
 * must agree on every observation, whatever its order, names or numbers, or a correct
 * implementation would be sent back for its whole observation at every step (and the runner
 * would call its digest wrong). Random observations, seeded; and the states the C example
 * reaches in a conform run.
 *
 * Replay with the seed it prints: SVACHECK_SEED=<n> npx vitest run test/protocol-digest.test.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAdapter } from '../conformance/check.ts';
import { buildCExample, decodeObservation, hasCompiler, observationDigest, openExecAdapter } from '../conformance/protocol/index.ts';
import { SEED_SETUP } from '../vocab/index.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SEED = Number(process.env.SVACHECK_SEED ?? 1515);
const replay = `replay: SVACHECK_SEED=${SEED} npx vitest run test/protocol-digest.test.ts`;
console.log(`test/protocol-digest.test.ts: seed ${SEED} (${replay})`);

const cc = hasCompiler();
if (!cc) console.warn('SKIPPED test/protocol-digest.test.ts: no C compiler');
const suite = cc ? describe : describe.skip;
const dir = mkdtempSync(join(tmpdir(), 'svacheck-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Names as an implementation may send them: the setup's, and any UTF-8 text without NUL. */
const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('accel', 'dsp', 'nic', 'A', 'B', 'C', 'smmu0', 'smmu1', 'g0') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((s) => !s.includes('\0')) },
);
const count = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
const result = fc.oneof(
  count.map((pasid) => ({ pasid })), fc.constant('ok'), fc.constant('INVALID'), fc.constant('kernel'), fc.constant('fault'),
  name.map((mm) => ({ mm })), fc.constantFrom('EBUSY', 'ENOSPC', 'EINVAL', 'ENOMEM').map((errno) => ({ errno })),
  fc.constantFrom(null, 'bad_substream', 'bad_cd', 'translation').map((fault) => ({ fault })),
);
/** A random observation in the protocol's JSON form (not necessarily one a correct implementation reaches). */
const observation = fc.record({
  bonds: fc.array(fc.record({ dev: name, pasid: count, mm: name, users: count }), { maxLength: 6 }),
  attaches: fc.array(fc.record({ dev: name, pasid: count }), { maxLength: 4 }),
  mms: fc.array(fc.record({
    mm: name, state: fc.constantFrom('live', 'exited', 'gone'),
    pasid: fc.option(count, { nil: null }), global: fc.option(fc.boolean(), { nil: null }),
    domains: fc.array(fc.record({ iommu: name, users: count }), { maxLength: 3 }),
  }), { maxLength: 5 }),
  global_pasids: fc.array(count, { maxLength: 6 }),
  dma: fc.array(fc.record({ dev: name, pasid: count, result }), { maxLength: 30 }),
});

suite('the observation digest: C (examples/c/protocol.c) and TypeScript agree', () => {
  const program = join(dir, 'digest');
  const build = () => execFileSync(process.env.CC ?? 'cc', ['-O2', '-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-o', program,
    here('./fixtures/digest.c'), here('../examples/c/json.c'), here('../examples/c/protocol.c')], { stdio: ['ignore', 'pipe', 'pipe'] });

  it(`on 2000 random observations (seed ${SEED})`, () => {
    build();
    const samples = fc.sample(observation, { seed: SEED, numRuns: 2000 });
    const run = spawnSync(program, [], { input: samples.map((o) => JSON.stringify(o)).join('\n') + '\n', encoding: 'utf8', timeout: 30_000 });
    const fromC = run.stdout.split('\n').slice(0, -1);
    expect(fromC).toHaveLength(samples.length);
    // Most are read off the text (JSON.stringify writes them in the protocol's member order,
    // as examples/c/sva.c does); those with names that need escapes are parsed.
    const texts = Number(/read off the text: (\d+)/.exec(run.stderr)?.[1]);
    expect(texts).toBeGreaterThan(samples.length / 2);
    expect(texts).toBeLessThan(samples.length);
    samples.forEach((o, i) => {
      const decoded = decodeObservation(o, o.dma.map((d) => ({ dev: d.dev, pasid: d.pasid })));
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
      if (!decoded.ok) return;
      expect(fromC[i], `observation ${i}: ${JSON.stringify(o)} (${replay})`).toBe(observationDigest(decoded.value));
    });
  });

  it('in a conform run of examples/c, every observe but the decoy is answered by the digest alone (the runner checks any whole observation sent with its digest)', async () => {
    const c = buildCExample();
    expect(c, c.ok ? '' : c.reason).toMatchObject({ ok: true });
    if (!c.ok) return;
    const o = await openExecAdapter(`exec:${c.v2}`);
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    try {
      expect(o.adapter.capabilities.digest).toBe(1);
      for (const variant of ['v2', 'upstream'] as const) {
        const r = await checkAdapter(o.adapter, { variant, runs: 30, seed: SEED });
        expect(r.ok, `${r.failure?.message ?? r.broke} (${replay})`).toBe(true);
        const r2 = await checkAdapter(o.adapter, { variant, setup: SEED_SETUP, runs: 30, seed: SEED });
        expect(r2.ok, `${r2.failure?.message ?? r2.broke} (${replay})`).toBe(true);
      }
      // All but one per configure: the decoy (§12), answered with the whole observation, as it must be.
      expect(o.adapter.digests.asked).toBeGreaterThan(500);
      expect(o.adapter.digests.matched).toBe(o.adapter.digests.asked - o.adapter.report().totals.configures);
    } finally { await o.adapter.close(); }
  }, 60_000);
});

describe('a program that echoes the digest it is sent', () => {
  it('is caught by the decoy sent once per configure: malformed_response, not a pass', async () => {
    const c = buildCExample();
    if (!c.ok) return;
    const o = await openExecAdapter('exec:node conformance/protocol/fixtures/echo-digest.mjs');
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    try {
      const r = await checkAdapter(o.adapter, { variant: 'v2', setup: SEED_SETUP, runs: 5, seed: SEED });
      expect(r.ok).toBe(false);
      expect(o.adapter.failed?.kind).toBe('malformed_response');
      expect(o.adapter.failed?.detail).toMatch(/decoy/);
    } finally { await o.adapter.close(); }
  }, 60_000);
});
