/**
 * Issue 15's goals, gathered from the benches that measure them and printed together at the end
 * of `npm run bench` (each figure is also printed where it is measured, with its spread).
 */
export interface Figure { readonly label: string; readonly value: number; readonly goal: number | null; readonly unit: string }

const figures: Figure[] = [];

export function recordGoal(label: string, value: number, goal: number | null, unit = 'checked ops/s'): void {
  figures.push({ label, value, goal, unit });
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

export function printGoals(): void {
  if (figures.length === 0) return;
  console.log('\n== goals (issue 15: conformance at speed), this run ==');
  for (const f of figures) {
    const verdict = f.goal === null ? 'no goal' : `goal >= ${fmt(f.goal)}: ${f.value >= f.goal ? 'met' : 'NOT met'}`;
    console.log(`  ${f.label.padEnd(58)} ${fmt(f.value).padStart(8)} ${f.unit.padEnd(14)} ${verdict}`);
  }
}
