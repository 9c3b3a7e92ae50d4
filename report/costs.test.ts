// Section 6 of the review report, "What it costs users": the seed workload's rates as
// svacheck simulate computes them, mail-safe, with the replay command and the plot's path.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedWorkload, simulate } from '../simulate/index.ts';
import { buildCosts, costsMarkdown, costsText, COSTS_RUN } from './costs.ts';

describe('what it costs users', () => {
  it('gives the rates svacheck simulate gives for its replay command, mail-safe, and writes the plot when asked', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-costs-'));
    const plot = path.join(dir, 'costs.svg');
    const c = buildCosts(['upstream', 'v2'], 5, plot);
    const direct = simulate(seedWorkload(), { variants: ['upstream', 'v2'], seed: 5, sweep: { param: 'load', values: COSTS_RUN.values }, replications: COSTS_RUN.replications, horizon: COSTS_RUN.horizon });
    const dsp16 = direct.points[2].byVariant[0].devices.dsp;
    expect(c.rates.find((x) => x.device === 'dsp' && x.variant === 'upstream' && x.load === 16)).toMatchObject({ failures: dsp16.failures, attempts: dsp16.attempts });
    expect(c.replay).toBe(`npx svacheck simulate --variant upstream,v2 --seed 5 --sweep load=1,4,16 --replications ${COSTS_RUN.replications} --horizon ${COSTS_RUN.horizon}`);
    const text = costsText(c);
    for (const l of text) { expect(l.length, l).toBeLessThanOrEqual(80); expect(l).toMatch(/^[\x20-\x7e]*$/); expect(l).toBe(l.trimEnd()); }
    expect(text[0]).toBe('6. What it costs users');
    expect(text).toContain(`Plot written to ${plot}`);
    expect(text.join('\n')).toMatch(/^dsp \(ssid_bits 1\): audio bind_pasid$/m);
    expect(readFileSync(plot, 'utf8')).toMatch(/^<svg /);
    expect(costsMarkdown(c)[0]).toBe('## 6. What it costs users');
    expect(costsText(buildCosts(['v2'], 5, null))).toContain('Plot: not written (npx svacheck report --plot costs.svg).');
  });
});
