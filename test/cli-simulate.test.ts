import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { parseSweep } from '../cli/commands/simulate.ts';

async function run(argv: string[], cwd?: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const mailSafe = (text: string) => {
  for (const line of text.split('\n')) {
    expect(line.length, line).toBeLessThanOrEqual(80);
    expect(line, 'trailing blank').toBe(line.trimEnd());
  }
  expect(text).toMatch(/^[\x00-\x7f]*$/);
};

const SMALL = ['--sweep', 'load=2,8', '--replications', '2', '--horizon', '60'];

describe('svacheck simulate', () => {
  it('prints a mail-safe table per device with every variant, the reasons and the replay command', async () => {
    const r = await run(['simulate', ...SMALL, '--seed', '3']);
    expect(r.code, r.err).toBe(0);
    mailSafe(r.out);
    expect(r.out).toMatch(/^accel \(ssid_bits 2\): ml bind_pasid, mixed bind_pasid$/m);
    expect(r.out).toMatch(/^                                     per-                ioasid-   dma-pasid$/m);
    expect(r.out).toMatch(/^  load upstream  v1        v2        device    sva-2018  2020      -2021$/m);
    expect(r.out).toMatch(/^    ioasid-2020     ENOSPC 100%$/m);
    expect(r.out).toMatch(/^    sva-2018        ENOSPC 100%$/m);
    expect(r.out).toMatch(/^    dma-pasid-2021  ENOMEM 100%$/m);
    expect(r.out).toMatch(/^     8 \d+\.\d\+-[\d.]+ +\d/m);
    expect(r.out).toMatch(/^    upstream +ENOSPC 100%$/m);
    expect(r.out.replace(/\s+/g, ' ')).toMatch(/compared with the spec step by step \(no difference\)/);
    expect(r.out.replace(/\s+/g, ' ')).toContain('2 independent runs of 60 time units per point (the first 6 not counted)');
    expect(r.out).toContain('Replay:\n  npx svacheck simulate \\\n    --variant upstream,v1,v2,per-device,sva-2018,ioasid-2020,dma-pasid-2021 \\\n    --seed 3 --sweep load=2,8 --replications 2 --horizon 60\n');
    const again = await run(['simulate', ...SMALL, '--seed', '3']);
    expect(again.out).toBe(r.out);
  });

  it('--json is versioned and carries every point, variant and device; --plot writes an SVG with axes and a legend', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-sim-'));
    const r = await run(['simulate', ...SMALL, '--variant', 'upstream,v2', '--json', '--plot', 'p.svg'], dir);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ command: 'simulate', version: 1, workload: 'seed', seed: 1, sweep: { param: 'load', values: [2, 8] } });
    expect(Object.keys(j.points[1].variants)).toEqual(['upstream', 'v2']);
    const cell = j.points[1].variants.upstream.devices.dsp;
    expect(cell.failures).toBeLessThanOrEqual(cell.attempts);
    expect(cell.lo).toBeLessThanOrEqual(cell.rate);
    const svg = readFileSync(path.join(dir, 'p.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(svg.match(/<polyline /g)?.length).toBe(2 * 3);               // two variants, three devices
    expect(svg).toContain('>binds failed<');
    expect(svg).toContain('>load (x the workload');
    expect(svg).toContain('>upstream</text>');
    expect(svg).not.toMatch(/<script|<style|href=/);
  });

  it('reads a workload file; bad input exits 2 with the file, line and key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-sim-'));
    writeFileSync(path.join(dir, 'w.yaml'), 'name: w\ndevices: { dsp: { ssid_bits: 1 } }\nprocesses: { a: { rate: 1, hold: 1, binds: { dsp: bind } } }\nhorizon: 50\nreplications: 2\nsweep: { param: load, values: [1] }\n');
    const ok = await run(['simulate', 'w.yaml', '--variant', 'upstream'], dir);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^dsp \(ssid_bits 1\): a bind$/m);
    writeFileSync(path.join(dir, 'bad.yaml'), 'name: w\ndevices: { dsp: { ssid_bits: 1 } }\nprocesses: { a: { rate: 1, hold: 0, binds: { dsp: bind } } }\n');
    const bad = await run(['simulate', 'bad.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.yaml:3: processes\.a\.hold: must be a number > 0, got 0/);
    expect((await run(['simulate', '--variant', 'v9'])).code).toBe(2);
    expect((await run(['simulate', '--sweep', 'processes.zz.rate=1'])).err).toMatch(/no process class 'zz'/);
    writeFileSync(path.join(dir, 'closed.yaml'), 'name: c\ndevices: { dsp: { ssid_bits: 1 } }\nprocesses: { a: { population: 2, think: 1, hold: 1, binds: { dsp: bind } } }\n');
    const frac = await run(['simulate', 'closed.yaml', '--sweep', 'processes.a.population=1,1.5'], dir);
    expect(frac.code, frac.err).toBe(2);
    expect(frac.err).toMatch(/processes\.a\.population takes whole numbers, got 1, 1\.5/);
  });

  it('parses --sweep values and ranges', () => {
    expect(parseSweep('load=1,2,4')).toEqual({ param: 'load', values: [1, 2, 4] });
    expect(parseSweep('load=1..16/6')).toEqual({ param: 'load', values: [1, 4, 7, 10, 13, 16] });
    expect(parseSweep('holders.dma.rate=0..1/3')).toEqual({ param: 'holders.dma.rate', values: [0, 0.5, 1] });
    expect(() => parseSweep('load')).toThrow(/PARAM=VALUES/);
    expect(() => parseSweep('load=4..1/3')).toThrow(/FROM <= TO/);
    expect(() => parseSweep('load=1,x')).toThrow(/numbers separated by commas/);
  });
});
