/**
 * Model configurations: the sizes of a model-checking run, kept outside the spec (like TLA+
 * .cfg files). A configuration is YAML; errors name the file and line.
 *
 * ```yaml
 * name: seed-small
 * doc: what this configuration is for
 * variants: [upstream, v1, v2, per-device]     # default: every variant
 * devices:
 *   accel: { ssid_bits: 2 }                     # group, iommu as in litmus files
 *   dsp:   { ssid_bits: 1 }
 * iommus: { smmu0: { asid_bits: 16 } }          # optional
 * processes: 2                                  # mms A, B, ... (or a list of names)
 * ops: [bind, bind_pasid, unbind, mm_exit]      # default: all; each variant runs the ones it has
 * bounds:
 *   handle_users: 2           # a handle never gets more users (successors beyond are cut)
 *   alloc_global_holders: 1   # alloc_global is not called while this many ids are held
 *   pasids: 3                 # PASIDs tried per device: 0, 1..min(max-1, pasids), max (out of range)
 *   depth: 0                  # 0: unbounded
 * invariants: all             # or a list of invariant names
 * symmetry: true              # processes, and devices with identical configuration, interchangeable
 * expect:                     # documented findings: invariants a variant is expected to break
 *   per-device: [enqcmdPasidIsGlobalAndMeansItsMm]
 * ```
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { INVARIANTS } from '../spec/index.ts';
import { OP_NAMES, RESERVED_NAMES, VARIANTS, type DeviceSetup, type IoasidSetup, type IommuSetup, type OpName, type Setup, type VariantName } from '../vocab/index.ts';
import { setupProblem } from '../vocab/setup.ts';
import { readInputFile } from '../vocab/files.ts';

export interface Bounds {
  /** Largest users count of a handle; successor states beyond it are cut (a TLC constraint). */
  readonly handleUsers: number;
  /** alloc_global is offered only while fewer ids than this are held by its callers. */
  readonly allocGlobalHolders: number;
  /** Local PASIDs tried per device for bind_pasid, attach_pasid, dma: 0, 1..min(max-1, K), max. */
  readonly pasids: number;
  /** Largest number of operations from the initial state; 0: unbounded. */
  readonly depth: number;
}

export interface ModelConfig {
  readonly name: string;
  readonly doc: string;
  /** Where it came from (file path or `bundled:NAME`), for messages. */
  readonly source: string;
  readonly variants: readonly VariantName[];
  readonly setup: Setup;
  readonly ops: readonly OpName[];
  readonly bounds: Bounds;
  /** Invariant names checked on every state. */
  readonly invariants: readonly string[];
  readonly symmetry: boolean;
  /** Invariants each variant is expected to break: documented design findings. */
  readonly expect: Partial<Record<VariantName, readonly string[]>>;
}

export const DEFAULT_BOUNDS: Bounds = { handleUsers: 2, allocGlobalHolders: 1, pasids: 3, depth: 0 };

export class ConfigError extends Error {
  constructor(readonly file: string, readonly line: number | null, readonly reason: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`);
  }
}

const MM_NAMES = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

/** Parse a configuration's YAML text; `file` names it in errors. */
export function parseConfig(text: string, file: string): ModelConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: unknown): number | null => {
    const range = (node as Node | undefined)?.range;
    return range ? lines.linePos(range[0]).line : null;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ConfigError(file, lines.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new ConfigError(file, lineOf(root), 'a model configuration is a YAML mapping');
  const fail = (node: unknown, reason: string): never => { throw new ConfigError(file, lineOf(node), reason); };
  const known = ['name', 'doc', 'variants', 'devices', 'iommus', 'ioasid', 'processes', 'mms', 'ops', 'bounds', 'invariants', 'symmetry', 'expect'];
  for (const item of root.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    if (!known.includes(key)) fail(item.key, `unknown key '${key}' (known: ${known.join(', ')})`);
  }
  const get = (key: string) => root.get(key, true) as Node | undefined;
  const str = (key: string, dflt?: string): string => {
    const n = get(key);
    if (n === undefined) { if (dflt !== undefined) return dflt; return fail(root, `missing '${key}'`); }
    if (!isScalar(n) || typeof n.value !== 'string') return fail(n, `'${key}' must be a string`);
    return n.value;
  };
  const intOf = (n: Node, what: string, min: number, max: number): number => {
    if (!isScalar(n) || typeof n.value !== 'number' || !Number.isInteger(n.value) || n.value < min || n.value > max)
      return fail(n, `${what} must be an integer in ${min}..${max}`);
    return n.value;
  };
  const names = (n: Node, what: string): string[] => {
    if (!isSeq(n)) return fail(n, `${what} must be a list`);
    return n.items.map((x) => (isScalar(x) && typeof x.value === 'string' ? x.value : fail(x, `${what}: expected a name`)));
  };

  const name = str('name');
  const variantsNode = get('variants');
  const variants = variantsNode === undefined ? [...VARIANTS] : names(variantsNode, 'variants').map((v, i) =>
    (VARIANTS as readonly string[]).includes(v) ? (v as VariantName) : fail((variantsNode as { items: Node[] }).items[i], `unknown variant '${v}' (known: ${VARIANTS.join(', ')})`));

  const devicesNode = get('devices');
  if (!isMap(devicesNode) || devicesNode.items.length === 0) return fail(devicesNode ?? root, "'devices' must map device names to { ssid_bits, group?, iommu? }");
  const devices: DeviceSetup[] = devicesNode.items.map((item) => {
    const dname = isScalar(item.key) ? String(item.key.value) : fail(item.key, 'a device name');
    const v = item.value as Node;
    if (!isMap(v)) return fail(v ?? item.key, `device ${dname}: expected { ssid_bits: N }`);
    for (const it of v.items) {
      const k = isScalar(it.key) ? String(it.key.value) : '';
      if (!['ssid_bits', 'group', 'iommu', 'min_pasid', 'max_pasid'].includes(k)) fail(it.key, `device ${dname}: unknown key '${k}' (known: ssid_bits, group, iommu, min_pasid, max_pasid)`);
    }
    const bits = v.get('ssid_bits', true) as Node | undefined;
    if (bits === undefined) return fail(v, `device ${dname}: missing ssid_bits`);
    const group = v.get('group', true) as Node | undefined;
    const iommu = v.get('iommu', true) as Node | undefined;
    const out: { name: string; ssidBits: number; group?: string; iommu?: string | null; minPasid?: number; maxPasid?: number } = { name: dname, ssidBits: intOf(bits, `device ${dname}: ssid_bits`, 0, 20) };
    const minP = v.get('min_pasid', true) as Node | undefined, maxP = v.get('max_pasid', true) as Node | undefined;
    if (minP !== undefined) out.minPasid = intOf(minP, `device ${dname}: min_pasid`, 1, 2 ** 20 - 1);
    if (maxP !== undefined) out.maxPasid = intOf(maxP, `device ${dname}: max_pasid`, 0, 2 ** 20 - 1);
    if (group !== undefined) out.group = isScalar(group) ? String(group.value) : fail(group, `device ${dname}: group must be a name`);
    if (iommu !== undefined) out.iommu = isScalar(iommu) && iommu.value === null ? null : isScalar(iommu) ? String(iommu.value) : fail(iommu, `device ${dname}: iommu must be a name or null`);
    return out;
  });

  const iommusNode = get('iommus');
  let iommus: IommuSetup[] | undefined;
  if (iommusNode !== undefined) {
    if (!isMap(iommusNode)) return fail(iommusNode, "'iommus' must map names to { asid_bits?, sva? }");
    iommus = iommusNode.items.map((item) => {
      const iname = isScalar(item.key) ? String(item.key.value) : fail(item.key, 'an IOMMU name');
      const v = item.value as Node;
      if (!isMap(v)) return fail(v ?? item.key, `iommu ${iname}: expected { asid_bits?, sva? }`);
      const out: { name: string; asidBits?: number; sva?: boolean } = { name: iname };
      for (const it of v.items) {
        const k = isScalar(it.key) ? String(it.key.value) : '';
        const val = it.value as Node;
        if (k === 'asid_bits') out.asidBits = intOf(val, `iommu ${iname}: asid_bits`, 1, 16);
        else if (k === 'sva') out.sva = isScalar(val) && typeof val.value === 'boolean' ? val.value : fail(val, `iommu ${iname}: sva must be true or false`);
        else fail(it.key, `iommu ${iname}: unknown key '${k}'`);
      }
      return out;
    });
  }

  if (get('processes') !== undefined && get('mms') !== undefined) fail(get('mms'), "give 'processes' or 'mms', not both (they name the same thing)");
  const procNode = get('processes') ?? get('mms');
  let mms: string[];
  if (procNode === undefined) mms = ['A', 'B'];
  else if (isSeq(procNode)) mms = names(procNode, 'processes');
  else mms = [...MM_NAMES.slice(0, intOf(procNode, 'processes', 1, MM_NAMES.length))];

  // ioasid-2020: { capacity?, system_quota?, sets?: { name: quota } }
  const ioasidNode = get('ioasid');
  let ioasid: IoasidSetup | undefined;
  if (ioasidNode !== undefined) {
    if (!isMap(ioasidNode)) fail(ioasidNode, "'ioasid' must map capacity?, system_quota?, sets? to values");
    const x: { capacity?: number; systemQuota?: number; sets?: { name: string; quota: number }[] } = {};
    for (const it of (ioasidNode as { items: { key: Node; value: Node }[] }).items) {
      const k = isScalar(it.key) ? String(it.key.value) : '';
      if (k === 'capacity') x.capacity = intOf(it.value, 'ioasid.capacity', 0, 2 ** 20);
      else if (k === 'system_quota') x.systemQuota = intOf(it.value, 'ioasid.system_quota', 0, 2 ** 20);
      else if (k === 'sets') {
        if (!isMap(it.value)) fail(it.value, "'ioasid.sets' must map set names to quotas");
        x.sets = (it.value as unknown as { items: { key: Node; value: Node }[] }).items.map((s) => {
          const sname = isScalar(s.key) ? String(s.key.value) : fail(s.key, 'a set name');
          return { name: sname, quota: intOf(s.value, `ioasid.sets.${sname}`, 0, 2 ** 20) };
        });
      } else fail(it.key, `ioasid: unknown key '${k}' (known: capacity, system_quota, sets)`);
    }
    ioasid = x;
  }
  const setup: Setup = { devices, ...(iommus ? { iommus } : {}), mms, ...(ioasid ? { ioasid } : {}) };
  const problem = setupProblem(setup, RESERVED_NAMES);
  if (problem) fail(devicesNode, problem);

  const opsNode = get('ops');
  const ops = opsNode === undefined ? [...OP_NAMES] : names(opsNode, 'ops').map((o, i) =>
    (OP_NAMES as readonly string[]).includes(o) ? (o as OpName) : fail((opsNode as { items: Node[] }).items[i], `unknown operation '${o}' (known: ${OP_NAMES.join(', ')})`));

  if (opsNode !== undefined && ops.length === 0) fail(opsNode, "'ops' is empty: no operation would run and nothing would be checked (omit it for all)");

  const boundsNode = get('bounds');
  const bounds = { ...DEFAULT_BOUNDS };
  if (boundsNode !== undefined) {
    if (!isMap(boundsNode)) fail(boundsNode, "'bounds' must be a mapping");
    const table: Record<string, [keyof Bounds, number, number]> = {
      handle_users: ['handleUsers', 1, 15], alloc_global_holders: ['allocGlobalHolders', 0, 15],
      pasids: ['pasids', 1, 15], depth: ['depth', 0, 1000],
    };
    for (const it of (boundsNode as { items: { key: Node; value: Node }[] }).items) {
      const k = isScalar(it.key) ? String(it.key.value) : '';
      const entry = table[k];
      if (!entry) fail(it.key, `unknown bound '${k}' (known: ${Object.keys(table).join(', ')})`);
      (bounds as Record<string, number>)[entry[0]] = intOf(it.value, `bounds.${k}`, entry[1], entry[2]);
    }
  }

  const allInvariants = INVARIANTS.map((i) => i.name);
  const invNode = get('invariants');
  let invariants = allInvariants;
  if (invNode !== undefined && !(isScalar(invNode) && invNode.value === 'all')) {
    invariants = names(invNode, 'invariants');
    if (invariants.length === 0) fail(invNode, "'invariants' is empty: no invariant would be checked (omit it, or write all)");
    invariants.forEach((n, i) => { if (!allInvariants.includes(n)) fail((invNode as { items: Node[] }).items[i], `unknown invariant '${n}' (known: ${allInvariants.join(', ')})`); });
  }

  const symNode = get('symmetry');
  const symmetry = symNode === undefined ? true : isScalar(symNode) && typeof symNode.value === 'boolean' ? symNode.value : fail(symNode, "'symmetry' must be true or false");

  const expectNode = get('expect');
  const expect: Partial<Record<VariantName, string[]>> = {};
  if (expectNode !== undefined) {
    if (!isMap(expectNode)) fail(expectNode, "'expect' must map variants to lists of invariant names");
    for (const it of (expectNode as { items: { key: Node; value: Node }[] }).items) {
      const v = isScalar(it.key) ? String(it.key.value) : '';
      if (!(VARIANTS as readonly string[]).includes(v)) fail(it.key, `expect: unknown variant '${v}'`);
      const list = names(it.value, `expect.${v}`);
      list.forEach((n, i) => { if (!allInvariants.includes(n)) fail((it.value as unknown as { items: Node[] }).items[i], `expect.${v}: unknown invariant '${n}'`); });
      expect[v as VariantName] = list;
    }
  }

  return { name, doc: str('doc', ''), source: file, variants, setup, ops, bounds, invariants, symmetry, expect };
}

export function loadConfigFile(path: string): ModelConfig {
  const r = readInputFile(path);
  if (!r.ok) throw new ConfigError(path, null, r.reason);
  return parseConfig(r.text, path);
}

const CONFIG_DIR = fileURLToPath(new URL('./configs/', import.meta.url));

/** Names of the bundled configurations (model/configs/*.yaml), sorted. */
export function bundledConfigNames(): string[] {
  return readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export function loadBundledConfig(name: string): ModelConfig {
  if (!bundledConfigNames().includes(name))
    throw new ConfigError(`bundled:${name}`, null, `no bundled configuration '${name}' (bundled: ${bundledConfigNames().join(', ')})`);
  return parseConfig(readFileSync(`${CONFIG_DIR}${name}.yaml`, 'utf8'), `model/configs/${name}.yaml`);
}

export interface Manifest {
  readonly doc: string;
  /** config → variant → expected figures. */
  readonly configs: Record<string, Partial<Record<VariantName, ManifestEntry>>>;
}
export interface ManifestEntry {
  readonly distinct: number;
  /** Invariants found broken (sorted) and availability finding kinds (sorted). */
  readonly violations: readonly string[];
  readonly availability: readonly string[];
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(`${CONFIG_DIR}manifest.json`, 'utf8')) as Manifest;
}
