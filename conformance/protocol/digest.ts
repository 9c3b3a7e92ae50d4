/**
 * The observation digest of PROTOCOL.md §12: a 64-bit hash of an observation that does not
 * depend on the order of its lists nor on fault kinds, so two observations that abstract to
 * the same thing (abstraction.ts) have the same digest, whatever order each side lists them in.
 *
 * It is a sum of item hashes. Every item of the observation (a bond, an attach, an mm, one
 * domain of an mm, a global PASID, a probe's answer) is a short list of tokens; each item is
 * hashed on its own (ITEM_HASH below, the bytes of each token followed by a 0 byte), and the
 * digest is the sum of the item hashes, lane by lane, modulo 2^32: a sum does not depend on
 * order, and it counts an item listed twice twice. examples/c/protocol.c computes the same
 * digest from the JSON it writes; test/protocol-digest.test.ts holds the two to each other.
 */
import type { Observation, Result } from '../../vocab/index.ts';

/** Two 32-bit lanes of one item's hash, and of the running sum. */
let h1 = 0, h2 = 0;
let s1 = 0, s2 = 0;

const utf8 = new TextEncoder();

/** Feed one token: its UTF-8 bytes, then a 0 byte. */
function token(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) { bytes(utf8.encode(s.slice(i))); break; }
    h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1, 2654435761); h2 = Math.imul(h2, 1597334677);   // the 0 byte: x ^ 0 = x
}
function bytes(b: Uint8Array): void {
  for (const c of b) { h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677); }
}

/** Start an item: the lanes' initial values, then its first token (its tag). */
function begin(tag: string): void { h1 = 0xdeadbeef | 0; h2 = 0x41c6ce57; token(tag); }

/** End an item: mix its lanes (cyrb53's finish, both lanes kept) and add them to the sum. */
function end(): void {
  let a = h1, b = h2;
  a = Math.imul(a ^ (a >>> 16), 2246822507); a ^= Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507); b ^= Math.imul(a ^ (a >>> 13), 3266489909);
  s1 = (s1 + a) | 0; s2 = (s2 + b) | 0;
}

/** A result's tokens: its kind, then its value (none for ok, INVALID, kernel, fault: fault kinds are not compared). */
function result(r: Result): void {
  switch (r.kind) {
    case 'pasid': token('pasid'); token(String(r.pasid)); return;
    case 'errno': token('errno'); token(r.errno); return;
    case 'mm': token('mm'); token(r.mm); return;
    case 'ok': token('ok'); return;
    case 'invalid': token('INVALID'); return;
    case 'kernel': token('kernel'); return;
    case 'fault': token('fault'); return;
  }
}

const hex = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');

/**
 * The digest of an observation: 16 lowercase hex digits. Items and their tokens:
 *
 *   b dev pasid mm users           every bond
 *   a dev pasid                    every non-SVA attach
 *   m mm state pasid global        every mm; pasid `null` or decimal, global `true`, `false` or `null`
 *   d mm iommu users               every domain of an mm
 *   g pasid                        every global PASID held
 *   p dev pasid KIND [VALUE]       every probe's answer: `pasid N`, `errno E`, `mm NAME`, `ok`, `INVALID`, `kernel` or `fault`
 *
 * Numbers are written in decimal without leading zeros.
 */
export function observationDigest(obs: Observation): string {
  s1 = 0; s2 = 0;
  for (const b of obs.bonds) { begin('b'); token(b.dev); token(String(b.pasid)); token(b.mm); token(String(b.users)); end(); }
  for (const a of obs.attaches) { begin('a'); token(a.dev); token(String(a.pasid)); end(); }
  for (const m of obs.mms) {
    begin('m'); token(m.mm); token(m.state); token(m.pasid === null ? 'null' : String(m.pasid)); token(m.global === null ? 'null' : String(m.global)); end();
    for (const d of m.domains) { begin('d'); token(m.mm); token(d.iommu); token(String(d.users)); end(); }
  }
  for (const p of obs.globalPasids) { begin('g'); token(String(p)); end(); }
  for (const d of obs.dma) { begin('p'); token(d.dev); token(String(d.pasid)); result(d.result); end(); }
  return hex(s1) + hex(s2);
}

/** Whether a string has the shape of a digest (16 lowercase hex digits). */
export const isDigest = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x);
