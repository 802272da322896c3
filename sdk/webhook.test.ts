import { describe, expect, it } from 'vitest'
import { WebhookVerificationError } from './errors.js'
import { signWebhook, verifyWebhook, webhookHeaders, type ResumeEvent } from './webhook.js'

function newSecret(): string {
  return 'whsec_' + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')
}

const secret = newSecret()
const now = Date.UTC(2026, 10, 25, 19, 0, 0)
const nowSeconds = Math.floor(now / 1000)
const event: ResumeEvent = {
  type: 'checkpoint.resolved',
  timestamp: '2026-11-25T19:00:00Z',
  data: {
    checkpointId: 'cp_1',
    state: 'resolved',
    response: { approved: true },
    respondedBy: { channel: 'slack', actor: 'U024BE7LH', name: 'Ana' },
    idempotencyKey: 'k1',
    metadata: { runId: 'run_7' },
  },
}
const body = JSON.stringify(event)

async function signed(overrides: { secret?: string; timestamp?: number } = {}): Promise<Record<string, string>> {
  return webhookHeaders({ secret: overrides.secret ?? secret, id: 'msg_1', timestamp: overrides.timestamp ?? nowSeconds, body })
}

async function rejection(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WebhookVerificationError)
  return error as WebhookVerificationError
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', async () => {
    const signature = await signWebhook({
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    })
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })
})

describe('verifyWebhook', () => {
  it('accepts a valid signature and returns the typed event', async () => {
    const verified = await verifyWebhook({ secret, headers: await signed(), body, now })
    expect(verified).toEqual(event)
    expect(verified.data.checkpointId).toBe('cp_1')
  })

  it('reads headers in any case, from a Headers object, and a Uint8Array body', async () => {
    const headers = await signed()
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
    await expect(verifyWebhook({ secret, headers: shouting, body, now })).resolves.toEqual(event)
    await expect(
      verifyWebhook({ secret, headers: new Headers(headers), body: new TextEncoder().encode(body), now }),
    ).resolves.toEqual(event)
  })

  it('accepts a rotation list in which one signature is valid', async () => {
    const headers = await signed()
    const stale = (await signed({ secret: newSecret() }))['webhook-signature']
    headers['webhook-signature'] = `v1a,bm90LWFuLWVkMjU1MTk= ${stale} ${headers['webhook-signature']}`
    await expect(verifyWebhook({ secret, headers, body, now })).resolves.toEqual(event)
  })

  it('rejects a signature made with another secret', async () => {
    const error = await rejection(verifyWebhook({ secret, headers: await signed({ secret: newSecret() }), body, now }))
    expect(error.reason).toBe('no_matching_signature')
    expect(error.code).toBe('webhook_verification_failed')
  })

  it('rejects a tampered body', async () => {
    const tampered = body.replace('"approved":true', '"approved":false')
    const error = await rejection(verifyWebhook({ secret, headers: await signed(), body: tampered, now }))
    expect(error.reason).toBe('no_matching_signature')
  })

  it('rejects timestamps outside the tolerance in either direction, even when correctly signed', async () => {
    const stale = await rejection(verifyWebhook({ secret, headers: await signed({ timestamp: nowSeconds - 301 }), body, now }))
    expect(stale.reason).toBe('timestamp_out_of_tolerance')
    const future = await rejection(verifyWebhook({ secret, headers: await signed({ timestamp: nowSeconds + 301 }), body, now }))
    expect(future.reason).toBe('timestamp_out_of_tolerance')
    await expect(
      verifyWebhook({ secret, headers: await signed({ timestamp: nowSeconds - 300 }), body, now }),
    ).resolves.toEqual(event)
    await expect(
      verifyWebhook({ secret, headers: await signed({ timestamp: nowSeconds - 50 }), body, now, toleranceSeconds: 10 }),
    ).rejects.toThrow(/tolerance 10s/)
  })

  it('rejects missing headers and malformed timestamps', async () => {
    const headers = await signed()
    const { 'webhook-signature': _dropped, ...unsigned } = headers
    expect((await rejection(verifyWebhook({ secret, headers: unsigned, body, now }))).reason).toBe('missing_header')
    const bad = { ...headers, 'webhook-timestamp': '2026-11-25T19:00:00Z' }
    expect((await rejection(verifyWebhook({ secret, headers: bad, body, now }))).reason).toBe('invalid_timestamp')
  })

  it('rejects a correctly signed body that is not a resume event', async () => {
    const other = JSON.stringify({ hello: 'world' })
    const headers = await webhookHeaders({ secret, id: 'msg_2', timestamp: nowSeconds, body: other })
    expect((await rejection(verifyWebhook({ secret, headers, body: other, now }))).reason).toBe('invalid_payload')
  })

  it('refuses a secret that is not base64', async () => {
    const error = await rejection(verifyWebhook({ secret: 'whsec_%%%', headers: await signed(), body, now }))
    expect(error.reason).toBe('invalid_secret')
  })
})
