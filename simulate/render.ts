/**
 * How a simulation is shown: a mail-safe text table (ASCII, at most 80 columns, no trailing
 * blanks), a stable JSON document, and an SVG plot (failure rate against the swept parameter,
 * one line per variant, one panel per device) that needs no browser: plain SVG 1.1, no
 * scripts, no CSS, no external fonts.
 */
import { boundDevices, type Cell, type SimulateResult } from './sweep.ts';

export const JSON_VERSION = 1;

const pct = (x: number): string => (x >= 0.9995 ? '100' : (100 * x).toFixed(1));

/** `19.2+-2.6`: the rate in %, and the larger side of its 95% interval. */
export function formatCell(c: Cell): string {
  if (c.rate === null) return '-';
  const half = 100 * Math.max(c.hi! - c.rate, c.rate - c.lo!);
  return `${pct(c.rate)}+-${half >= 9.95 ? half.toFixed(0) : half.toFixed(1)}`;
}

/** Reasons by share of failures, largest first: `ENOSPC 71%, pool 29%`. */
export function formatWhy(why: Readonly<Record<string, number>>): string {
  const total = Object.values(why).reduce((s, n) => s + n, 0);
  if (total === 0) return 'no failure';
  return Object.entries(why).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${Math.round((100 * n) / total)}%`).join(', ');
}

/** Words wrapped to `width` columns, each line starting with `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) { out.push(line); line = indent + word; }
    else line = line.trim() === '' ? indent + word : `${line} ${word}`;
  }
  if (line.trim() !== '') out.push(line);
  return out;
}

/** A shell command in lines of at most `width` columns, continued with backslashes before options. */
export function shellLines(cmd: string, width: number, indent: string): string[] {
  const parts = cmd.split(/ (?=--)/);
  const out: string[] = [];
  let line = indent + parts[0];
  for (const p of parts.slice(1)) {
    if (line.length + 1 + p.length + 2 > width) { out.push(`${line} \\`); line = `${indent}  ${p}`; }
    else line = `${line} ${p}`;
  }
  out.push(line);
  return out;
}

/** A variant name in two header lines of at most `w` columns, split after a hyphen. */
function headerLines(name: string, w: number): [string, string] {
  if (name.length <= w) return ['', name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '-') continue;
    for (const cut of [i + 1, i]) if (cut <= w && name.length - cut <= w) return [name.slice(0, cut), name.slice(cut)];
  }
  return [name.slice(0, w), name.slice(w, 2 * w)];
}

const COL = 9;

function sumWhy(cells: readonly Cell[]): Record<string, number> {
  const why: Record<string, number> = {};
  for (const c of cells) for (const [k, n] of Object.entries(c.why)) why[k] = (why[k] ?? 0) + n;
  return why;
}

/** One block: the rates of `key` (a device or a holder class) at every point, per variant. */
function block(r: SimulateResult, title: string[], pick: (v: SimulateResult['points'][number]['byVariant'][number]) => Cell, label: (name: string) => string = (n) => n): string[] {
  const names = r.variants.map((v) => v.name);
  const param = r.sweep.param === 'load' ? 'load' : 'value';
  const heads = names.map((n) => headerLines(label(n), COL));
  const row = (first: string, cells: string[]) => (first.padStart(6) + cells.map((c) => ' ' + c.padEnd(COL)).join('')).trimEnd();
  const lines = [...title];
  if (heads.some((h) => h[0] !== '')) lines.push(row('', heads.map((h) => h[0])));
  lines.push(row(param, heads.map((h) => h[1])));
  for (const p of r.points) lines.push(row(fmtValue(p.value), p.byVariant.map((v) => formatCell(pick(v)))));
  lines.push('  failures by reason, all points:');
  for (const [i, name] of names.entries()) {
    const why = sumWhy(r.points.map((p) => pick(p.byVariant[i])));
    lines.push(...wrap(formatWhy(why), 80, '    ' + name.padEnd(15)).map((l, j) => (j === 0 ? l : '      ' + l.trimStart())));
  }
  return lines;
}

const fmtValue = (v: number): string => (Number.isInteger(v) ? String(v) : String(+v.toPrecision(4)));

/**
 * One block per device some process binds: its rate per point and variant, and the reasons.
 * `label` names a variant's column (a report may abbreviate, to keep the header on one line).
 */
export function deviceBlocks(r: SimulateResult, label?: (variant: string) => string): string[] {
  const w = r.workload;
  return boundDevices(w).flatMap((dev) => {
    const d = w.devices.find((x) => x.name === dev)!;
    const users = w.processes.flatMap((p) => p.binds.filter((b) => b.dev === dev).map((b) => `${p.name} ${b.api}`));
    return ['', ...wrap(`${dev} (ssid_bits ${d.ssidBits}): ${users.join(', ')}`, 80), ...block(r, [], (v) => v.devices[dev], label)];
  });
}

/** The text table. */
export function renderText(r: SimulateResult, replay: string): string {
  const w = r.workload;
  const out: string[] = [
    `svacheck simulate: workload ${w.name}, seed ${r.seed}`,
    ...wrap(`${r.replications} independent runs of ${r.horizon} time units per point (the first ${+(w.warmup).toPrecision(4)} not counted), common random numbers across variants.`, 80),
    ...wrap(`Sweeping ${r.sweep.param}${r.sweep.param === 'load' ? ' (x every process class\'s start rate)' : ''}. Cells: binds failed, % +- the larger side of the 95% interval.`, 80),
    ...wrap(`Engines: ${engines(r)}.`, 80),
  ];
  out.push(...deviceBlocks(r));
  for (const h of w.holders) {
    if (h.rate === undefined) continue;
    out.push('', ...wrap(`${h.name}: alloc_global on ${h.device}${h.attach ? ', then attach_pasid' : ''} (holders failed, %)`, 80));
    out.push(...block(r, [], (v) => v.holders[h.name]));
  }
  const refused = r.points.reduce((s, p) => s + p.byVariant.reduce((t, v) => t + v.refused, 0), 0);
  out.push('', ...wrap('Reasons: an errno of the kernel call; pool: the driver\'s own PASID pool had none free (no kernel call); INVALID: alloc_global found no id. A variant without bind_pasid is driven with bind.', 80));
  out.push(...wrap(`${r.ops} kernel calls simulated${r.checked > 0 ? `, ${r.checked} of them compared with the spec step by step (no difference)` : ''}.${refused > 0 ? ` ${refused} process starts refused at max_processes.` : ''}`, 80));
  out.push('Replay:', ...shellLines(replay, 80, '  '));
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

function engines(r: SimulateResult): string {
  const by = (e: string) => r.variants.filter((v) => v.engine === e).map((v) => v.name);
  return [by('impl').length ? `impl/ for ${by('impl').join(', ')}` : '', by('spec').length ? `spec/ for ${by('spec').join(', ')}` : ''].filter(Boolean).join('; ');
}

/** The JSON document (version 1); `ms` is a timing field. */
export function renderJson(r: SimulateResult, replay: string): string {
  const cell = (c: Cell) => ({ attempts: c.attempts, failures: c.failures, rate: c.rate, lo: c.lo, hi: c.hi, why: c.why });
  return JSON.stringify({
    command: 'simulate', version: JSON_VERSION, workload: r.workload.name, seed: r.seed, replay,
    sweep: r.sweep, replications: r.replications, horizon: r.horizon, warmup: r.workload.warmup,
    variants: r.variants, ops: r.ops, checked: r.checked,
    points: r.points.map((p) => ({
      value: p.value, offered: p.offered,
      variants: Object.fromEntries(p.byVariant.map((v) => [v.variant, {
        devices: Object.fromEntries(Object.entries(v.devices).map(([k, c]) => [k, cell(c)])),
        holders: Object.fromEntries(Object.entries(v.holders).map(([k, c]) => [k, cell(c)])),
        ops: v.ops, refused: v.refused,
      }])),
    })),
    timing: { ms: Math.round(r.ms) },
  }, null, 2) + '\n';
}

// ---- SVG --------------------------------------------------------------------------------------

/** Okabe-Ito colours (distinct for colour-blind readers), with dashes and markers for grey print. */
const COLOURS = ['#000000', '#E69F00', '#0072B2', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#999999'];
const DASHES = ['', '7,4', '2,3', '9,3,2,3', '4,2', '12,4', '1,2', '6,2,2,2'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'down', 'plus', 'cross', 'star'] as const;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (x: number): string => (+x.toFixed(1)).toString();

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const s = 4;
  const poly = (pts: [number, number][]) => `<polygon points="${pts.map(([a, b]) => `${n(x + a)},${n(y + b)}`).join(' ')}" fill="white" stroke="${colour}" stroke-width="1.5"/>`;
  switch (kind) {
    case 'circle': return `<circle cx="${n(x)}" cy="${n(y)}" r="${s}" fill="white" stroke="${colour}" stroke-width="1.5"/>`;
    case 'square': return poly([[-s, -s], [s, -s], [s, s], [-s, s]]);
    case 'triangle': return poly([[0, -s - 1], [s + 1, s], [-s - 1, s]]);
    case 'down': return poly([[0, s + 1], [s + 1, -s], [-s - 1, -s]]);
    case 'diamond': return poly([[0, -s - 1], [s + 1, 0], [0, s + 1], [-s - 1, 0]]);
    case 'plus': return `<path d="M${n(x - s - 1)},${n(y)}H${n(x + s + 1)}M${n(x)},${n(y - s - 1)}V${n(y + s + 1)}" stroke="${colour}" stroke-width="2"/>`;
    case 'cross': return `<path d="M${n(x - s)},${n(y - s)}L${n(x + s)},${n(y + s)}M${n(x - s)},${n(y + s)}L${n(x + s)},${n(y - s)}" stroke="${colour}" stroke-width="2"/>`;
    case 'star': return poly(Array.from({ length: 10 }, (_, i) => {
      const a = (Math.PI * i) / 5 - Math.PI / 2, r = i % 2 === 0 ? s + 1.5 : s / 2;
      return [r * Math.cos(a), r * Math.sin(a)] as [number, number];
    }));
  }
}

/** Tick values for [0, max]: 1, 2 or 5 times a power of ten, about 6 of them. */
function ticks(max: number): number[] {
  const raw = max / 6, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = 0; t <= max + step / 1e6; t += step) out.push(+t.toPrecision(6));
  return out;
}

/** The SVG plot: one panel per device some process binds; failure rate (%) against the swept parameter. */
export function renderSvg(r: SimulateResult, replay: string): string {
  const devs = boundDevices(r.workload);
  const W = 800, left = 64, plotW = 500, legendX = left + plotW + 28;
  const top = 84, panelH = 230, gap = 64;
  const H = top + devs.length * (panelH + gap) + 30;
  const xs = r.points.map((p) => p.value);
  const xMax = Math.max(...xs), xMin = Math.min(0, ...xs);
  const X = (v: number) => left + ((v - xMin) / (xMax - xMin || 1)) * plotW;
  const xLabel = r.sweep.param === 'load'
    ? 'load (x the workload\'s process start rates; seed workload: mean processes alive)'
    : r.sweep.param;
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">Bind failure rate by variant: workload ${esc(r.workload.name)}</text>`,
    `<text x="${left}" y="40" fill="#333">${esc(`${r.replications} runs x ${r.horizon} time units per point, seed ${r.seed}; bars: 95% intervals; points dodged sideways so equal values stay visible`)}</text>`,
  ];
  const dodge = (i: number) => (i - (r.variants.length - 1) / 2) * 2.5;
  devs.forEach((dev, k) => {
    const y0 = top + k * (panelH + gap), Y = (p: number) => y0 + panelH - p * panelH;
    const d = r.workload.devices.find((x) => x.name === dev)!;
    o.push(`<text x="${left}" y="${y0 - 10}" font-size="14" font-weight="bold">${esc(`${dev}: ssid_bits ${d.ssidBits} (${2 ** d.ssidBits - 1} usable PASID${d.ssidBits === 1 ? '' : 's'})`)}</text>`);
    o.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${panelH}" fill="none" stroke="#444"/>`);
    for (let p = 0; p <= 100; p += 20) {
      const y = Y(p / 100);
      o.push(`<line x1="${left}" y1="${n(y)}" x2="${left + plotW}" y2="${n(y)}" stroke="#ddd"/>`);
      o.push(`<text x="${left - 6}" y="${n(y + 4)}" text-anchor="end">${p}%</text>`);
    }
    for (const t of ticks(xMax)) {
      if (t < xMin) continue;
      o.push(`<line x1="${n(X(t))}" y1="${y0 + panelH}" x2="${n(X(t))}" y2="${y0 + panelH + 5}" stroke="#444"/>`);
      o.push(`<text x="${n(X(t))}" y="${y0 + panelH + 18}" text-anchor="middle">${fmtValue(t)}</text>`);
    }
    o.push(`<text x="${left + plotW / 2}" y="${y0 + panelH + 36}" text-anchor="middle">${esc(xLabel)}</text>`);
    o.push(`<text transform="translate(${left - 44},${y0 + panelH / 2}) rotate(-90)" text-anchor="middle">binds failed</text>`);
    r.variants.forEach((v, i) => {
      const c = COLOURS[i % COLOURS.length];
      const pts = r.points.map((p) => ({ x: X(p.value) + dodge(i), cell: p.byVariant[i].devices[dev] })).filter((p) => p.cell.rate !== null);
      if (pts.length === 0) return;
      o.push(`<polyline points="${pts.map((p) => `${n(p.x)},${n(Y(p.cell.rate!))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"${DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : ''}/>`);
      for (const p of pts) {
        o.push(`<line x1="${n(p.x)}" y1="${n(Y(p.cell.lo!))}" x2="${n(p.x)}" y2="${n(Y(p.cell.hi!))}" stroke="${c}" stroke-width="1"/>`);
        o.push(marker(MARKERS[i % MARKERS.length], p.x, Y(p.cell.rate!), c));
      }
    });
  });
  // The legend, once, beside the first panel.
  o.push(`<text x="${legendX}" y="${top + 4}" font-weight="bold">variant</text>`);
  r.variants.forEach((v, i) => {
    const y = top + 24 + i * 22, c = COLOURS[i % COLOURS.length];
    o.push(`<line x1="${legendX}" y1="${y}" x2="${legendX + 40}" y2="${y}" stroke="${c}" stroke-width="2"${DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : ''}/>`);
    o.push(marker(MARKERS[i % MARKERS.length], legendX + 20, y, c));
    o.push(`<text x="${legendX + 48}" y="${y + 4}">${esc(v.name)}</text>`);
  });
  o.push(`<text x="${left}" y="${H - 10}" fill="#333" font-size="11">${esc(`made by: ${replay}`)}</text>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}
