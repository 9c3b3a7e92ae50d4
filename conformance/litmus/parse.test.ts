import { describe, expect, it } from 'vitest';
import { R } from '../../vocab/index.ts';
import { writeLitmus } from '../../vocab/litmus.ts';
import { parseLitmus, type LitmusError } from './parse.ts';

const GOOD = `name: t
doc: a test
source: iommu-sva.c iommu_alloc_mm_data
devices:
  accel: { ssid_bits: 2 }
  nic: { ssid_bits: 8 }
steps:
  - bind_pasid: { dev: accel, mm: A, pasid: 1 }
    as: h
    expect: 1
  - bind_pasid: { dev: nic, mm: A, pasid: 2 }
    expect: { v1: ENOSPC, v2: ENOSPC, per-device: 2 }
  - unbind: h
`;

function errorsOf(text: string): readonly LitmusError[] {
  const r = parseLitmus(text, 'x.litmus.yaml');
  if (r.ok) throw new Error('expected the file to be rejected');
  return r.errors;
}

/** The one error whose reason matches, with its location. */
function theError(text: string, reason: RegExp): LitmusError {
  const errs = errorsOf(text);
  const hit = errs.find((e) => reason.test(e.reason));
  if (!hit) throw new Error(`no error matches ${reason}; got: ${errs.map((e) => e.reason).join(' | ')}`);
  return hit;
}

describe('parseLitmus: a good file', () => {
  it('gives the doc, its steps, default variants (every variant with all ops used) and step lines', () => {
    const r = parseLitmus(GOOD, 'good.litmus.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { doc, stepLines } = r.litmus;
    expect(doc.variants).toEqual(['v1', 'v2', 'per-device']);              // upstream has no bind_pasid
    expect(doc.setup.mms).toEqual(['A']);                                 // default: mms in order of first use
    expect(doc.steps[0]).toEqual({ op: { op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 1, as: 'h' }, expect: R.pasid(1) });
    expect(doc.steps[1].expect).toEqual({ v1: R.errno('ENOSPC'), v2: R.errno('ENOSPC'), 'per-device': R.pasid(2) });
    expect(doc.steps[2]).toEqual({ op: { op: 'unbind', handle: 'h' } });
    expect(stepLines).toEqual([8, 11, 13]);
  });

  it('reads back what writeLitmus writes (the format engines print counterexamples in)', () => {
    const r = parseLitmus(GOOD, 'good.litmus.yaml');
    if (!r.ok) throw new Error('good file rejected');
    const again = parseLitmus(writeLitmus(r.litmus.doc, ['replay: svacheck litmus FILE']), 'again.litmus.yaml');
    expect(again.ok && again.litmus.doc).toEqual(r.litmus.doc);
  });

  it("reads attach_pasid's optional handle: true, writes it back, and refuses a non-boolean", () => {
    const text = (h: string) => `name: t\ndoc: d\nsource: s\ndevices:\n  accel: { ssid_bits: 2 }\nsteps:\n  - attach_pasid: { dev: accel, pasid: 1${h} }\n`;
    const r = parseLitmus(text(', handle: true'), 'h.litmus.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.litmus.doc.steps[0].op).toEqual({ op: 'attach_pasid', dev: 'accel', pasid: 1, handle: true });
    const again = parseLitmus(writeLitmus(r.litmus.doc), 'again.litmus.yaml');
    expect(again.ok && again.litmus.doc).toEqual(r.litmus.doc);
    const bare = parseLitmus(text(', handle: false'), 'b.litmus.yaml');
    expect(bare.ok && bare.litmus.doc.steps[0].op).toEqual({ op: 'attach_pasid', dev: 'accel', pasid: 1 });
    const bad = parseLitmus(text(', handle: 3'), 'x.litmus.yaml');
    expect(!bad.ok && bad.errors.map((e) => e.reason).join()).toContain('handle must be true or false');
  });

  it('accepts every result spelling, iommus, groups, no-IOMMU devices and violates', () => {
    const text = `name: t
doc: d
source: s
variants: [per-device]
iommus:
  smmu1: { asid_bits: 1, sva: false }
devices:
  a: { ssid_bits: 2, group: g, iommu: smmu1 }
  b: { ssid_bits: 2, group: g, iommu: smmu1 }
  p: { ssid_bits: 0, iommu: null }
mms: [A, B]
steps:
  - bind: { dev: a, mm: A }
    expect: EOPNOTSUPP
  - dma: { dev: a, pasid: 0 }
    expect: kernel
  - dma: { dev: a, pasid: 1 }
    expect: fault
  - alloc_global: p
    expect: INVALID
  - attach_pasid: { dev: a, pasid: 1 }
    expect: ok
  - dma: { dev: b, pasid: 1 }
    expect: any
violates:
  per-device: [enqcmdPasidIsGlobalAndMeansItsMm]
`;
    const r = parseLitmus(text, 'x');
    expect(r.ok ? r.litmus.doc.setup : r.errors).toEqual({
      devices: [{ name: 'a', ssidBits: 2, group: 'g', iommu: 'smmu1' }, { name: 'b', ssidBits: 2, group: 'g', iommu: 'smmu1' }, { name: 'p', ssidBits: 0, iommu: null }],
      iommus: [{ name: 'smmu1', asidBits: 1, sva: false }],
      mms: ['A', 'B'],
    });
    expect(r.ok && r.litmus.doc.violates).toEqual({ 'per-device': ['enqcmdPasidIsGlobalAndMeansItsMm'] });
  });
});

describe('parseLitmus: every malformed input gets a located reason', () => {
  it('a YAML syntax error, with its line', () => {
    const e = theError('name: t\ndoc: d\nsource: s\nsteps:\n  - bind: { dev: a, mm: A\n  - unbind: h\n', /YAML syntax error/);
    expect(e.file).toBe('x.litmus.yaml');
    expect(e.line).toBeGreaterThanOrEqual(5);
  });

  it('a missing name; doc and source are optional (a user file needs only name, devices, steps)', () => {
    const text = GOOD.replace('doc: a test\n', '').replace('source: iommu-sva.c iommu_alloc_mm_data\n', '');
    expect(errorsOf(text.replace('name: t\n', '')).map((e) => e.reason)).toEqual(["missing required field 'name'"]);
    const r = parseLitmus(text, 'minimal.litmus.yaml');
    expect(r.ok && [r.litmus.doc.name, r.litmus.doc.doc, r.litmus.doc.source]).toEqual(['t', undefined, undefined]);
    const minimal = 'name: m\ndevices:\n  accel: { ssid_bits: 2 }\nsteps:\n  - bind: { dev: accel, mm: A }\n    expect: 1\n';
    expect(parseLitmus(minimal, 'm.litmus.yaml').ok).toBe(true);
  });

  it('an unknown top-level key', () => {
    const e = theError(GOOD + 'expected: 3\n', /unknown key 'expected'/);
    expect(e.line).toBe(14);
  });

  it('an unknown operation, with step and line', () => {
    const e = theError(GOOD.replace('  - unbind: h', '  - unbnid: h'), /unknown operation 'unbnid'/);
    expect(e).toMatchObject({ step: 3, line: 13 });
  });

  it('two operations in one step', () => {
    const e = theError(GOOD.replace('  - unbind: h', '  - unbind: h\n    mm_exit: A'), /exactly one operation, got unbind, mm_exit/);
    expect(e.step).toBe(3);
  });

  it('an unknown variant in variants, in expect, in violates', () => {
    expect(theError(GOOD.replace('devices:', 'variants: [v3]\ndevices:'), /unknown variant 'v3'/).line).toBe(4);
    const inExpect = theError(GOOD.replace('per-device: 2 }', 'per-devise: 2 }'), /unknown variant 'per-devise'/);
    expect(inExpect).toMatchObject({ step: 2, line: 12 });
    expect(theError(GOOD + 'violates:\n  v9: [noTwoOwnersShareADeviceSlot]\n', /unknown variant 'v9'/).line).toBe(15);
  });

  it('a variant that lacks an op the file uses, and an expect for a variant the file does not run', () => {
    expect(theError(GOOD.replace('devices:', 'variants: [upstream, v2]\ndevices:'), /upstream has no bind_pasid/).line).toBe(4);
    expect(theError(GOOD.replace('expect: 1', 'expect: { upstream: 1 }'), /does not run variant upstream/).step).toBe(1);
  });

  it('an unknown device or mm', () => {
    const dev = theError(GOOD.replace('{ dev: nic, mm: A, pasid: 2 }', '{ dev: gpu, mm: A, pasid: 2 }'), /unknown device 'gpu'/);
    expect(dev).toMatchObject({ step: 2, line: 11 });
    const mm = theError(GOOD.replace('devices:', 'mms: [A]\ndevices:').replace('{ dev: nic, mm: A,', '{ dev: nic, mm: B,'), /unknown mm 'B'/);
    expect(mm.step).toBe(2);
  });

  it('an unknown handle (no earlier bind names it)', () => {
    const e = theError(GOOD.replace('  - unbind: h', '  - unbind: h9'), /unknown handle 'h9'/);
    expect(e).toMatchObject({ step: 3, line: 13 });
  });

  it('ssid_bits out of range or not an integer', () => {
    expect(theError(GOOD.replace('ssid_bits: 8', 'ssid_bits: 21'), /ssid_bits must be an integer in 0..20, got 21/).line).toBe(6);
    expect(theError(GOOD.replace('ssid_bits: 8', 'ssid_bits: 2.5'), /ssid_bits must be an integer/).line).toBe(6);
    expect(theError(GOOD.replace('ssid_bits: 8', 'ssid_bits: -1'), /got -1/).line).toBe(6);
  });

  it('a bad pasid: negative, not an integer, not a number', () => {
    for (const bad of ['-1', '1.5', 'one']) {
      const e = theError(GOOD.replace('pasid: 2 }', `pasid: ${bad} }`), /pasid must be an integer in 0\.\.2\^32-1/);
      expect(e).toMatchObject({ step: 2, line: 11 });
    }
  });

  it('duplicate names: a device named twice, a device and an mm with one name, a duplicate key', () => {
    expect(errorsOf(GOOD.replace('nic: { ssid_bits: 8 }', 'accel: { ssid_bits: 8 }')).length).toBeGreaterThan(0);
    expect(theError(GOOD.replace('devices:', 'mms: [accel]\ndevices:').replace(/mm: A/g, 'mm: accel'), /cannot name an mm/).step).toBe(1);
  });

  it('an expect that is not a result, or not a result the op can give', () => {
    expect(theError(GOOD.replace('expect: 1', 'expect: EWHAT'), /'EWHAT' is not a result/).step).toBe(1);
    expect(theError(GOOD.replace('expect: 1', 'expect: ok'), /bind_pasid never gives ok/).step).toBe(1);
  });

  it('as on an operation that makes no handle', () => {
    expect(theError(GOOD.replace('  - unbind: h', '  - unbind: h\n    as: h2'), /'as' names the handle of a bind/).step).toBe(3);
  });

  it('an unknown invariant in violates', () => {
    expect(theError(GOOD + 'violates:\n  v2: [noSuchThing]\n', /unknown invariant 'noSuchThing'/).line).toBe(15);
  });

  it('a file that is not a map, and an empty step list', () => {
    expect(theError('- 1\n- 2\n', /a litmus file is a YAML map/).line).toBe(1);
    expect(theError(GOOD.replace(/steps:[\s\S]*$/, 'steps: []\n'), /'steps' must be a non-empty list/).line).toBe(7);
  });
});
