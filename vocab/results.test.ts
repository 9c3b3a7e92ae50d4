/** sameResult compares as its definition says: equal spellings (formatResult) and equal kinds, the fault kind not compared. */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { ERRNOS, formatResult, sameResult, type Result } from './index.ts';

const resultArb: fc.Arbitrary<Result> = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((pasid) => ({ kind: 'pasid', pasid }) as Result),
  fc.constantFrom<Result>({ kind: 'ok' }, { kind: 'invalid' }, { kind: 'kernel' }, { kind: 'fault' }, { kind: 'fault', fault: 'bad_cd' }, { kind: 'fault', fault: 'translation' }),
  fc.constantFrom('A', 'B', '3').map((mm) => ({ kind: 'mm', mm }) as Result),
  fc.constantFrom(...ERRNOS.slice(0, 3)).map((errno) => ({ kind: 'errno', errno }) as Result),
  // What a program may send over the protocol: a PASID spelled as a string.
  fc.constantFrom('3', '4').map((pasid) => ({ kind: 'pasid', pasid }) as unknown as Result),
);

test.prop([resultArb, resultArb], { numRuns: 500 })('sameResult is equal spellings of equal kinds', (a, b) => {
  expect(sameResult(a, b)).toBe(formatResult(a) === formatResult(b) && a.kind === b.kind);
  expect(sameResult(a, a)).toBe(true);
});
