/**
 * npm run bench: every bench/*.bench.ts in turn. Each prints figures measured in this run,
 * with ratios against a baseline measured in the same run (the machines are shared and noisy).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printGoals } from './goals.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
  if (only.length > 0 && !only.some((o) => file.startsWith(o))) continue;
  console.log(`\n== ${file.replace('.bench.ts', '')} ==`);
  const mod = (await import(`./${file}`)) as { run(): Promise<void> | void };
  await mod.run();
}
printGoals();
