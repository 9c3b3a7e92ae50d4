// A module adapter that cannot be loaded is explained in plain words (exit 2), whatever the
// reason: no file, TypeScript that does not parse, a package not installed, a throw at load.
// And a .js adapter written as an ES module loads inside a CommonJS package.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/svacheck.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'svacheck-load-'));
writeFileSync(join(dir, 'package.json'), '{ "name": "p", "type": "commonjs" }\n');
const files: Record<string, string> = {
  'bad-syntax.ts': 'export const createAdapter = ( => 1;\n',
  'no-dep.ts': "import { x } from 'not-installed-pkg';\nexport const createAdapter = () => x;\n",
  'throws.ts': "throw new Error('boom at load');\n",
  'esm.js': `import { createBuiltinAdapter } from ${JSON.stringify(fileURLToPath(new URL('../impl/index.ts', import.meta.url)))};\nexport default createBuiltinAdapter({ name: 'esm-in-cjs' });\n`,
};
for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);

// Through the binary, as a user runs it: its module hooks are what loads the adapter.
const conform = (impl: string) => spawnSync(process.execPath, [BIN, 'conform', '--impl', impl, '--runs', '0', '--no-library', '--no-progress'], { cwd: dir, encoding: 'utf8' });

describe('loading a module adapter', () => {
  it.each([
    ['./missing.ts', /cannot load the module: no such file: \.\/missing\.ts/],
    ['./bad-syntax.ts', /the TypeScript does not parse: Unexpected token at line 1/],
    ['./no-dep.ts', /imports 'not-installed-pkg', which is not installed where the adapter is/],
    ['./throws.ts', /\.\/throws\.ts threw while loading: boom at load/],
  ])('%s: a usage error in plain words', (impl, why) => {
    const r = conform(impl);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a .js adapter written with import/export loads in a CommonJS package', () => {
    const r = conform('./esm.js');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('svacheck conform: esm-in-cjs');
  });
});
