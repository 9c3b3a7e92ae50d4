import { describe, expect, it } from 'vitest';
import { createBuiltinAdapter } from '../../impl/index.ts';
import { R, type Op, type Result, type SvaAdapter } from '../../vocab/index.ts';
import { parseLitmus, type ParsedLitmus } from './parse.ts';
import { runLitmus } from './run.ts';

function parsed(text: string): ParsedLitmus {
  const r = parseLitmus(text, 't.litmus.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.reason).join('; '));
  return r.litmus;
}

const head = (devices = '  accel: { ssid_bits: 2 }\n  nic: { ssid_bits: 8 }') => `name: t\ndoc: d\nsource: s\ndevices:\n${devices}\nsteps:\n`;

describe('runLitmus against the spec', () => {
  it('a file whose expectations hold is Ok, and records rules and errnos', async () => {
    const p = parsed(head() + `  - bind_pasid: { dev: accel, mm: A, pasid: 1 }
    expect: 1
  - bind_pasid: { dev: nic, mm: A, pasid: 2 }
    expect: { v1: ENOSPC, v2: ENOSPC, per-device: 2 }
`);
    const v2 = await runLitmus(p, 'v2');
    expect(v2).toMatchObject({ verdict: 'Ok', failures: [], variant: 'v2', name: 't' });
    expect(v2.rules).toEqual(expect.arrayContaining(['V1-bind', 'S5-new', 'V3']));
    expect(v2.errnos).toEqual(['ENOSPC']);
    expect((await runLitmus(p, 'per-device')).errnos).toEqual([]);
  });

  it('a failed expectation is No, naming step, line, op, expected and actual', async () => {
    const p = parsed(head() + `  - bind: { dev: nic, mm: A }
    expect: 1
  - bind: { dev: nic, mm: B }
    expect: 1
`);
    const v = await runLitmus(p, 'upstream');
    expect(v.verdict).toBe('No');
    expect(v.failures).toEqual([{
      kind: 'expect', step: 2, line: 10, op: 'bind {dev: nic, mm: B}', expected: '1', actual: '2', reason: 'expected 1, got 2',
    }]);
  });

  it('a step without expect must succeed: an errno, or INVALID from alloc_global, fails it', async () => {
    const p = parsed(head('  dsp: { ssid_bits: 1 }') + `  - alloc_global: dsp
  - alloc_global: dsp
  - bind: { dev: dsp, mm: A }
  - dma: { dev: dsp, pasid: 1 }
`);
    const v = await runLitmus(p, 'v2');
    expect(v.verdict).toBe('No');
    expect(v.failures.map((f) => [f.kind, f.step, f.actual])).toEqual([['must-succeed', 2, 'INVALID'], ['must-succeed', 3, 'ENOSPC']]);
  });

  it('steps naming a handle whose bind failed are skipped in that variant only', async () => {
    const p = parsed(head() + `  - bind: { dev: nic, mm: A }
    expect: 1
  - bind_pasid: { dev: accel, mm: A, pasid: 2 }
    as: h
    expect: { v1: EBUSY, v2: EBUSY, per-device: 2 }
  - get_pasid: h
    expect: 2
  - unbind: h
  - dma: { dev: accel, pasid: 2 }
    expect: { v1: fault, v2: fault, per-device: fault }
`);
    const v2 = await runLitmus(p, 'v2');
    expect(v2).toMatchObject({ verdict: 'Ok', skipped: [3, 4] });
    const pd = await runLitmus(p, 'per-device');
    expect(pd).toMatchObject({ verdict: 'Ok', skipped: [] });
  });

  describe('a caller-contract breach makes the file Malformed for that variant, naming step and reason', () => {
    const cases: [string, string, RegExp][] = [
      ['unbinding a released handle', `  - bind: { dev: nic, mm: A }\n    as: h\n  - unbind: h\n  - unbind: h\n`, /handle 'h' was released by its last unbind/],
      ['binding an exited mm', `  - mm_exit: A\n  - bind: { dev: nic, mm: A }\n`, /mm A has exited/],
      ['freeing a global PASID nobody alloc_global-ed', `  - bind: { dev: nic, mm: A }\n  - free_global: 1\n`, /PASID 1 is not held by an alloc_global caller/],
      ['detaching nothing', `  - detach_pasid: { dev: nic, pasid: 1 }\n`, /no non-SVA domain is attached to nic at PASID 1/],
    ];
    for (const [what, steps, reason] of cases) {
      it(what, async () => {
        const p = parsed(head() + steps);
        const last = p.doc.steps.length;
        const v = await runLitmus(p, 'v2');
        expect(v.verdict).toBe('Malformed');
        expect(v.failures).toHaveLength(1);
        expect(v.failures[0]).toMatchObject({ kind: 'contract', step: last, line: p.stepLines[last - 1] });
        expect(v.failures[0].reason).toMatch(reason);
        expect(v.failures[0].reason).toMatch(/caller contract \(C\d\)/);
      });
    }
  });

  describe('violates', () => {
    const finding = `  - bind: { dev: accel, mm: A }
  - bind_pasid: { dev: nic, mm: A, pasid: 2 }
  - bind_pasid: { dev: nic, mm: B, pasid: 1 }
`;
    it('a listed violation that occurs keeps the verdict Ok', async () => {
      const p = parsed(head() + finding + 'violates:\n  per-device: [enqcmdPasidIsGlobalAndMeansItsMm]\n');
      expect((await runLitmus(p, 'per-device')).verdict).toBe('Ok');
    });
    it('an unlisted violation fails, naming step, invariant and reason', async () => {
      const v = await runLitmus(parsed(head() + finding), 'per-device');
      expect(v.verdict).toBe('No');
      expect(v.failures).toEqual([expect.objectContaining({
        kind: 'invariant', step: 3, invariant: 'enqcmdPasidIsGlobalAndMeansItsMm', rule: 'G2',
      })]);
      expect(v.failures[0].reason).toMatch(/ENQCMD PASID 1 reaches mm B on nic/);
    });
    it('a listed violation that never occurs fails', async () => {
      const p = parsed(head() + `  - bind: { dev: accel, mm: A }\nviolates:\n  v2: [enqcmdPasidIsGlobalAndMeansItsMm]\n`);
      const v = await runLitmus(p, 'v2');
      expect(v.verdict).toBe('No');
      expect(v.failures).toEqual([expect.objectContaining({ kind: 'expected-violation', reason: 'expected violation of enqcmdPasidIsGlobalAndMeansItsMm did not occur' })]);
      expect((await runLitmus(p, 'v1')).verdict).toBe('Ok');                // listed for v2 only
    });
  });
});

describe('runLitmus against an implementation (the adapter contract)', () => {
  const file = parsed(head() + `  - bind_pasid: { dev: accel, mm: A, pasid: 1 }
    as: h
    expect: 1
  - unbind: h
  - bind_pasid: { dev: accel, mm: A, pasid: 2 }
    expect: { v1: ENOSPC, v2: 2, per-device: 2 }
  - dma: { dev: accel, pasid: 2 }
    expect: { v1: fault, v2: A, per-device: A }
`);

  it('the builtin implementation holds in every variant', async () => {
    for (const v of ['v1', 'v2', 'per-device'] as const)
      expect((await runLitmus(file, v, { subject: createBuiltinAdapter() })).verdict, v).toBe('Ok');
  });

  it('the v1 implementation run as v2 fails once, where it diverges from the spec, naming the rule that decided', async () => {
    const inner = createBuiltinAdapter();
    const v1AsV2: SvaAdapter = { ...inner, configure: (setup) => inner.configure(setup, 'v1') };
    const v = await runLitmus(file, 'v2', { subject: v1AsV2 });
    expect(v.verdict).toBe('No');
    expect(v.failures.map((f) => [f.kind, f.step, f.expected, f.actual, f.rule])).toEqual([['diverged', 3, '2', 'ENOSPC', 'S5-new']]);
    expect(v.failures[0].reason).toBe('builtin gives ENOSPC where the spec gives 2 by rules S5-new, V4; later steps not run');
  });

  it('an implementation that throws is a Crash, never a wrong result', async () => {
    const inner = createBuiltinAdapter();
    const throws: SvaAdapter = { ...inner, apply: (op: Op): Result => { if (op.op === 'unbind') throw new Error('oops'); return inner.apply(op) as Result; } };
    const v = await runLitmus(file, 'v2', { subject: throws });
    expect(v).toMatchObject({ verdict: 'Crash', failures: [{ kind: 'crash', step: 2, reason: 'builtin threw: oops' }] });
  });

  it('an observation breaking an invariant fails the verdict', async () => {
    const inner = createBuiltinAdapter();
    const lying: SvaAdapter = {
      ...inner,
      async observe(probes) {
        const o = await inner.observe(probes);
        return { ...o, dma: o.dma.map((d) => (d.dev === 'nic' && d.pasid === 1 ? { ...d, result: R.mm('A') } : d)) };
      },
    };
    const v = await runLitmus(file, 'v2', { subject: lying });
    expect(v.failures[0]).toMatchObject({ kind: 'invariant', step: 1, invariant: 'dmaReachesOnlyBoundLiveMm' });
  });
});
