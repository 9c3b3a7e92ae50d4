/**
 * The manifest of bundled configurations: expected distinct-state counts and findings per
 * configuration and variant (model/configs/manifest.json). A test recomputes it, so a change
 * to the state space shows up in review. Regenerate with `npx tsx model/manifest.ts --write`
 * and explain the drift in the commit message.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { check } from './check.ts';
import { bundledConfigNames, loadBundledConfig, type Manifest, type ManifestEntry } from './config.ts';
import type { VariantName } from '../vocab/index.ts';

export function computeManifest(): Manifest {
  const configs: Record<string, Partial<Record<VariantName, ManifestEntry>>> = {};
  for (const name of bundledConfigNames()) {
    const mc = loadBundledConfig(name);
    const entry: Partial<Record<VariantName, ManifestEntry>> = {};
    for (const v of mc.variants) {
      const r = check(mc, v, { continue: true });
      entry[v] = {
        distinct: r.stats.distinct,
        violations: r.violations.map((x) => x.invariant).sort(),
        availability: r.availability.map((x) => x.kind).sort(),
      };
    }
    configs[name] = entry;
  }
  return {
    doc: 'Expected distinct states (canonical, with the configuration\'s symmetry setting), invariants broken and availability findings, per bundled configuration and variant. Checked by model/manifest.test.ts; regenerate with `npx tsx model/manifest.ts --write`.',
    configs,
  };
}

/** One line per configuration and variant, so a drift reads as a one-line diff. */
export function formatManifest(m: Manifest): string {
  const configs = Object.entries(m.configs).map(([name, vs]) =>
    `    ${JSON.stringify(name)}: {\n${Object.entries(vs).map(([v, e]) => `      ${JSON.stringify(v)}: ${JSON.stringify(e)}`).join(',\n')}\n    }`);
  return `{\n  "doc": ${JSON.stringify(m.doc)},\n  "configs": {\n${configs.join(',\n')}\n  }\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const m = computeManifest();
  const text = formatManifest(m);
  if (process.argv.includes('--write')) writeFileSync(new URL('./configs/manifest.json', import.meta.url), text);
  else process.stdout.write(text);
}
