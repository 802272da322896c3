import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * Starts schema-worker in both ways Holdpoint runs: compiled (dist/, the .js sits next to
 * this file) and from source under tsx or vitest (only the .ts exists). Node 20 does not
 * apply `--import tsx` from a worker's execArgv to the worker's own entry, so from source
 * the worker is a two-line bootstrap that registers tsx's loader and then imports the entry.
 */
export function startSchemaWorker(options: WorkerOptions): Worker {
  const compiled = new URL('./schema-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options)
  const source = new URL('./schema-worker.ts', import.meta.url).href
  // tsx's exports map puts the ESM build of its API next to the CommonJS one.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
