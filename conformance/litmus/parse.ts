/**
 * The litmus parser: YAML text → a LitmusDoc (vocab/litmus.ts), or every problem found, each
 * located (file, line, step) with a reason. It checks what can be checked without running:
 * shape, names, ranges, variants and their ops, handle names introduced before use. What only
 * a run can tell (a released handle, an exited mm) is the runner's caller-contract check.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import {
  ERRNOS, formatResult, isErrno, OP_NAMES, R, RESERVED_NAMES, VARIANTS,
  type DeviceSetup, type IoasidSetup, type IommuSetup, type Op, type OpName, type Result, type VariantName,
} from '../../vocab/index.ts';
import type { Expectation, LitmusDoc, LitmusStep } from '../../vocab/litmus.ts';
import { setupProblem } from '../../vocab/setup.ts';
import { INVARIANTS, BUILTIN_VARIANTS } from '../../spec/index.ts';

/** A problem in a litmus file: where (line 1-based, step 1-based when in a step) and why. */
export interface LitmusError {
  readonly file: string;
  readonly line?: number;
  readonly step?: number;
  readonly reason: string;
}

/** A parsed file: the scenario and where each step starts, so run-time errors can point at it. */
export interface ParsedLitmus {
  readonly file: string;
  readonly doc: LitmusDoc;
  /** 1-based line of each step (index 0 = step 1). */
  readonly stepLines: readonly number[];
}

export type ParseResult = { readonly ok: true; readonly litmus: ParsedLitmus } | { readonly ok: false; readonly errors: readonly LitmusError[] };

const TOP_KEYS = ['name', 'doc', 'source', 'variants', 'devices', 'iommus', 'ioasid', 'mms', 'steps', 'violates'];
const DEVICE_KEYS = ['ssid_bits', 'group', 'iommu', 'min_pasid', 'max_pasid'];
const IOASID_KEYS = ['capacity', 'system_quota', 'sets'];
const IOMMU_KEYS = ['asid_bits', 'sva'];
const STEP_KEYS = ['as', 'expect'];
/** Each op's argument: a bare name/number, or a map with these keys. */
const OP_ARGS: Record<OpName, 'mm' | 'dev' | 'handle' | 'pasid' | 'set' | readonly string[]> = {
  bind: ['dev', 'mm'], bind_pasid: ['dev', 'mm', 'pasid'], unbind: 'handle', get_pasid: 'handle',
  enqcmd_pasid: 'mm', mm_exit: 'mm', alloc_global: 'dev', free_global: 'pasid',
  attach_pasid: ['dev', 'pasid'], detach_pasid: ['dev', 'pasid'], dma: ['dev', 'pasid'],
  bind_private: ['dev', 'mm'], mm_exit_done: 'handle',
  ioasid_alloc: ['set', 'dev'], ioasid_free_set: 'set', ioasid_adjust_set: ['set', 'quota'],
};
/** The result kinds each operation can give: an expectation of another kind is a typo. */
const RESULT_KINDS: Record<OpName, readonly Result['kind'][]> = {
  bind: ['pasid', 'errno'], bind_pasid: ['pasid', 'errno'], unbind: ['ok'], get_pasid: ['pasid', 'invalid'],
  enqcmd_pasid: ['pasid', 'invalid'], alloc_global: ['pasid', 'invalid'], free_global: ['ok'],
  attach_pasid: ['ok', 'errno'], detach_pasid: ['ok'], mm_exit: ['ok'], dma: ['mm', 'fault', 'kernel'],
  bind_private: ['pasid', 'errno'], mm_exit_done: ['ok'],
  ioasid_alloc: ['pasid', 'invalid'], ioasid_free_set: ['ok'], ioasid_adjust_set: ['ok', 'errno'],
};
const KIND_WORD: Record<Result['kind'], string> = {
  pasid: 'a PASID', ok: 'ok', invalid: 'INVALID', fault: 'fault', kernel: 'kernel', mm: 'an mm name', errno: 'an errno',
};
/** Optional keys of an op's map: attach_pasid's `handle: true` (an iommufd-style attach). */
const OP_OPTIONAL: Partial<Record<OpName, readonly string[]>> = { attach_pasid: ['handle'] };
const INVARIANT_NAMES = INVARIANTS.map((i) => i.name);

/** Parse one litmus file's text. `file` is only used to label errors. */
export function parseLitmus(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: LitmusError[] = [];
  const lineOf = (n: Node | Pair | null | undefined): number | undefined => {
    const range = n && 'range' in n ? n.range : n && 'key' in n ? (n.key as Node | null)?.range : undefined;
    return range ? lc.linePos(range[0]).line : undefined;
  };
  if (yaml.errors.length > 0) {
    for (const e of yaml.errors) errors.push({ file, line: lc.linePos(e.pos[0]).line, reason: `YAML syntax error: ${e.message.split('\n')[0]}` });
    return { ok: false, errors };
  }
  const root = yaml.contents;
  if (!isMap(root)) return { ok: false, errors: [{ file, line: 1, reason: 'a litmus file is a YAML map (name, devices, steps; doc, source, variants, ... optional)' }] };

  let stepNo: number | undefined;
  const err = (at: Node | Pair | null | undefined, reason: string) => errors.push({ file, line: lineOf(at), ...(stepNo !== undefined ? { step: stepNo } : {}), reason });
  const pairs = (m: YAMLMap, allowed: readonly string[], what: string): Map<string, Pair> => {
    const out = new Map<string, Pair>();
    for (const p of m.items) {
      const key = isScalar(p.key) ? String(p.key.value) : null;
      if (key === null) { err(p as Pair, `${what}: keys must be plain names`); continue; }
      if (!allowed.includes(key)) { err(p as Pair, `${what}: unknown key '${key}' (allowed: ${allowed.join(', ')})`); continue; }
      out.set(key, p as Pair);
    }
    return out;
  };
  const top = pairs(root, TOP_KEYS, 'litmus file');

  // Only the name is required, as herd needs only a name: doc and source are for people (the
  // bundled library's own test demands them).
  const str = (key: string, required: boolean): string | undefined => {
    const p = top.get(key);
    if (!p) { if (required) err(root, `missing required field '${key}'`); return undefined; }
    if (!isScalar(p.value) || typeof p.value.value !== 'string' || p.value.value.trim() === '') { err(p, `'${key}' must be a non-empty string`); return undefined; }
    return p.value.value;
  };
  const name = str('name', true) ?? '';
  const docText = str('doc', false);
  const source = str('source', false);

  const variantName = (n: Node | null | undefined, where: string): VariantName | null => {
    const v = isScalar(n) ? String(n.value) : null;
    if (v !== null && (VARIANTS as readonly string[]).includes(v)) return v as VariantName;
    err(n, `${where}: unknown variant '${v ?? '?'}' (known: ${VARIANTS.join(', ')})`);
    return null;
  };

  // devices and iommus
  const devices: DeviceSetup[] = [];
  const devPair = top.get('devices');
  if (!devPair) err(root, "missing required field 'devices'");
  else if (!isMap(devPair.value) || devPair.value.items.length === 0) err(devPair, "'devices' must be a non-empty map: name → { ssid_bits, group?, iommu? }");
  else for (const p of devPair.value.items) {
    const dname = isScalar(p.key) ? String(p.key.value) : '?';
    if (!isMap(p.value)) { err(p as Pair, `device ${dname}: must be a map { ssid_bits, group?, iommu? }`); continue; }
    const f = pairs(p.value, DEVICE_KEYS, `device ${dname}`);
    const bits = f.get('ssid_bits');
    const b = bits && isScalar(bits.value) ? bits.value.value : undefined;
    if (!bits) { err(p as Pair, `device ${dname}: missing ssid_bits`); continue; }
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 20) { err(bits, `device ${dname}: ssid_bits must be an integer in 0..20, got ${isScalar(bits.value) ? String(bits.value.value) : 'a collection'}`); continue; }
    const d: { name: string; ssidBits: number; group?: string; iommu?: string | null; minPasid?: number; maxPasid?: number } = { name: dname, ssidBits: b };
    for (const [key, field] of [['min_pasid', 'minPasid'], ['max_pasid', 'maxPasid']] as const) {
      const x = f.get(key);
      if (!x) continue;
      const n = isScalar(x.value) ? x.value.value : undefined;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0) d[field] = n;
      else err(x, `device ${dname}: ${key} must be an integer >= 0, got ${isScalar(x.value) ? String(x.value.value) : 'a collection'}`);
    }
    const g = f.get('group');
    if (g) { if (isScalar(g.value) && typeof g.value.value === 'string') d.group = g.value.value; else err(g, `device ${dname}: group must be a name`); }
    const io = f.get('iommu');
    if (io) {
      if (isScalar(io.value) && io.value.value === null) d.iommu = null;
      else if (isScalar(io.value) && typeof io.value.value === 'string') d.iommu = io.value.value;
      else err(io, `device ${dname}: iommu must be a name, or null for a device behind no IOMMU`);
    }
    devices.push(d);
  }
  const iommus: IommuSetup[] = [];
  const ioPair = top.get('iommus');
  if (ioPair) {
    if (!isMap(ioPair.value)) err(ioPair, "'iommus' must be a map: name → { asid_bits?, sva? }");
    else for (const p of ioPair.value.items) {
      const iname = isScalar(p.key) ? String(p.key.value) : '?';
      const i: { name: string; asidBits?: number; sva?: boolean } = { name: iname };
      if (isMap(p.value)) {
        const f = pairs(p.value, IOMMU_KEYS, `iommu ${iname}`);
        const a = f.get('asid_bits');
        if (a) { if (isScalar(a.value) && typeof a.value.value === 'number') i.asidBits = a.value.value; else err(a, `iommu ${iname}: asid_bits must be an integer in 1..16`); }
        const s = f.get('sva');
        if (s) { if (isScalar(s.value) && typeof s.value.value === 'boolean') i.sva = s.value.value; else err(s, `iommu ${iname}: sva must be true or false`); }
      } else if (!(isScalar(p.value) && p.value.value === null)) { err(p as Pair, `iommu ${iname}: must be a map { asid_bits?, sva? }`); continue; }
      iommus.push(i);
    }
  }
  // ioasid-2020: capacity, system set quota, sets
  let ioasid: IoasidSetup | undefined;
  const iaPair = top.get('ioasid');
  if (iaPair) {
    if (!isMap(iaPair.value)) err(iaPair, "'ioasid' must be a map { capacity?, system_quota?, sets? }");
    else {
      const f = pairs(iaPair.value, IOASID_KEYS, 'ioasid');
      const count = (key: string): number | undefined => {
        const x = f.get(key);
        if (!x) return undefined;
        const n = isScalar(x.value) ? x.value.value : undefined;
        if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
        err(x, `ioasid: ${key} must be an integer >= 0, got ${isScalar(x.value) ? String(x.value.value) : 'a collection'}`);
        return undefined;
      };
      const capacity = count('capacity'), systemQuota = count('system_quota');
      const sets: { name: string; quota: number }[] = [];
      const sp = f.get('sets');
      if (sp) {
        if (!isMap(sp.value)) err(sp, "ioasid: 'sets' must be a map: set name → quota");
        else for (const p of sp.value.items) {
          const sname = isScalar(p.key) ? String(p.key.value) : '?';
          const q = isScalar(p.value) ? p.value.value : undefined;
          if (typeof q === 'number' && Number.isInteger(q) && q >= 0) sets.push({ name: sname, quota: q });
          else err(p as Pair, `ioasid: set ${sname}: its quota must be an integer >= 0`);
        }
      }
      ioasid = { ...(capacity !== undefined ? { capacity } : {}), ...(systemQuota !== undefined ? { systemQuota } : {}), ...(sets.length > 0 ? { sets } : {}) };
    }
  }
  const setNames = ioasid?.sets?.map((s) => s.name) ?? [];
  const devNames = devices.map((d) => d.name);
  const declaredMms: string[] | null = (() => {
    const p = top.get('mms');
    if (!p) return null;
    if (!isSeq(p.value)) { err(p, "'mms' must be a list of names"); return null; }
    return p.value.items.map((n) => (isScalar(n) ? String(n.value) : (err(n as Node, "'mms' must be a list of names"), '?')));
  })();

  // steps
  const steps: (LitmusStep | null)[] = [];
  const stepLines: number[] = [];
  const usedMms: string[] = [];
  const usedOps = new Set<OpName>();
  const handles = new Set<string>();
  const expectNodes: { step: number; pair: Pair; value: Node; perVariant: boolean }[] = [];
  const stepsPair = top.get('steps');
  if (!stepsPair) err(root, "missing required field 'steps'");
  else if (!isSeq(stepsPair.value) || stepsPair.value.items.length === 0) err(stepsPair, "'steps' must be a non-empty list");
  else stepsPair.value.items.forEach((node, i) => {
    stepNo = i + 1;
    stepLines.push(lineOf(node as Node) ?? 0);
    steps.push(parseStep(node as Node));
  });
  stepNo = undefined;

  function parseStep(node: Node): LitmusStep | null {
    if (!isMap(node)) { err(node, `a step is a map with one operation (${OP_NAMES.join(', ')})`); return null; }
    const opPairs = node.items.filter((p) => !(isScalar(p.key) && STEP_KEYS.includes(String(p.key.value))));
    if (opPairs.length !== 1) {
      const keys = opPairs.map((p) => (isScalar(p.key) ? String(p.key.value) : '?'));
      err(node, keys.length === 0 ? 'the step names no operation' : `a step has exactly one operation, got ${keys.join(', ')}`);
      return null;
    }
    const opPair = opPairs[0] as Pair;
    const opName = isScalar(opPair.key) ? String(opPair.key.value) : '?';
    if (!(OP_NAMES as readonly string[]).includes(opName)) { err(opPair, `unknown operation '${opName}' (known: ${OP_NAMES.join(', ')})`); return null; }
    const op = parseOp(opName as OpName, opPair);
    if (!op) return null;
    const asPair = node.items.find((p) => isScalar(p.key) && p.key.value === 'as') as Pair | undefined;
    let full: Op = op;
    if (asPair) {
      if (op.op !== 'bind' && op.op !== 'bind_pasid' && op.op !== 'bind_private') { err(asPair, `'as' names the handle of a bind; ${op.op} makes none`); return null; }
      const h = isScalar(asPair.value) ? String(asPair.value.value) : '';
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(h) || RESERVED_NAMES.includes(h)) { err(asPair, `'${h}' cannot name a handle`); return null; }
      handles.add(h);
      full = { ...op, as: h };
    }
    usedOps.add(op.op);
    const exPair = node.items.find((p) => isScalar(p.key) && p.key.value === 'expect') as Pair | undefined;
    if (exPair) expectNodes.push({ step: stepNo!, pair: exPair, value: exPair.value as Node, perVariant: isMap(exPair.value) });
    return { op: full };
  }

  function parseOp(op: OpName, pair: Pair): Op | null {
    const shape = OP_ARGS[op];
    const v = pair.value as Node | null;
    const nameArg = (n: Node | null | undefined, kind: 'dev' | 'mm' | 'handle' | 'set'): string | null => {
      const s = isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : null;
      if (s === null) { err(n ?? pair, `${op}: ${kind} must be a name`); return null; }
      if (kind === 'set' && !setNames.includes(s)) { err(n, `${op}: unknown IOASID set '${s}' (sets under ioasid: ${setNames.join(', ') || 'none'})`); return null; }
      if (kind === 'dev' && !devNames.includes(s)) { err(n, `${op}: unknown device '${s}' (devices: ${devNames.join(', ')})`); return null; }
      if (kind === 'mm') {
        if (devNames.includes(s) || RESERVED_NAMES.includes(s)) { err(n, `${op}: '${s}' cannot name an mm`); return null; }
        if (declaredMms !== null && !declaredMms.includes(s)) { err(n, `${op}: unknown mm '${s}' (mms: ${declaredMms.join(', ')})`); return null; }
        if (!usedMms.includes(s)) usedMms.push(s);
      }
      if (kind === 'handle' && !handles.has(s)) { err(n, `${op}: unknown handle '${s}' (no earlier bind has 'as: ${s}')`); return null; }
      return s;
    };
    const pasidArg = (n: Node | null | undefined): number | null => {
      const p = isScalar(n) ? n.value : undefined;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= 2 ** 32) {
        err(n ?? pair, `${op}: pasid must be an integer in 0..2^32-1, got ${isScalar(n) ? String(n.value) : 'nothing'}`);
        return null;
      }
      return p;
    };
    if (typeof shape === 'string') {
      if (shape === 'pasid') { const p = pasidArg(v); return p === null ? null : ({ op, pasid: p } as Op); }
      const s = nameArg(v, shape);
      if (s === null) return null;
      return (shape === 'handle' ? { op, handle: s } : shape === 'mm' ? { op, mm: s } : shape === 'set' ? { op, set: s } : { op, dev: s }) as Op;
    }
    if (!isMap(v)) { err(pair, `${op} takes { ${shape.join(', ')} }`); return null; }
    const f = pairs(v, [...shape, ...(OP_OPTIONAL[op] ?? [])], op);
    const missing = shape.filter((k) => !f.has(k));
    if (missing.length > 0) { err(pair, `${op}: missing ${missing.join(', ')}`); return null; }
    if (f.has('set')) {
      const set = nameArg(f.get('set')!.value as Node, 'set');
      if (set === null) return null;
      if (op === 'ioasid_alloc') { const dev = nameArg(f.get('dev')!.value as Node, 'dev'); return dev === null ? null : { op, set, dev }; }
      const qn = f.get('quota')!.value as Node, q = isScalar(qn) ? qn.value : undefined;
      if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q >= 2 ** 31) { err(qn ?? pair, `${op}: quota must be an integer in 0..2^31-1`); return null; }
      return { op: 'ioasid_adjust_set', set, quota: q };
    }
    const dev = nameArg(f.get('dev')!.value as Node, 'dev');
    const mm = f.has('mm') ? nameArg(f.get('mm')!.value as Node, 'mm') : undefined;
    const pasid = f.has('pasid') ? pasidArg(f.get('pasid')!.value as Node) : undefined;
    if (dev === null || mm === null || pasid === null) return null;
    const h = f.get('handle');
    if (h && !(isScalar(h.value) && typeof h.value.value === 'boolean')) { err(h, `${op}: handle must be true or false`); return null; }
    const handle = h !== undefined && (h.value as { value: unknown }).value === true;
    return { op, dev, ...(mm !== undefined ? { mm } : {}), ...(pasid !== undefined ? { pasid } : {}), ...(handle ? { handle: true } : {}) } as Op;
  }

  // variants: declared, or every variant whose spec has all the ops used (but for designs that
  // run only the scenarios naming them)
  let variants: VariantName[] = [];
  const vPair = top.get('variants');
  if (vPair) {
    if (!isSeq(vPair.value) || vPair.value.items.length === 0) err(vPair, "'variants' must be a non-empty list");
    else for (const n of vPair.value.items) {
      const v = variantName(n as Node, 'variants');
      if (v === null) continue;
      if (variants.includes(v)) { err(n as Node, `variants: '${v}' is listed twice`); continue; }
      const lacking = [...usedOps].filter((o) => !BUILTIN_VARIANTS[v].ops.includes(o));
      if (lacking.length > 0) err(n as Node, `variants: ${v} has no ${lacking.join(', ')}`);
      else variants.push(v);
    }
  } else variants = VARIANTS.filter((v) => !BUILTIN_VARIANTS[v].namedScenariosOnly && [...usedOps].every((o) => BUILTIN_VARIANTS[v].ops.includes(o)));

  const mms = declaredMms ?? usedMms;
  const setup = { devices, ...(iommus.length > 0 ? { iommus } : {}), mms, ...(ioasid ? { ioasid } : {}) };
  if (errors.length === 0) {
    const problem = setupProblem(setup, RESERVED_NAMES);
    if (problem) err(devPair ?? root, problem);
  }

  // expectations, now that the mms and variants are known
  const expectation = (n: Node | null | undefined, at: Node | Pair): Expectation | null => {
    const x = isScalar(n) ? n.value : undefined;
    if (typeof x === 'number') {
      if (Number.isInteger(x) && x >= 0) return R.pasid(x);
    } else if (typeof x === 'string') {
      if (x === 'any') return 'any';
      if (x === 'ok') return R.ok;
      if (x === 'INVALID') return R.invalid;
      if (x === 'fault') return R.fault();
      if (x === 'kernel') return R.kernel;
      if (isErrno(x)) return R.errno(x);
      if (mms.includes(x)) return R.mm(x);
    }
    err(n ?? at, `expect: '${isScalar(n) ? String(n.value) : 'a collection'}' is not a result (a PASID, ok, INVALID, fault, kernel, an mm name, ${ERRNOS.join(', ')} or any)`);
    return null;
  };
  const fits = (x: Expectation, op: OpName | undefined, at: Node | Pair): Expectation | null => {
    if (x === 'any' || op === undefined || RESULT_KINDS[op].includes(x.kind)) return x;
    err(at, `expect: ${op} never gives ${formatResult(x)} (it gives ${RESULT_KINDS[op].map((k) => KIND_WORD[k]).join(' or ')})`);
    return null;
  };
  for (const e of expectNodes) {
    stepNo = e.step;
    const opOf = steps[e.step - 1]?.op.op;
    let value: LitmusStep['expect'] | undefined;
    if (e.perVariant && isMap(e.value)) {
      const per: Partial<Record<VariantName, Expectation>> = {};
      for (const p of e.value.items) {
        const v = variantName(p.key as Node, 'expect');
        if (v === null) continue;
        if (!variants.includes(v)) { err(p.key as Node, `expect: this file does not run variant ${v} (it runs ${variants.join(', ')})`); continue; }
        const x = expectation(p.value as Node, p.key as Node);
        const y = x === null ? null : fits(x, opOf, p.value as Node);
        if (y !== null) per[v] = y;
      }
      value = per;
    } else {
      const x = expectation(e.value, e.pair);
      const y = x === null ? null : fits(x, opOf, e.value ?? e.pair);
      if (y !== null) value = y;
    }
    const target = steps[e.step - 1];
    if (value !== undefined && target) steps[e.step - 1] = { ...target, expect: value };
  }
  stepNo = undefined;

  // violates: variant → invariant names
  let violates: Partial<Record<VariantName, string[]>> | undefined;
  const viPair = top.get('violates');
  if (viPair) {
    if (!isMap(viPair.value)) err(viPair, "'violates' must be a map: variant → [invariant names]");
    else {
      violates = {};
      for (const p of viPair.value.items) {
        const v = variantName(p.key as Node, 'violates');
        if (v === null) continue;
        if (!variants.includes(v)) { err(p.key as Node, `violates: this file does not run variant ${v}`); continue; }
        if (!isSeq(p.value)) { err(p as Pair, `violates.${v}: must be a list of invariant names`); continue; }
        const names: string[] = [];
        for (const n of p.value.items) {
          const s = isScalar(n) ? String(n.value) : '?';
          if (!INVARIANT_NAMES.includes(s)) err(n as Node, `violates.${v}: unknown invariant '${s}' (known: ${INVARIANT_NAMES.join(', ')})`);
          else names.push(s);
        }
        violates[v] = names;
      }
    }
  }

  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  const doc: LitmusDoc = {
    name, ...(docText !== undefined ? { doc: docText } : {}), ...(source !== undefined ? { source } : {}), variants, setup, steps: steps as LitmusStep[],
    ...(violates !== undefined ? { violates } : {}),
  };
  return { ok: true, litmus: { file, doc, stepLines } };
}
