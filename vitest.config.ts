import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: { 'holdpoint/sdk': fileURLToPath(new URL('./sdk/index.ts', import.meta.url)) },
  },
  test: {
    include: ['**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/validation-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
})
