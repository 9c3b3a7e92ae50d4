// svacheck's docs stand alone: no file of the repository cites the team's private notes
// (they do not ship), the README's adapter example exports a name the CLI looks for, and the
// docs it points to exist.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

describe('the docs stand alone', () => {
  it('no tracked file mentions a note outside the repository', () => {
    // Spelled in pieces so that this file does not match itself.
    const notes = ['DESIGN', 'domain'].map((n) => `${n}.md`).concat(['seeds' + '/']);
    const hits: string[] = [];
    for (const f of tracked) {
      if (/\.(png|jpg|tgz|gz)$/.test(f) || f === 'package-lock.json' || !existsSync(join(ROOT, f))) continue;
      const text = readFileSync(join(ROOT, f), 'utf8');
      text.split('\n').forEach((l, i) => { for (const n of notes) if (l.includes(n)) hits.push(`${f}:${i + 1}: ${l.trim().slice(0, 100)}`); });
    }
    expect(hits).toEqual([]);
  });

  it("the README's adapter example exports what `conform --impl FILE` loads, and its test imports it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const adapter = /```ts\n\/\/ my-adapter\.ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const exported = [...adapter.matchAll(/export (?:default|(?:async )?function (\w+)|const (\w+))/g)].map((m) => m[1] ?? m[2] ?? 'default');
    expect(exported.filter((n) => ['default', 'adapter', 'createAdapter'].includes(n))).not.toEqual([]);
    // The module is loaded in the worker thread conform starts (cli/moduleWorker.ts).
    const conform = readFileSync(join(ROOT, 'cli/moduleWorker.ts'), 'utf8');
    expect(conform).toContain("for (const key of ['default', 'adapter', 'createAdapter'])");
    const test = /```ts\n\/\/ my-sva\.conformance\.test\.ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    for (const name of [...test.matchAll(/import \{ (\w+) \} from '\.\/my-adapter\.ts'/g)].map((m) => m[1])) expect(exported).toContain(name);
    expect(readme).toMatch(/observe\(\)`? returns are defined[\s\S]{0,80}vocab\/index\.ts/);
  });

  it('the docs the README and PROTOCOL.md point to exist', () => {
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8') + readFileSync(join(ROOT, 'conformance/PROTOCOL.md'), 'utf8');
    const paths = new Set([...text.matchAll(/\b((?:docs|conformance|vocab|impl|report|examples)\/[\w./-]+\.(?:md|ts|json|c))\b/g)].map((m) => m[1]));
    expect(paths.size).toBeGreaterThan(5);
    for (const p of paths) expect(existsSync(join(ROOT, p)), p).toBe(true);
  });
});
