import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signWebhookHeaders } from '../../resume/webhook-signature.js'
import { webhookHeaders } from '../../sdk/webhook.js'

describe("the server's webhook signature", () => {
  it('is byte for byte the SDK’s, for any body and secret form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), async (body, prefixed, seconds) => {
        const raw = randomBytes(32).toString('base64')
        const secret = prefixed ? `whsec_${raw}` : raw
        const id = `msg_${randomBytes(6).toString('hex')}`
        const ours = signWebhookHeaders(secret, id, body, seconds * 1000 + 999)
        expect(ours).toEqual(await webhookHeaders({ secret, id, body, timestamp: seconds }))
      }),
      { numRuns: 200 },
    )
  })

  it('refuses a secret that is not base64', () => {
    expect(() => signWebhookHeaders('whsec_not base64!', 'msg_1', '{}')).toThrow(/whsec_/)
  })
})
