/**
 * Workloads: who uses which device how often. A workload is YAML; errors name the file, the
 * line and the key. The format (docs/simulate.md):
 *
 * ```yaml
 * name: seed
 * devices:                           # as in litmus files: ssid_bits, group, iommu
 *   accel: { ssid_bits: 2 }
 * iommus: { smmu0: { asid_bits: 16 } }   # optional
 * processes:                         # process classes
 *   ml:    { rate: 0.3, hold: 1, binds: { accel: bind_pasid } }      # open: Poisson arrivals
 *   batch: { population: 4, think: 3, hold: 1, binds: { accel: bind } }  # closed population
 * pools:                             # the drivers' own PASID pools for bind_pasid
 *   accel: [1, 3]                    # default: every usable PASID of the device
 * holders:                           # other alloc_global users (kernel DMA PASIDs)
 *   dma:   { device: nic, rate: 0.2, hold: 5, attach: true }
 *   fixed: { device: nic, permanent: 1 }
 * on_fail: leave                     # leave: a process whose bind fails exits at once; stay
 * horizon: 500                       # simulated time per run
 * warmup: 50                         # binds before this time are not counted
 * replications: 5                    # independent runs per sweep point
 * sweep: { param: load, values: [1, 2, 4, 8] }
 * ```
 *
 * Times are in one unit of the user's choosing; rates are per that unit, holds are means.
 * Lifetimes, think times and holds are exponential.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { RESERVED_NAMES, type DeviceSetup, type IommuSetup } from '../vocab/index.ts';
import { setupProblem } from '../vocab/setup.ts';

export type Api = 'bind' | 'bind_pasid';

export interface ProcessClass {
  readonly name: string;
  /** Open class: arrivals per time unit (Poisson). */
  readonly rate?: number;
  /** Closed class: this many processes, each thinking `think` (mean) between lifetimes. */
  readonly population?: number;
  readonly think?: number;
  /** Mean lifetime. */
  readonly hold: number;
  /** The devices it binds, in order, each with the API its driver calls. */
  readonly binds: readonly { readonly dev: string; readonly api: Api }[];
}

export interface HolderClass {
  readonly name: string;
  /** The device alloc_global is called for (its max_pasids bounds the id). */
  readonly device: string;
  /** Open churn: arrivals per time unit and mean hold. */
  readonly rate?: number;
  readonly hold?: number;
  /** Ids taken at time 0 and never freed. */
  readonly permanent?: number;
  /** Attach a kernel domain at the id on the device (as idxd does with its DMA PASID). */
  readonly attach: boolean;
}

/** A PASID pool: inclusive ranges, ascending, disjoint. */
export type Pool = readonly (readonly [number, number])[];

export interface Sweep {
  /** `load`, or a workload path: processes.NAME.rate|hold|population|think, holders.NAME.rate|hold|permanent. */
  readonly param: string;
  readonly values: readonly number[];
}

export interface Workload {
  readonly name: string;
  readonly doc: string;
  readonly devices: readonly DeviceSetup[];
  readonly iommus: readonly IommuSetup[];
  readonly processes: readonly ProcessClass[];
  readonly pools: Readonly<Record<string, Pool>>;
  readonly holders: readonly HolderClass[];
  readonly onFail: 'leave' | 'stay';
  readonly horizon: number;
  readonly warmup: number;
  readonly replications: number;
  readonly sweep: Sweep;
  /** Processes alive at once at most (a pid limit); 'auto': far above what the load reaches. */
  readonly maxProcesses: number | 'auto';
}

export class WorkloadError extends Error {
  constructor(readonly file: string, readonly line: number | null, readonly reason: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`);
  }
}

type Raw = Record<string, unknown>;
const isObj = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parse a workload's YAML text; `file` names it in errors. */
export function parseWorkload(text: string, file: string): Workload {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new WorkloadError(file, lines.linePos(doc.errors[0].pos[0]).line, `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const bad = (path: readonly (string | number)[], reason: string): never => {
    throw new WorkloadError(file, lineAt(doc, lines, path), `${path.join('.') || 'workload'}: ${reason}`);
  };
  const raw: unknown = doc.toJS();
  if (!isObj(raw)) return bad([], 'must be a mapping');
  const known = ['name', 'doc', 'devices', 'iommus', 'processes', 'pools', 'holders', 'on_fail', 'horizon', 'warmup', 'replications', 'sweep', 'max_processes'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) bad([k], `unknown key (known: ${known.join(', ')})`);

  const num = (path: (string | number)[], v: unknown, min: number, opts: { int?: boolean; strict?: boolean } = {}): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.strict ? v <= min : v < min))
      return bad(path, `must be ${opts.int ? 'an integer' : 'a number'} ${opts.strict ? '>' : '>='} ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const keysOnly = (path: (string | number)[], o: Raw, allowed: readonly string[]) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad([...path, k], `unknown key (known: ${allowed.join(', ')})`);
  };

  if (typeof raw.name !== 'string' || raw.name === '') bad(['name'], 'a workload needs a name');
  if (!isObj(raw.devices) || Object.keys(raw.devices).length === 0) bad(['devices'], 'needs at least one device');
  const devices: DeviceSetup[] = Object.entries(raw.devices as Raw).map(([name, d]) => {
    if (!isObj(d)) return bad(['devices', name], 'must be a mapping like { ssid_bits: 2 }');
    keysOnly(['devices', name], d, ['ssid_bits', 'group', 'iommu']);
    const ssidBits = num(['devices', name, 'ssid_bits'], d.ssid_bits, 0, { int: true });
    return { name, ssidBits, ...(d.group !== undefined ? { group: String(d.group) } : {}), ...(d.iommu !== undefined ? { iommu: d.iommu === null ? null : String(d.iommu) } : {}) };
  });
  const iommus: IommuSetup[] = isObj(raw.iommus) ? Object.entries(raw.iommus).map(([name, i]) => {
    if (!isObj(i)) return bad(['iommus', name], 'must be a mapping like { asid_bits: 16 }');
    keysOnly(['iommus', name], i, ['asid_bits', 'sva']);
    return { name, ...(i.asid_bits !== undefined ? { asidBits: num(['iommus', name, 'asid_bits'], i.asid_bits, 1, { int: true }) } : {}), ...(i.sva !== undefined ? { sva: Boolean(i.sva) } : {}) };
  }) : [];
  const problem = setupProblem({ devices, iommus, mms: [] }, RESERVED_NAMES);
  if (problem) bad(['devices'], problem);
  const devNames = devices.map((d) => d.name);
  const device = (path: (string | number)[], v: unknown): string =>
    typeof v === 'string' && devNames.includes(v) ? v : bad(path, `unknown device ${JSON.stringify(v)} (devices: ${devNames.join(', ')})`);

  // alloc_global reads dev->iommu without a check: calling it for a device behind no IOMMU is a caller bug.
  const behindIommu = (path: (string | number)[], dev: string): string =>
    devices.find((d) => d.name === dev)!.iommu === null ? bad(path, `${dev} sits behind no IOMMU: alloc_global cannot be called for it`) : dev;

  if (!isObj(raw.processes) || Object.keys(raw.processes).length === 0) bad(['processes'], 'needs at least one process class');
  const processes: ProcessClass[] = Object.entries(raw.processes as Raw).map(([name, p]) => {
    const at = ['processes', name];
    if (!isObj(p)) return bad(at, 'must be a mapping like { rate: 1, hold: 1, binds: { accel: bind } }');
    keysOnly(at, p, ['rate', 'population', 'think', 'hold', 'binds']);
    if ((p.rate === undefined) === (p.population === undefined)) bad(at, 'give either rate (open arrivals) or population and think (a closed population)');
    if (p.population !== undefined && p.think === undefined) bad(at, 'a closed population needs think (the mean time between a process leaving and its next start)');
    if (!isObj(p.binds) || Object.keys(p.binds).length === 0) bad([...at, 'binds'], 'needs at least one device, like { accel: bind_pasid }');
    const binds = Object.entries(p.binds as Raw).map(([dev, api]) => {
      device([...at, 'binds', dev], dev);
      if (api !== 'bind' && api !== 'bind_pasid') bad([...at, 'binds', dev], `the API is bind or bind_pasid, got ${JSON.stringify(api)}`);
      return { dev, api: api as Api };
    });
    return {
      name,
      ...(p.rate !== undefined ? { rate: num([...at, 'rate'], p.rate, 0) } : {}),
      ...(p.population !== undefined ? { population: num([...at, 'population'], p.population, 0, { int: true }), think: num([...at, 'think'], p.think, 0, { strict: true }) } : {}),
      hold: num([...at, 'hold'], p.hold, 0, { strict: true }),
      binds,
    };
  });

  const pools: Record<string, Pool> = {};
  if (raw.pools !== undefined) {
    if (!isObj(raw.pools)) bad(['pools'], 'must map devices to PASID lists');
    for (const [dev, list] of Object.entries(raw.pools as Raw)) {
      device(['pools', dev], dev);
      pools[dev] = parsePool(list, (reason) => bad(['pools', dev], reason));
    }
  }

  const holders: HolderClass[] = raw.holders === undefined ? [] : !isObj(raw.holders) ? bad(['holders'], 'must be a mapping of holder classes') :
    Object.entries(raw.holders).map(([name, h]) => {
      const at = ['holders', name];
      if (!isObj(h)) return bad(at, 'must be a mapping like { device: nic, rate: 0.2, hold: 5 }');
      keysOnly(at, h, ['device', 'rate', 'hold', 'permanent', 'attach']);
      if (h.rate === undefined && h.permanent === undefined) bad(at, 'give rate and hold (churn), permanent (ids held for good), or both');
      if ((h.rate === undefined) !== (h.hold === undefined)) bad(at, 'rate and hold go together');
      return {
        name, device: behindIommu([...at, 'device'], device([...at, 'device'], h.device)),
        ...(h.rate !== undefined ? { rate: num([...at, 'rate'], h.rate, 0), hold: num([...at, 'hold'], h.hold, 0, { strict: true }) } : {}),
        ...(h.permanent !== undefined ? { permanent: num([...at, 'permanent'], h.permanent, 0, { int: true }) } : {}),
        attach: h.attach === undefined ? true : h.attach === true ? true : h.attach === false ? false : bad([...at, 'attach'], 'true or false'),
      };
    });

  const classNames = [...processes.map((p) => p.name), ...holders.map((h) => h.name)];
  const dup = classNames.find((n, i) => classNames.indexOf(n) !== i);
  if (dup !== undefined) bad([], `'${dup}' names both a process class and a holder class`);

  const onFail = raw.on_fail === undefined ? 'leave' : raw.on_fail === 'leave' || raw.on_fail === 'stay' ? raw.on_fail : bad(['on_fail'], 'leave or stay');
  const horizon = num(['horizon'], raw.horizon ?? 500, 0, { strict: true });
  const warmup = num(['warmup'], raw.warmup ?? horizon / 10, 0);
  if (warmup >= horizon) bad(['warmup'], `must be below the horizon (${horizon})`);
  const replications = num(['replications'], raw.replications ?? 5, 1, { int: true });
  const maxProcesses = raw.max_processes === undefined || raw.max_processes === 'auto' ? 'auto' : num(['max_processes'], raw.max_processes, 1, { int: true });
  let sweep: Sweep = { param: 'load', values: [1, 2, 4, 8] };
  if (raw.sweep !== undefined) {
    if (!isObj(raw.sweep)) bad(['sweep'], 'must be a mapping like { param: load, values: [1, 2, 4] }');
    const s = raw.sweep as Raw;
    keysOnly(['sweep'], s, ['param', 'values']);
    if (!Array.isArray(s.values) || s.values.length === 0) bad(['sweep', 'values'], 'needs a list of numbers');
    sweep = { param: typeof s.param === 'string' ? s.param : 'load', values: (s.values as unknown[]).map((v, i) => num(['sweep', 'values', i], v, 0)) };
  }
  const w: Workload = {
    name: raw.name as string, doc: typeof raw.doc === 'string' ? raw.doc.trim() : '', devices, iommus, processes, pools, holders,
    onFail, horizon, warmup, replications, sweep, maxProcesses,
  };
  const sweepProblem = paramProblem(w, sweep.param);
  if (sweepProblem) bad(['sweep', 'param'], sweepProblem);
  return w;
}

/** `[1, 3]` is PASIDs 1 and 3; `["1-3", 7]` is 1, 2, 3 and 7. */
function parsePool(list: unknown, bad: (reason: string) => never): Pool {
  if (!Array.isArray(list) || list.length === 0) return bad('a pool is a non-empty list of PASIDs or ranges like "1-3"');
  const ranges: [number, number][] = list.map((x) => {
    if (typeof x === 'number' && Number.isInteger(x) && x >= 1) return [x, x];
    const m = typeof x === 'string' ? /^(\d+)-(\d+)$/.exec(x.trim()) : null;
    if (m && Number(m[1]) >= 1 && Number(m[1]) <= Number(m[2])) return [Number(m[1]), Number(m[2])];
    return bad(`${JSON.stringify(x)} is not a PASID (>= 1) or a range like "1-3"`);
  });
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) if (ranges[i][0] <= ranges[i - 1][1]) bad(`PASID ${ranges[i][0]} is listed twice`);
  return ranges;
}

function lineAt(doc: Document, lines: LineCounter, path: readonly (string | number)[]): number | null {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}

/** Why `param` cannot be swept on this workload, or null. */
export function paramProblem(w: Workload, param: string): string | null {
  if (param === 'load') return null;
  const [kind, name, field, ...rest] = param.split('.');
  const fields = kind === 'processes' ? ['rate', 'hold', 'population', 'think'] : kind === 'holders' ? ['rate', 'hold', 'permanent'] : null;
  if (fields === null || rest.length > 0 || field === undefined)
    return `cannot sweep '${param}': use load, processes.NAME.{rate,hold,population,think} or holders.NAME.{rate,hold,permanent}`;
  const cls = (kind === 'processes' ? w.processes : w.holders).find((c) => c.name === name);
  if (!cls) return `cannot sweep '${param}': no ${kind === 'processes' ? 'process' : 'holder'} class '${name}'`;
  if (!fields.includes(field)) return `cannot sweep '${param}': ${kind} have ${fields.join(', ')}`;
  if ((cls as unknown as Raw)[field] === undefined) return `cannot sweep '${param}': class '${name}' has no ${field}`;
  return null;
}

/**
 * The workload with `param` set to `value`. `load` multiplies every process class's arrival
 * rate (open) and start rate 1/think (closed); holders keep their own churn.
 */
export function withParam(w: Workload, param: string, value: number): Workload {
  const problem = paramProblem(w, param);
  if (problem) throw new Error(problem);
  if (param === 'load')
    return { ...w, processes: w.processes.map((p) => (p.rate !== undefined ? { ...p, rate: p.rate * value } : { ...p, think: p.think! / value })) };
  const [kind, name, field] = param.split('.');
  if (field === 'population' || field === 'permanent') {
    if (!Number.isInteger(value)) throw new Error(`${param} must be an integer, got ${value}`);
  }
  const set = <T extends { name: string }>(xs: readonly T[]): T[] => xs.map((c) => (c.name === name ? { ...c, [field]: value } : c));
  return kind === 'processes' ? { ...w, processes: set(w.processes) } : { ...w, holders: set(w.holders) };
}

/** Mean processes alive if no bind ever failed: open classes rate × hold, closed ones N·hold/(think+hold). */
export function offeredLoad(w: Workload): number {
  return w.processes.reduce((s, p) => s + (p.rate !== undefined ? p.rate * p.hold : p.population! * p.hold / (p.think! + p.hold)), 0);
}

/** The pool of `dev`: the workload's, or every usable PASID (1 .. 2^ssid_bits - 1). */
export function poolOf(w: Workload, dev: string): Pool {
  const given = w.pools[dev];
  if (given) return given;
  const bits = w.devices.find((d) => d.name === dev)!.ssidBits;
  return bits === 0 ? [] : [[1, 2 ** bits - 1]];
}

export const SEED_WORKLOAD_FILE = fileURLToPath(new URL('./workloads/seed.yaml', import.meta.url));

/** The seed's workload (simulate/workloads/seed.yaml). */
export function seedWorkload(): Workload {
  return parseWorkload(readFileSync(SEED_WORKLOAD_FILE, 'utf8'), 'bundled:seed');
}

/** A workload file; read errors become WorkloadErrors. */
export function loadWorkloadFile(path: string): Workload {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new WorkloadError(path, null, `cannot read: ${(e as Error).message}`);
  }
  return parseWorkload(text, path);
}
