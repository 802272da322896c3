import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeOpenAI } from '../support/fake-openai.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { FAIL_REASON, POLICY, policyBrain } from './policy-brain.js'

let sink: SmtpSink
let model: FakeOpenAI
let hp: TestHoldpoint

beforeAll(async () => {
  sink = await startSmtpSink()
  model = await new FakeOpenAI(policyBrain).start()
  hp = await startHoldpoint({
    env: { SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>', OPENAI_API_KEY: model.apiKey, OPENAI_BASE_URL: `${model.url}/v1` },
  })
})
afterAll(async () => {
  await hp.close()
  await Promise.all([sink.close(), model.close()])
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('the verifier’s reason by email', () => {
  it('sends a follow-up in the request’s thread with the reason and fresh links', async () => {
    const created = await hp.api('POST', '/v1/checkpoints', {
      task: 'Approve a $250 refund for cus_42?',
      responseSchema: approvalSchema,
      notify: ['email:ana@example.com'],
      verify: { provider: 'openai', instructions: POLICY },
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const id = created.body.id as string
    const request = await eventually(async () => sink.to('ana@example.com').find((m) => m.messageId?.includes(id) && !m.inReplyTo))
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    const followUp = await eventually(async () => sink.to('ana@example.com').find((m) => m.messageId?.includes(id) && m.messageId.includes('.verdict-1@')))
    expect(followUp.text).toContain(`The answer was sent back: ${FAIL_REASON}`)
    expect(followUp.inReplyTo).toBe(request.messageId)
    expect(followUp.subject).toMatch(/^Re: \[Holdpoint\]/)
    expect(followUp.text).toMatch(/\/m\//)
  })
})
