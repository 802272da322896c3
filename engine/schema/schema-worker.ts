import { parentPort, workerData } from 'node:worker_threads'
import type { FieldProblem } from '../problems.js'
import { CompiledCache } from './compile.js'
import { describeErrors } from './describe.js'
import type { WorkerReply, WorkerSettings, WorkerTask } from './protocol.js'

/**
 * A validation worker: compiles and runs agents' schemas off the server's event loop. The
 * pool (pool.ts) terminates it when a task overruns its time limit, so nothing here needs
 * to guard against slowness; it only turns every outcome into problems.
 */

// Nothing a schema contains may reach the server's output unescaped (a format name once
// forged log lines through ajv's console warnings). The compiler gets its own logger
// (compile.ts); this catches any library that still prints. Piping the worker's stdio
// instead would keep the process alive after the last validation.
for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[name] = () => undefined

const settings = workerData as WorkerSettings
const cache = new CompiledCache(settings.cacheEntries, settings.cacheBytes)

function schemaTask(task: Extract<WorkerTask, { op: 'schema' }>): FieldProblem[] {
  const compiled = cache.get(task.key, task.schemaText)
  if (compiled.invalid !== undefined) return [{ path: task.at, message: `not a valid JSON Schema: ${compiled.invalid}` }]
  if (compiled.loops) return [{ path: task.at, message: 'the schema refers to itself without end ($ref loop)' }]
  // Refused at create so an agent learns of the typo; an answer is never held up by one.
  return compiled.unknownFormats.map((name) => ({ path: task.at, message: `uses format ${JSON.stringify(name)}, which this server does not know` }))
}

function valueTask(task: Extract<WorkerTask, { op: 'value' }>): FieldProblem[] {
  const compiled = cache.get(task.key, task.schemaText)
  if (!compiled.validate) return [{ path: task.base, message: `cannot be checked: the schema is not usable (${compiled.invalid ?? 'unknown reason'})` }]
  const value: unknown = task.valueText === null ? undefined : JSON.parse(task.valueText)
  try {
    if (compiled.validate(value)) return []
  } catch (error) {
    // A schema whose loop only some values reach: refuse the value, not the server.
    if (error instanceof RangeError) return [{ path: task.base, message: 'cannot be checked: the schema recurses without end for this value' }]
    throw error
  }
  return describeErrors(compiled.validate.errors ?? [], task.base, task.maxErrors)
}

function run(task: WorkerTask): FieldProblem[] {
  try {
    return task.op === 'schema' ? schemaTask(task) : valueTask(task)
  } catch (error) {
    const at = task.op === 'schema' ? task.at : task.base
    return [{ path: at, message: `cannot be checked: ${(error as Error).message}` }]
  }
}

parentPort?.on('message', (task: WorkerTask) => {
  const reply: WorkerReply = { id: task.id, problems: run(task) }
  parentPort?.postMessage(reply)
})
// ajv builds its meta-schema validators on the first compile: about 250 ms on an idle machine,
// over a second on a loaded one, which an agent's first plain schema would otherwise be
// charged for (and refused at the time limit). One throwaway compile and validation here
// pays it before the worker is ready; the key cannot collide with a schema hash.
run({ op: 'value', id: 0, key: '(warm-up)', schemaText: '{"type":"object","properties":{"a":{"type":"boolean"}},"required":["a"]}', valueText: '{"a":true}', base: '', maxErrors: 1 })
// Tasks are sent only after this, so loading and warming ajv never count against a task's time limit.
parentPort?.postMessage({ ready: true })
