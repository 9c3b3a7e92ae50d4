/** Unit tests of the protocol's pure parts: the exec word splitter and the result decoder. */
import { describe, expect, it } from 'vitest';
import { decodeHello, decodeObservation, decodeResult, encodeSetup } from './codec.ts';
import { FAILURE_INFO, FAILURE_KINDS } from './failures.ts';
import { parseExecSpec, splitCommand } from './words.ts';

describe('splitCommand (exec:<command and args>, no shell)', () => {
  const cases: [string, string[]][] = [
    ['./sva --fast', ['./sva', '--fast']],
    ['  a   b\tc ', ['a', 'b', 'c']],
    [`node 'my impl.mjs' "x y" z\\ w`, ['node', 'my impl.mjs', 'x y', 'z w']],
    [`a"b"'c'd`, ['abcd']],
    [`"quote \\" and \\\\ backslash" '\\n stays'`, ['quote " and \\ backslash', '\\n stays']],
    [`'' x`, ['', 'x']],
    ['echo $HOME *.c | cat', ['echo', '$HOME', '*.c', '|', 'cat']],
  ];
  for (const [line, words] of cases) it(JSON.stringify(line), () => expect(splitCommand(line)).toEqual({ ok: true, words }));

  it('errors carry a column', () => {
    expect(splitCommand(`a 'b`)).toEqual({ ok: false, error: 'unterminated single quote', column: 3 });
    expect(splitCommand('x\\')).toEqual({ ok: false, error: 'backslash at the end of the command', column: 2 });
    expect(splitCommand('   ')).toEqual({ ok: false, error: 'empty command', column: 1 });
    expect(parseExecSpec('exec:a "b')).toEqual({ ok: false, error: 'unterminated double quote', column: 8 });
    expect(parseExecSpec('./a.out')).toMatchObject({ ok: false, column: 1 });
  });
});

describe('decodeResult: every case of PROTOCOL.md §6', () => {
  const good: [unknown, unknown][] = [
    [{ pasid: 3 }, { kind: 'pasid', pasid: 3 }],
    ['ok', { kind: 'ok' }],
    ['INVALID', { kind: 'invalid' }],
    [{ errno: 'EBUSY' }, { kind: 'errno', errno: 'EBUSY' }],
    [{ mm: 'A' }, { kind: 'mm', mm: 'A' }],
    ['kernel', { kind: 'kernel' }],
    [{ fault: 'bad_cd' }, { kind: 'fault', fault: 'bad_cd' }],
    [{ fault: null }, { kind: 'fault' }],
    ['fault', { kind: 'fault' }],
  ];
  for (const [json, value] of good) it(`accepts ${JSON.stringify(json)}`, () => expect(decodeResult(json)).toEqual({ ok: true, value }));
  const bad: [unknown, RegExp][] = [
    [{ errno: 'EPERM' }, /unknown errno "EPERM"/],
    [{ pasid: -1 }, /pasid must be an integer/],
    [{ pasid: 2 ** 32 }, /pasid must be an integer/],
    [{ pasid: 1.5 }, /pasid must be an integer/],
    [{ pasid: 1, errno: 'EBUSY' }, /exactly one key/],
    ['OK', /unknown result string "OK"/],
    [{ fault: 'page' }, /fault kind must be one of/],
    [3, /must be a string or an object/],
    [{ handle: 'h1' }, /unknown result key "handle"/],
  ];
  for (const [json, error] of bad) it(`rejects ${JSON.stringify(json)}`, () => {
    const d = decodeResult(json);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error).toMatch(error);
  });
});

describe('the rest of the codec', () => {
  it('hello: drops unknown variants and ops, keeps the first line of the name', () => {
    expect(decodeHello({ name: 'x\ny', protocol: 1, variants: ['v2', 'v9'], ops: ['bind', 'frob'] }))
      .toEqual({ ok: true, value: { name: 'x', protocol: 1, variants: ['v2'], ops: ['bind'], capabilities: {} } });
    expect(decodeHello({ name: 'k', protocol: 1, variants: ['v2'], ops: [], capabilities: { fail_nth: 1, leaks: 1, bad: 'x', zero: 0 } }))
      .toMatchObject({ ok: true, value: { capabilities: { fail_nth: 1, leaks: 1 } } });
    expect(decodeHello({ protocol: 1, variants: [], ops: [] })).toMatchObject({ ok: false });
  });

  it('observation: the dma list must answer the probes asked, in order', () => {
    const obs = { bonds: [], attaches: [], mms: [], global_pasids: [1], dma: [{ dev: 'a', pasid: 2, result: 'kernel' }] };
    expect(decodeObservation(obs, [{ dev: 'a', pasid: 2 }])).toMatchObject({ ok: true, value: { globalPasids: [1] } });
    expect(decodeObservation(obs, [{ dev: 'a', pasid: 3 }])).toMatchObject({ ok: false, error: expect.stringMatching(/dma\[0\] must answer probe \{dev: a, pasid: 3\}/) });
    expect(decodeObservation({ ...obs, mms: [{ mm: 'A', state: 'dead' }] }, [{ dev: 'a', pasid: 2 }])).toMatchObject({ ok: false, error: expect.stringMatching(/mms\[0\]/) });
  });

  it('configure sends every default resolved', () => {
    expect(encodeSetup({ devices: [{ name: 'a', ssidBits: 2 }, { name: 'b', ssidBits: 0, iommu: null }], mms: ['A'] })).toEqual({
      devices: [{ name: 'a', ssid_bits: 2, group: 'a', iommu: 'smmu0' }, { name: 'b', ssid_bits: 0, group: null, iommu: null }],
      iommus: [{ name: 'smmu0', asid_bits: 16, sva: true }],
      mms: ['A'],
    });
  });

  it('every failure kind has a title and an explanation', () => {
    for (const k of FAILURE_KINDS) expect(FAILURE_INFO[k].title.length * FAILURE_INFO[k].explanation.length).toBeGreaterThan(0);
  });
});
