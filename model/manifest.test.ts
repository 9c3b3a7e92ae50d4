// The bundled configurations against their manifest: a change to a state space (or to what a
// variant breaks) shows up here and in review.
import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { bundledConfigNames, loadBundledConfig, loadManifest } from './config.ts';

const manifest = loadManifest();

describe('bundled configurations', () => {
  it('the manifest lists exactly the bundled configurations', () => {
    expect(Object.keys(manifest.configs).sort()).toEqual(bundledConfigNames());
  });

  for (const name of bundledConfigNames()) {
    const mc = loadBundledConfig(name);
    it.each(mc.variants.map((v) => [v]))(`${name} / %s: distinct states and findings as in the manifest, only documented violations`, (v) => {
      const r = check(mc, v, { continue: true });
      const want = manifest.configs[name]?.[v];
      expect(want, `manifest entry ${name}/${v}`).toBeDefined();
      expect(r.exhaustive).toBe(true);
      expect(r.stats.distinct).toBe(want!.distinct);
      expect(r.violations.map((x) => x.invariant).sort()).toEqual(want!.violations);
      expect(r.availability.map((x) => x.kind).sort()).toEqual(want!.availability);
      expect(r.violations.filter((x) => !x.expected)).toEqual([]);
      expect(r.missingExpected).toEqual([]);
    });
  }
});
