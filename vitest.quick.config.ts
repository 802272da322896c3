import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/**
 * `npm run test:quick`: the inner loop. Unit tests and a few fast in-process integration tests
 * on the real Redis; no browser, no child processes, no chaos. `npm test` runs everything.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'machine/**/*.test.ts',
      'engine/**/*.test.ts',
      'sdk/**/*.test.ts',
      'test/lint/**/*.test.ts',
      'test/api.test.ts',
      'test/security.test.ts',
      'test/hostile/rendering.test.ts',
      'test/hostile/ssrf.test.ts',
      'test/hostile/hardening.test.ts',
      'test/ops/compose.test.ts',
      'test/mcp/units.test.ts',
    ],
  },
})
