/**
 * The wire encoding of PROTOCOL.md: setups and operations out, hello, results and
 * observations in. Decoders return values: the decoded thing, or why the JSON is not one.
 */
import { ERRNOS, isErrno, R, DESIGNS_2026, OPS_2026, type DmaProbe, type FailNthInfo, type Leaks, type FaultKind, type Observation, type Op, type OpName, type Result, type Setup, type VariantName } from '../../vocab/index.ts';
import { resolveSetup } from '../../vocab/setup.ts';
import { isDigest, observationDigest } from './digest.ts';

export type { FailNthInfo, Leaks } from '../../vocab/index.ts';

export const PROTOCOL_VERSION = 1;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const bad = <T>(error: string): Decoded<T> => ({ ok: false, error });
/** The usual answer to an observe with a digest: its digest matched (one value for all: nobody edits it). */
const MATCHED: Decoded<null> = Object.freeze({ ok: true, value: null });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => { const s = JSON.stringify(v) ?? String(v); return s.length > 80 ? `${s.slice(0, 80)}…` : s; };

/** The configure payload: every default resolved (PROTOCOL.md §5). */
export function encodeSetup(setup: Setup): Record<string, Json> {
  const r = resolveSetup(setup);
  return {
    devices: r.devices.map((d) => ({
      name: d.name, ssid_bits: d.ssidBits,
      group: d.iommu === null ? null : r.groups[d.group].name,
      iommu: d.iommu === null ? null : r.iommus[d.iommu].name,
    })),
    iommus: r.iommus.map((i) => ({ name: i.name, asid_bits: i.asidBits, sva: i.sva })),
    mms: [...r.mms],
  };
}

/** An op request body (without id/type): the vocab Op as is, `as` only when named. */
export function encodeOp(op: Op): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(op)) if (v !== undefined) out[k] = v as Json;
  return out;
}

const FAULTS: readonly FaultKind[] = ['bad_substream', 'bad_cd', 'translation'];
const U32 = 2 ** 32;

/** A result (PROTOCOL.md §6, the results table). */
export function decodeResult(v: unknown): Decoded<Result> {
  if (typeof v === 'string') {
    switch (v) {
      case 'ok': return ok(R.ok);
      case 'INVALID': return ok(R.invalid);
      case 'kernel': return ok(R.kernel);
      case 'fault': return ok(R.fault());
      default: return bad(`unknown result string ${show(v)} (expected "ok", "INVALID", "kernel" or "fault")`);
    }
  }
  if (!isObject(v)) return bad(`a result must be a string or an object, got ${show(v)}`);
  const keys = Object.keys(v);
  if (keys.length !== 1) return bad(`a result object has exactly one key (pasid, errno, mm or fault), got ${show(v)}`);
  const x = v[keys[0]];
  switch (keys[0]) {
    case 'pasid':
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= U32) return bad(`pasid must be an integer in 0..2^32-1, got ${show(x)}`);
      return ok(R.pasid(x));
    case 'errno':
      if (typeof x !== 'string' || !isErrno(x)) return bad(`unknown errno ${show(x)} (known: ${ERRNOS.join(' ')})`);
      return ok(R.errno(x));
    case 'mm':
      if (typeof x !== 'string' || x === '') return bad(`mm must be a name, got ${show(x)}`);
      return ok(R.mm(x));
    case 'fault':
      if (x === null) return ok(R.fault());
      if (typeof x !== 'string' || !(FAULTS as readonly string[]).includes(x)) return bad(`fault kind must be one of ${FAULTS.join(', ')} or null, got ${show(x)}`);
      return ok(R.fault(x as FaultKind));
    default:
      return bad(`unknown result key ${show(keys[0])} (expected pasid, errno, mm or fault)`);
  }
}

export interface Hello {
  readonly name: string;
  readonly protocol: number;
  readonly variants: readonly VariantName[];
  readonly ops: readonly OpName[];
  /** Optional capabilities and their versions (PROTOCOL.md §11): batch, fail_nth, leaks. */
  readonly capabilities: Readonly<Record<string, number>>;
}

export function decodeFailNth(resp: Record<string, unknown>): Decoded<FailNthInfo> {
  const calls = resp.calls;
  if (!(typeof calls === 'number' && Number.isInteger(calls) && calls >= 0)) return bad(`"calls" must be a count, got ${show(calls)}`);
  const inj = resp.injected;
  if (inj === undefined || inj === null) return ok({ calls, injected: null });
  if (!isObject(inj) || typeof inj.site !== 'string' || typeof inj.point !== 'string')
    return bad(`"injected" must be {site, point}, got ${show(inj)}`);
  return ok({ calls, injected: { site: inj.site, point: inj.point } });
}

export function decodeLeaks(v: unknown): Decoded<Leaks> {
  if (!isObject(v)) return bad(`leaks must be an object, got ${show(v)}`);
  const counts: Record<string, number> = {};
  let list: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === 'list') {
      if (!Array.isArray(x) || !x.every((e) => typeof e === 'string')) return bad(`leaks.list must be an array of strings, got ${show(x)}`);
      list = x as string[];
    } else if (typeof x === 'number' && Number.isInteger(x) && x >= 0) counts[k] = x;
    else return bad(`leaks.${k} must be a count, got ${show(x)}`);
  }
  return ok({ counts, list });
}

export function decodeHello(v: unknown): Decoded<Hello> {
  if (!isObject(v)) return bad(`hello must be an object, got ${show(v)}`);
  if (typeof v.protocol !== 'number') return bad(`hello.protocol must be a number, got ${show(v.protocol)}`);
  if (typeof v.name !== 'string' || v.name === '') return bad(`hello.name must be a non-empty string, got ${show(v.name)}`);
  if (!Array.isArray(v.variants)) return bad(`hello.variants must be an array, got ${show(v.variants)}`);
  if (!Array.isArray(v.ops)) return bad(`hello.ops must be an array, got ${show(v.ops)}`);
  // Protocol version 1 carries the 2026 designs and their operations (request.schema.json).
  const variants = v.variants.filter((x): x is VariantName => typeof x === 'string' && (DESIGNS_2026 as readonly string[]).includes(x));
  const ops = v.ops.filter((x): x is OpName => typeof x === 'string' && (OPS_2026 as readonly string[]).includes(x));
  const capabilities: Record<string, number> = {};
  if (isObject(v.capabilities))
    for (const [k, x] of Object.entries(v.capabilities)) if (typeof x === 'number' && Number.isInteger(x) && x > 0) capabilities[k] = x;
  return ok({ name: v.name.split('\n')[0], protocol: v.protocol, variants, ops, capabilities });
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** An observation (PROTOCOL.md §7); `probes` checks the dma list answers what was asked. */
export function decodeObservation(v: unknown, probes: readonly DmaProbe[]): Decoded<Observation> {
  if (!isObject(v)) return bad(`observation must be an object, got ${show(v)}`);
  const list = (key: string): Json[] | string => Array.isArray(v[key]) ? v[key] as Json[] : `observation.${key} must be an array, got ${show(v[key])}`;
  const bondsJ = list('bonds'), attachesJ = list('attaches'), mmsJ = list('mms'), globalJ = list('global_pasids'), dmaJ = list('dma');
  for (const l of [bondsJ, attachesJ, mmsJ, globalJ, dmaJ]) if (typeof l === 'string') return bad(l);
  const bonds: { dev: string; pasid: number; mm: string; users: number }[] = [];
  for (const [i, b] of (bondsJ as Json[]).entries()) {
    if (!isObject(b) || typeof b.dev !== 'string' || !isInt(b.pasid) || typeof b.mm !== 'string' || !isInt(b.users))
      return bad(`observation.bonds[${i}] must be {dev, pasid, mm, users}, got ${show(b)}`);
    bonds.push({ dev: b.dev, pasid: b.pasid, mm: b.mm, users: b.users });
  }
  const attaches: { dev: string; pasid: number }[] = [];
  for (const [i, a] of (attachesJ as Json[]).entries()) {
    if (!isObject(a) || typeof a.dev !== 'string' || !isInt(a.pasid)) return bad(`observation.attaches[${i}] must be {dev, pasid}, got ${show(a)}`);
    attaches.push({ dev: a.dev, pasid: a.pasid });
  }
  const mms: Observation['mms'][number][] = [];
  for (const [i, m] of (mmsJ as Json[]).entries()) {
    if (!isObject(m) || typeof m.mm !== 'string' || !['live', 'exited', 'gone'].includes(m.state as string)
      || !(m.pasid === null || isInt(m.pasid)) || !(m.global === null || typeof m.global === 'boolean') || !Array.isArray(m.domains))
      return bad(`observation.mms[${i}] must be {mm, state: live|exited|gone, pasid: n|null, global: bool|null, domains: [...]}, got ${show(m)}`);
    const domains: { iommu: string; users: number }[] = [];
    for (const d of m.domains) {
      if (!isObject(d) || typeof d.iommu !== 'string' || !isInt(d.users)) return bad(`observation.mms[${i}].domains entries must be {iommu, users}, got ${show(d)}`);
      domains.push({ iommu: d.iommu, users: d.users });
    }
    mms.push({ mm: m.mm, state: m.state as 'live' | 'exited' | 'gone', pasid: m.pasid as number | null, global: m.global as boolean | null, domains });
  }
  const globalPasids: number[] = [];
  for (const p of globalJ as Json[]) {
    if (!isInt(p)) return bad(`observation.global_pasids must hold integers, got ${show(p)}`);
    globalPasids.push(p);
  }
  const dmaList = dmaJ as Json[];
  if (dmaList.length !== probes.length) return bad(`observation.dma has ${dmaList.length} entries for ${probes.length} probes`);
  const dma: { dev: string; pasid: number; result: Result }[] = [];
  for (const [i, d] of dmaList.entries()) {
    if (!isObject(d) || d.dev !== probes[i].dev || d.pasid !== probes[i].pasid)
      return bad(`observation.dma[${i}] must answer probe {dev: ${probes[i].dev}, pasid: ${probes[i].pasid}}, got ${show(d)}`);
    const r = decodeResult(d.result);
    if (!r.ok) return bad(`observation.dma[${i}].result: ${r.error}`);
    dma.push({ dev: probes[i].dev, pasid: probes[i].pasid, result: r.value });
  }
  return ok({ bonds, attaches, mms, globalPasids, dma });
}

/**
 * The answer to an observe that carried the digest the runner expects (PROTOCOL.md §12): null
 * when the implementation answers that very digest alone, else its whole observation, whose
 * own digest must come with it and be right (a wrong one is a bug in the implementation's
 * digest, which would hide divergences: malformed). To the `decoy` (a digest the runner knows
 * is not the one expected) only a whole observation is a valid answer.
 */
export function decodeObserveAnswer(resp: Record<string, unknown>, probes: readonly DmaProbe[], expected: string, decoy = false): Decoded<Observation | null> {
  const digest = resp.digest;
  if (!('observation' in resp)) {
    if (digest === expected && decoy) return bad(`observe answered the digest ${digest} alone, the very one it was sent, but that one was the decoy no expected observation has (sent once per configure, PROTOCOL.md §12): is the implementation echoing the digest instead of computing its own?`);
    if (digest === expected) return MATCHED;
    if (!isDigest(digest)) return bad(`observe must answer "observation" or "digest" (16 lowercase hex digits), got ${show(resp)}`);
    return bad(`observe answered the digest ${digest} alone, but the runner expects ${expected}: a digest alone means "it is the one you expect"; any other must come with the whole observation`);
  }
  const o = decodeObservation(resp.observation, probes);
  if (!o.ok) return o;
  if (!isDigest(digest)) return bad(`an observation answering an observe with "digest" carries its own "digest" (16 lowercase hex digits), got ${show(digest)}`);
  const own = observationDigest(o.value);
  if (own !== digest) return bad(`the observation's digest is ${own} (PROTOCOL.md §12), but it was sent with ${digest}`);
  return ok(o.value);
}
