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

/**
 * Two 32-bit lanes of one item's hash (H[0], H[1]), and of the running sum (H[2], H[3]). In a
 * typed array, not in variables: a 32-bit value kept in a variable outside the function at
 * hand is boxed (a heap number) whenever it does not fit a small integer, one allocation per byte.
 */
const H = new Int32Array(4);

const utf8 = new TextEncoder();

/** Feed one token: its UTF-8 bytes, then a 0 byte. */
function token(s: string): void {
  let h1 = H[0], h2 = H[1];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) { H[0] = h1; H[1] = h2; bytes(utf8.encode(s.slice(i))); h1 = H[0]; h2 = H[1]; break; }
    h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677);
  }
  H[0] = Math.imul(h1, 2654435761); H[1] = Math.imul(h2, 1597334677);   // the 0 byte: x ^ 0 = x
}
/** Feed a number's token: its decimal digits (without building the string), then a 0 byte. */
function num(n: number): void {
  if (!(n >= 0 && n < 100 && n === Math.floor(n))) { token(String(n)); return; }
  let h1 = H[0], h2 = H[1];
  if (n >= 10) { const c = 48 + Math.floor(n / 10); h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677); }
  const c = 48 + (n % 10);
  h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677);
  H[0] = Math.imul(h1, 2654435761); H[1] = Math.imul(h2, 1597334677);
}
function bytes(b: Uint8Array): void {
  let h1 = H[0], h2 = H[1];
  for (const c of b) { h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677); }
  H[0] = h1; H[1] = h2;
}

/** Start an item: the lanes' initial values, then its first token (its tag, one ASCII letter). */
function begin(tag: string): void {
  const c = tag.charCodeAt(0);
  H[0] = Math.imul(Math.imul(0xdeadbeef ^ c, 2654435761), 2654435761); H[1] = Math.imul(Math.imul(0x41c6ce57 ^ c, 1597334677), 1597334677);
}

/** End an item: mix its lanes (cyrb53's finish, both lanes kept) and add them to the sum. */
function end(): void {
  let a = H[0], b = H[1];
  a = Math.imul(a ^ (a >>> 16), 2246822507); a ^= Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507); b ^= Math.imul(a ^ (a >>> 13), 3266489909);
  H[2] += a; H[3] += b;
}

/** A result's tokens: its kind, then its value (none for ok, INVALID, kernel, fault: fault kinds are not compared). */
function result(r: Result): void {
  switch (r.kind) {
    case 'pasid': token('pasid'); num(r.pasid); return;
    case 'errno': token('errno'); token(r.errno); return;
    case 'mm': token('mm'); token(r.mm); return;
    case 'ok': token('ok'); return;
    case 'invalid': token('INVALID'); return;
    case 'kernel': token('kernel'); return;
    case 'fault': token('fault'); return;
  }
}

/** Two lowercase hex digits per byte value, for hex(). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** A 32-bit lane as 8 lowercase hex digits (what (x >>> 0).toString(16).padStart(8, '0') gives, without its cost). */
const hex = (x: number): string => HEX[(x >>> 24) & 255] + HEX[(x >>> 16) & 255] + HEX[(x >>> 8) & 255] + HEX[x & 255];

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
  H[2] = 0; H[3] = 0;
  for (const b of obs.bonds) { begin('b'); token(b.dev); num(b.pasid); token(b.mm); num(b.users); end(); }
  for (const a of obs.attaches) { begin('a'); token(a.dev); num(a.pasid); end(); }
  for (const m of obs.mms) {
    begin('m'); token(m.mm); token(m.state); if (m.pasid === null) token('null'); else num(m.pasid); token(m.global === null ? 'null' : m.global ? 'true' : 'false'); end();
    for (const d of m.domains) { begin('d'); token(m.mm); token(d.iommu); num(d.users); end(); }
  }
  for (const p of obs.globalPasids) { begin('g'); num(p); end(); }
  for (const d of obs.dma) { begin('p'); token(d.dev); num(d.pasid); result(d.result); end(); }
  return hex(H[2]) + hex(H[3]);
}

/** Whether a string has the shape of a digest (16 lowercase hex digits). */
export const isDigest = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x);
