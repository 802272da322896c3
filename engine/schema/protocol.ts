import type { FieldProblem } from '../problems.js'

/**
 * Messages between the server and a validation worker. Schemas and values travel as JSON
 * text: the server has the text anyway (it hashes it for the cache key), JSON.parse in the
 * worker rebuilds exactly what the request parsed (`__proto__` keys stay plain data), and
 * no live object crosses.
 */
export type WorkerTask =
  | { id: number; op: 'schema'; key: string; schemaText: string; at: string }
  | { id: number; op: 'value'; key: string; schemaText: string; valueText: string | null; base: string; maxErrors: number }

export interface WorkerReply {
  id: number
  problems: FieldProblem[]
}

export interface WorkerSettings {
  cacheEntries: number
  cacheBytes: number
}
