import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from './support/holdpoint.js'

let hp: TestHoldpoint
beforeAll(async () => {
  hp = await startHoldpoint()
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

/** Every value stored under the test prefix, whatever its Redis type, as one string. */
async function dumpRedis(): Promise<string> {
  const redis = hp.redis
  let out = ''
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${hp.prefix}:*`, 'COUNT', 500)
    cursor = next
    for (const key of keys) {
      const type = await redis.type(key)
      if (type === 'string') out += await redis.get(key)
      else if (type === 'hash') out += JSON.stringify(await redis.hgetall(key))
      else if (type === 'list') out += (await redis.lrange(key, 0, -1)).join()
      else if (type === 'set') out += (await redis.smembers(key)).join()
      else if (type === 'zset') out += (await redis.zrange(key, 0, -1)).join()
      else if (type === 'stream') out += JSON.stringify(await redis.xrange(key, '-', '+'))
    }
  } while (cursor !== '0')
  return out
}

describe('encryption at rest', () => {
  it('keeps payloads and answers out of Redis in plaintext, while the API and audit read them back', async () => {
    const secretPayload = 'iban-DE89370400440532013000-payload-marker'
    const secretNote = 'answer-note-marker-7f3a'
    const { body } = await hp.api('POST', '/v1/checkpoints', {
      task: 'Approve the wire?',
      payload: { iban: secretPayload },
      responseSchema: approvalSchema,
      onTimeout: { response: { approved: false, note: 'default-marker-51c2' } },
    })
    const answered = await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true, note: secretNote }, actor: 'ana' })
    expect(answered.body.response).toEqual({ approved: true, note: secretNote })
    expect((await hp.api('GET', `/v1/checkpoints/${body.id}`)).body.payload).toEqual({ iban: secretPayload })
    const audit = (await hp.api('GET', `/v1/checkpoints/${body.id}/audit`)).body
    expect(audit.chain.intact).toBe(true)
    expect(audit.entries.find((e: { kind: string }) => e.kind === 'answered').data.response.note).toBe(secretNote)

    const raw = await dumpRedis()
    expect(raw).toContain(body.id)
    expect(raw).toContain('$sealed')
    for (const marker of [secretPayload, secretNote, 'default-marker-51c2']) expect(raw).not.toContain(marker)
  })
})
