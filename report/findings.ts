/**
 * Findings of the review report: a closed union keyed on `kind`, with a table that gives every
 * kind a title and an explanation, so that a new kind cannot ship without them.
 */
export type FindingKind =
  | 'invariant-violation'
  | 'availability'
  | 'variant-difference'
  | 'code-message-mismatch'
  | 'conformance-failure'
  | 'litmus-failure';

export const FINDING_KINDS: Readonly<Record<FindingKind, { readonly title: string; readonly explanation: string }>> = {
  'invariant-violation': {
    title: 'Invariant broken',
    explanation: 'The model checker reached a state that breaks an invariant of the SVA rules; the trace is the shortest path there.',
  },
  availability: {
    title: 'Availability',
    explanation: 'A bind failed although the device had a free PASID the process could legitimately use: a design finding, not a safety violation.',
  },
  'variant-difference': {
    title: 'Variants differ',
    explanation: 'The same operation sequence gives different results in two variants; the trace is the shortest such sequence.',
  },
  'code-message-mismatch': {
    title: 'Code and commit message disagree',
    explanation: 'The patch code accepts what its commit message says is not allowed (or the reverse); the scenario shows what the code does.',
  },
  'conformance-failure': {
    title: 'Implementation differs from the spec',
    explanation: 'Random stateful runs found a sequence where the implementation and the spec disagree; the trace is shrunk.',
  },
  'litmus-failure': {
    title: 'Litmus scenario does not hold',
    explanation: 'A bundled scenario does not give its expected outcome in this variant.',
  },
};

export interface Finding {
  readonly id: string;
  readonly kind: FindingKind;
  /** One line: what was found. */
  readonly headline: string;
  readonly rule: string;
  readonly variants: readonly string[];
  /** Whether it is a documented, expected finding (a design property, not a regression). */
  readonly expected: boolean;
  /** The paragraph for the reader. */
  readonly explanation: string;
  /** The shortest trace, as a litmus file. */
  readonly litmus: string;
  /** The command that shows it again. */
  readonly replay: string;
}
