// svacheck as a user gets it: `npm pack`, then a fresh `npm init -y` project (CommonJS, as
// npm 11 writes it) that installs the tarball. The install is quiet, the tarball holds no
// tests or local output, and both ways of checking an implementation work there: the CLI
// with a TypeScript (and an ES-module .js) adapter, and a vitest suite using svacheck/vitest.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'svacheck-pack-'));
const project = join(work, 'project');
const env = { ...process.env, CI: '', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

interface Out { code: number; stdout: string; stderr: string }
async function sh(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Out> {
  try {
    const r = await run(cmd, args, { cwd, env: { ...env, ...extraEnv }, maxBuffer: 64 << 20, timeout: 180_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? String(e) };
  }
}

let tarball = '';
let files: string[] = [];
let install: Out;
let offline = '';

beforeAll(async () => {
  const packed = await sh('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0].filename);
  files = info[0].files.map((f) => f.path);
  mkdirSync(project);
  expect((await sh('npm', ['init', '-y'], project)).code).toBe(0);
  // Dependencies come from the npm cache when they are there (the test's own node_modules was
  // installed from it); the registry is asked only for what is missing.
  install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'vitest@^4.1.0', '@fast-check/vitest@^0.5.0'], project);
  if (install.code !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i.test(install.stderr)) offline = install.stderr.split('\n')[0];
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('ships the sources, the litmus library and the docs, not tests, benches, CI or local output', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/svacheck.mjs', 'bin/hooks.mjs', 'cli/main.ts', 'conformance/vitest.ts',
      'conformance/PROTOCOL.md', 'litmus/v2-sticky-local-mode.litmus.yaml', 'docs/rules.md', 'model/configs/seed-small.yaml', 'README.md',
      'docs/variants.md', 'examples/variants/per-device-over-v2.ts', 'spec/kit.ts', 'cli/variants.ts']));
    expect(files.filter((f) => /\.test\.ts$|^test\/|^bench\/|^\.ci\/|^findings\/|^\.svacheck-out\/|fixtures\//.test(f))).toEqual([]);
  });
});

describe('installed into a fresh CommonJS project', () => {
  it('installs quietly: no warning, no install script to approve', (ctx) => {
    if (offline) ctx.skip(`no registry: ${offline}`);
    expect(install.code, install.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).type).toBe('commonjs');
    expect(install.stderr.split('\n').filter((l) => /warn|install-scripts|allowScripts/i.test(l))).toEqual([]);
  });

  it('the CLI checks a TypeScript adapter and an ES-module .js adapter, from another directory', async (ctx) => {
    if (offline) ctx.skip(`no registry: ${offline}`);
    writeFileSync(join(project, 'my-adapter.ts'), [
      "import { createBuiltinAdapter } from 'svacheck/impl';",
      "import type { SvaAdapter } from 'svacheck/vocab';",
      "export function createAdapter(): SvaAdapter { return createBuiltinAdapter({ name: 'my-sva' }); }", ''].join('\n'));
    writeFileSync(join(project, 'esm-adapter.js'), [
      "import { createBuiltinAdapter } from 'svacheck/impl';",
      "export default createBuiltinAdapter({ name: 'my-js-sva' });", ''].join('\n'));
    const sub = join(project, 'sub');
    mkdirSync(sub, { recursive: true });
    const ts = await sh('npx', ['svacheck', 'conform', '--impl', '../my-adapter.ts', '--variant', 'v2', '--runs', '5', '--seed', '1'], sub);
    expect(ts.stderr).toBe('');
    expect(ts.code, ts.stdout).toBe(0);
    expect(ts.stdout).toContain('svacheck conform: my-sva');
    const js = await sh('npx', ['svacheck', 'conform', '--impl', './esm-adapter.js', '--variant', 'v1', '--runs', '5', '--seed', '1', '--no-library'], project);
    expect(js.code, js.stdout + js.stderr).toBe(0);
    expect(js.stdout).toContain('svacheck conform: my-js-sva');
  });

  it('every command loads from the installed package (no module left out of the files list)', async (ctx) => {
    if (offline) ctx.skip(`no registry: ${offline}`);
    const help = await sh('npx', ['svacheck', '--help'], project);
    const commands = /Commands: ([^.]+)\./.exec(help.stdout)?.[1].split(', ') ?? [];
    expect(commands).toEqual(expect.arrayContaining(['report', 'conform', 'rules', 'replay']));
    // Each command's module and everything it imports, loaded in one process as the CLI would.
    // And the library's entry points: the litmus runner is exported beside checkAdapter.
    const script = `for (const c of ${JSON.stringify(commands)}) await import('./node_modules/svacheck/cli/commands/' + c + '.ts');
      const lib = await import('svacheck');
      for (const f of ['checkAdapter', 'runSources', 'bundledSources', 'runLitmus', 'parseLitmus']) if (typeof lib[f] !== 'function') throw new Error('svacheck does not export ' + f);
      console.log('loaded');`;
    const r = await sh(process.execPath, ['--import', 'svacheck/register', '--input-type=module', '-e', script], project);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('loaded');
  });

  it('a vitest suite with no configuration runs svacheck/vitest: the random property and the litmus library', async (ctx) => {
    if (offline) ctx.skip(`no registry: ${offline}`);
    // No vitest configuration: what a user writes first.
    writeFileSync(join(project, 'my-sva.conformance.test.ts'), [
      "import { registerConformanceTests } from 'svacheck/vitest';",
      "import { createAdapter } from './my-adapter.ts';",
      "registerConformanceTests('my-sva', () => createAdapter(), { variants: ['v2'], numRuns: 10, seed: 42 });", ''].join('\n'));
    const r = await sh('npx', ['vitest', 'run', '--reporter', 'verbose'], project, { NO_COLOR: '1' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('my-sva conforms: v2');
    expect(r.stdout).toContain('my-sva litmus: v2');
    expect(r.stdout).toContain('SVACHECK_SEED=42 npx vitest run my-sva.conformance.test.ts');
  });
});
