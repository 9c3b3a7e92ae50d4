/**
 * An SvaAdapter built on the reference spec (SpecDriver), for any variant. Comparing the spec
 * with itself must pass, which tests the conformance machinery; and it is the template a
 * TypeScript user copies to plug their own implementation in: configure, apply, observe.
 */
import { SpecDriver, BUILTIN_VARIANTS } from '../spec/index.ts';
import { VARIANTS, type DmaProbe, type Observation, type Op, type Result, type Setup, type SvaAdapter, type VariantName } from '../vocab/index.ts';

export class SpecAdapter implements SvaAdapter {
  readonly contractVersion = 1 as const;
  readonly name: string;
  readonly variants: readonly VariantName[] = VARIANTS;
  private driver: SpecDriver | null = null;

  constructor(name = 'spec') { this.name = name; }

  configure(setup: Setup, variant: VariantName): void {
    this.driver = new SpecDriver(setup, BUILTIN_VARIANTS[variant]);
  }

  /** The spec's result. A caller-contract breach throws (ContractError): the runner never sends one. */
  apply(op: Op): Result {
    return this.configured().apply(op).result;
  }

  observe(probes: readonly DmaProbe[]): Observation {
    return this.configured().observe(probes);
  }

  private configured(): SpecDriver {
    if (this.driver === null) throw new Error(`${this.name}: apply/observe before configure`);
    return this.driver;
  }
}

export const createSpecAdapter = (name = 'spec'): SvaAdapter => new SpecAdapter(name);
