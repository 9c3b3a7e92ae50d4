import { describe, expect, it } from 'vitest';
import { offeredLoad, parseWorkload, poolOf, seedWorkload, withParam, WorkloadError } from './workload.ts';

const MIN = `name: w
devices: { accel: { ssid_bits: 2 } }
processes: { ml: { rate: 1, hold: 1, binds: { accel: bind_pasid } } }
`;

function problem(text: string): string {
  try { parseWorkload(text, 'f.yaml'); } catch (e) { if (e instanceof WorkloadError) return e.message; throw e; }
  return 'no problem';
}

describe('workload files', () => {
  it('the seed workload: three devices, four process classes offering 1 Erlang, one holder class', () => {
    const w = seedWorkload();
    expect(w.devices.map((d) => `${d.name}:${d.ssidBits}`)).toEqual(['accel:2', 'dsp:1', 'nic:20']);
    expect(offeredLoad(w)).toBeCloseTo(1, 12);
    expect(offeredLoad(withParam(w, 'load', 6))).toBeCloseTo(6, 12);
    expect(w.processes.find((p) => p.name === 'mixed')!.binds).toEqual([{ dev: 'accel', api: 'bind_pasid' }, { dev: 'nic', api: 'bind' }]);
    expect(w.holders).toEqual([{ name: 'dma', device: 'nic', rate: 0.1, hold: 10, attach: true }]);
  });

  it('defaults: pools are every usable PASID; sweep load 1, 2, 4, 8; leave on failure', () => {
    const w = parseWorkload(MIN, 'f');
    expect(poolOf(w, 'accel')).toEqual([[1, 3]]);
    expect(w.sweep).toEqual({ param: 'load', values: [1, 2, 4, 8] });
    expect(w.onFail).toBe('leave');
    expect(poolOf(parseWorkload(MIN + 'pools: { accel: ["2-3", 1] }\n', 'f'), 'accel')).toEqual([[1, 1], [2, 3]]);
  });

  it('errors name the file, the line and the key', () => {
    expect(problem(MIN.replace('rate: 1', 'rate: -1'))).toBe('f.yaml:3: processes.ml.rate: must be a number >= 0, got -1');
    expect(problem(MIN.replace('accel: bind_pasid', 'gpu: bind_pasid'))).toMatch(/^f\.yaml:3: processes\.ml\.binds\.gpu: unknown device "gpu"/);
    expect(problem(MIN.replace('bind_pasid', 'bind_global'))).toMatch(/the API is bind or bind_pasid/);
    expect(problem(MIN + 'pools: { accel: [1, "1-2"] }\n')).toMatch(/^f\.yaml:4: pools\.accel: PASID 1 is listed twice/);
    expect(problem(MIN + 'holders: { dma: { device: accel, rate: 1 } }\n')).toMatch(/rate and hold go together/);
    expect(problem(MIN + 'sweep: { param: processes.nope.rate, values: [1] }\n')).toMatch(/no process class 'nope'/);
    expect(problem(MIN + 'horizon: 10\nwarmup: 20\n')).toMatch(/warmup: must be below the horizon/);
    expect(problem(MIN.replace('rate: 1,', 'population: 2,'))).toMatch(/needs think/);
    expect(problem(MIN + 'colour: red\n')).toMatch(/colour: unknown key/);
    expect(problem(MIN.replace('{ ssid_bits: 2 }', '{ ssid_bits: 2, iommu: null }') + 'holders: { k: { device: accel, permanent: 1 } }\n'))
      .toMatch(/holders\.k\.device: accel sits behind no IOMMU/);
  });

  it('sweeping a class parameter changes only that class', () => {
    const w = withParam(seedWorkload(), 'holders.dma.rate', 0.5);
    expect(w.holders[0].rate).toBe(0.5);
    expect(w.processes).toEqual(seedWorkload().processes);
    expect(() => withParam(seedWorkload(), 'holders.dma.colour', 1)).toThrow(/holders have rate, hold, permanent/);
  });
});
