// svacheck replay: explains a litmus file step by step; exit 1 when an expectation differs,
// 2 for a malformed file or a caller-contract breach.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { bufferIo } from '../cli/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'svacheck-replay-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

const STICKY = `name: sticky
doc: d
source: s
devices:
  accel: { ssid_bits: 2 }
steps:
  - bind_pasid: { dev: accel, mm: A, pasid: 1 }
    as: h1
  - unbind: h1
  - bind: { dev: accel, mm: A }
    expect: { v1: EBUSY, v2: EBUSY, per-device: PLACEHOLDER }
`;

describe('svacheck replay', () => {
  it('names the deciding rule and the state after each step; exit 0 when all holds', async () => {
    const io = bufferIo();
    const code = await main(['replay', file('ok.yaml', STICKY.replace('PLACEHOLDER', '1')), '--variant', 'v2'], io);
    expect(code).toBe(0);
    expect(io.stdout).toContain('3. bind {dev: accel, mm: A} -> EBUSY (expected EBUSY)');
    expect(io.stdout).toContain('V5: Modes are sticky');
    expect(io.stdout).toContain('mms[A:1l] bonds[] global[]');
  });
  it('marks a differing step and exits 1', async () => {
    const io = bufferIo();
    const code = await main(['replay', file('bad.yaml', STICKY.replace('PLACEHOLDER', '2')), '--variant', 'per-device'], io);
    expect(code).toBe(1);
    expect(io.stdout).toContain('-> 1 (expected 2 -- DIFFERS)');
  });
  it('rejects a caller-contract breach with file, line and step, exit 2', async () => {
    const io = bufferIo();
    const bad = file('contract.yaml', STICKY.replace('PLACEHOLDER', '1').replace('  - bind: { dev: accel, mm: A }\n    expect: { v1: EBUSY, v2: EBUSY, per-device: 1 }\n', '  - unbind: h1\n'));
    expect(await main(['replay', bad, '--variant', 'v2'], io)).toBe(2);
    expect(io.stderr).toMatch(/contract\.yaml:10 step 3: handle 'h1' was released/);
  });
  it('usage errors: no file, unknown variant', async () => {
    expect(await main(['replay'], bufferIo())).toBe(2);
    const io = bufferIo();
    expect(await main(['replay', 'x.yaml', '--variant', 'v9'], io)).toBe(2);
    expect(io.stderr).toContain("unknown variant 'v9'");
  });
});
