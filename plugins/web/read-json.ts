import type { Context } from 'koa'
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../engine/json-depth.js'
import { problem } from './problem.js'

const tooLarge = (limit: number) => problem(413, 'too-large', 'Body too large', `The body must be at most ${limit} bytes.`)

/**
 * Reads a raw body with a hard size limit: a declared Content-Length over the limit is
 * refused before reading, and a streamed body is cut off as soon as it passes the limit.
 * Signature checks (a channel signing its requests) need these exact bytes, so this is shared with readJson.
 */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0)
  if (declared > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      ctx.set('connection', 'close')
      throw tooLarge(limit)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Reads a JSON body under the size limit, refusing other media types, bad JSON and deep nesting. */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  if (Number(ctx.get('content-length') || 0) > limit) throw tooLarge(limit)
  const type = ctx.get('content-type')
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send application/json.')
  }
  const text = (await readRawBody(ctx, limit)).toString('utf8')
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch (error) {
    throw problem(400, 'malformed-json', 'Malformed JSON', `The body is not valid JSON: ${(error as Error).message}`)
  }
  if (nestedDeeperThan(value)) throw problem(400, 'too-deep', 'Nested too deeply', `The body may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep.`)
  return value
}
