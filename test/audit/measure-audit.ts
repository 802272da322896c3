// Bytes of audit in Redis for the README's refund example (dashboard + one email recipient):
// MEMORY USAGE of a pending checkpoint's audit list, and the stored length of each entry kind
// through a lifecycle. On the shared Redis under a random prefix, removed afterwards.
//
//   npx tsx test/audit/measure-audit.ts
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { CheckpointStore } from '../../engine/checkpoint-store.js'
import { Engine } from '../../engine/engine.js'
import { FieldCipher } from '../../engine/field-cipher.js'
import { closeValidation } from '../../engine/json-schema.js'
import { Keyring } from '../../engine/keyring.js'
import { deleteKeys } from '../support/holdpoint.js'
import { ana, refundSpec } from './refund-example.js'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const prefix = `hptest-measure-${randomBytes(6).toString('hex')}`
const keyring = new Keyring([{ kid: 'k1', key: randomBytes(32) }])
const store = new CheckpointStore(redis, prefix, new FieldCipher(keyring))
const engine = new Engine({ store, keyring, dispatcher: { dispatch: async () => undefined } })

try {
  const { checkpoint } = await engine.create(refundSpec, 'refund-agent')
  const id = checkpoint.id
  await engine.send(id, (now) => ({ type: 'checkpoint.delivered', now, recipient: 'dashboard' }))
  await engine.send(id, (now) => ({ type: 'checkpoint.delivered', now, recipient: 'email:ana@example.com' }))
  const key = store.keys.audit(id)
  const pendingBytes = await redis.memory('USAGE', key, 'SAMPLES', 0)
  const pendingLines = await redis.lrange(key, 0, -1)

  await engine.note(id, { kind: 'viewed', actor: { channel: 'dashboard', actor: 'ana' }, data: { via: 'dashboard' } })
  await engine.answer({ id, by: ana, response: { approved: 'yes' }, via: 'email' })
  await engine.answer({ id, by: ana, response: { approved: true, note: 'duplicate charge confirmed' }, via: 'email' })
  await engine.note(id, { kind: 'resumed', actor: { channel: 'system', actor: 'webhook' }, data: { target: 'webhook', messageId: `msg_${id}`, attempt: 1, status: 200 } })
  const lines = await redis.lrange(key, 0, -1)
  const finishedBytes = await redis.memory('USAGE', key, 'SAMPLES', 0)

  const kinds = ['created', 'delivered (dashboard)', 'delivered (email)', 'viewed', 'refused (invalid answer)', 'answered', 'resumed']
  console.log(`pending refund checkpoint (created + 2 × delivered): MEMORY USAGE of the audit list = ${pendingBytes} B, entries ${pendingLines.map((l) => Buffer.byteLength(l)).join(' + ')} B`)
  console.log(`after a view, an invalid answer, an answer and a resume: MEMORY USAGE = ${finishedBytes} B`)
  console.log('\n| entry | stored bytes |\n|---|---:|')
  lines.forEach((line, i) => console.log(`| ${kinds[i] ?? '?'} | ${Buffer.byteLength(line)} |`))
  if (process.argv.includes('--show')) for (const line of lines) console.log(line)
} finally {
  redis.disconnect()
  await deleteKeys(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix)
  await closeValidation()
}
