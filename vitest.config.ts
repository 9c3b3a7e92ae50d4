import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{vocab,spec,model,impl,conformance,cli,report,simulate,test}/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report gives .ci/run the runner's own pass/fail counts.
    reporters: ['default', ['json', { outputFile: '.svacheck-out/vitest.json' }]],
  },
});
