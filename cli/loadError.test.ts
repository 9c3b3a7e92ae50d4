// A module adapter that cannot be loaded is explained in plain words (exit 2), whatever the
// reason: no file, TypeScript that does not parse, a package not installed, a throw at load.
// And a .js adapter written as an ES module loads inside a CommonJS package.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'svacheck-load-'));
writeFileSync(join(dir, 'package.json'), '{ "name": "p", "type": "commonjs" }\n');
const files: Record<string, string> = {
  'bad-syntax.ts': 'export const createAdapter = ( => 1;\n',
  'no-dep.ts': "import { x } from 'not-installed-pkg';\nexport const createAdapter = () => x;\n",
  'throws.ts': "throw new Error('boom at load');\n",
  'esm.js': `import { createBuiltinAdapter } from ${JSON.stringify(fileURLToPath(new URL('../impl/index.ts', import.meta.url)))};\nexport default createBuiltinAdapter({ name: 'esm-in-cjs' });\n`,
};
for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);

// In one process with the binary's module hooks, as a user's `svacheck conform --impl` loads.
const REGISTER = fileURLToPath(new URL('../bin/register.mjs', import.meta.url));
const CONFORM = fileURLToPath(new URL('./commands/conform.ts', import.meta.url));
let results: Record<string, { ok: boolean; code?: number; lines?: string[]; name?: string }> = {};
beforeAll(() => {
  const script = `const { loadImplementation } = await import(${JSON.stringify(pathToFileURL(CONFORM).href)});
    const out = {};
    for (const f of ['./missing.ts', './bad-syntax.ts', './no-dep.ts', './throws.ts', './esm.js']) {
      const r = await loadImplementation(f, process.cwd());
      out[f] = r.ok ? { ok: true, name: r.adapter.name } : { ok: false, code: r.code, lines: r.lines };
      if (r.ok) await r.adapter.close?.();   // a module adapter runs in a worker thread until closed
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(REGISTER).href, '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  results = JSON.parse(r.stdout);
});

describe('loading a module adapter', () => {
  it.each([
    ['./missing.ts', /cannot load the module: no such file: \.\/missing\.ts/],
    ['./bad-syntax.ts', /the TypeScript does not parse: Unexpected token at line 1/],
    ['./no-dep.ts', /imports 'not-installed-pkg', which is not installed where the adapter is/],
    ['./throws.ts', /\.\/throws\.ts threw while loading: boom at load/],
  ])('%s: a usage error in plain words', (impl, why) => {
    const r = results[impl];
    expect(r.ok).toBe(false);
    expect(r.code).toBe(2);
    expect(r.lines?.join('\n')).toMatch(why);
    expect(r.lines?.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('a .js adapter written with import/export loads in a CommonJS package', () => {
    expect(results['./esm.js']).toEqual({ ok: true, name: 'esm-in-cjs' });
  });
});
