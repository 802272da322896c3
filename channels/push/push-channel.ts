import type { Logger } from 'pino'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import type { Directory, Person } from '../../engine/directory.js'
import type { Keyring } from '../../engine/keyring.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal } from '../../machine/types.js'
import { PermanentDeliveryError, RetryAfterError, type Channel, type DeliveryContext } from '../../plugins/channel.js'
import { oneClickChoices } from '../common/answer-choices.js'
import { actTtlSeconds, mintActToken } from './act-token.js'
import { encodeClosed, encodeRequest, SHRUNK_PAYLOAD_BYTES, type RequestPayload } from './payload.js'
import { personOf, pushActor } from './person.js'
import { topicFor, type PushOptions, type Sender, type SendResult } from './sender.js'
import type { Device, SubscriptionStore } from './subscriptions.js'

/**
 * Push delivery: one job per recipient (a person), one push per device of theirs. Devices
 * are independent: one that is gone is dropped, one that is slow does not hold the others,
 * and the job only retries when no device got the push. The end of a checkpoint closes the
 * notification on every device that was told.
 */
export interface PushChannelDeps {
  store: SubscriptionStore
  sender: Sender
  directory: Directory
  keyring: Keyring
  publicUrl: string
  logger: Logger
}

/** One-tap answers only where nothing needs reading twice: a yes/no, or one of two values. */
const MAX_LOCK_SCREEN_CHOICES = 2
const MAX_TTL_SECONDS = 28 * 24 * 60 * 60
const CLOSED_TTL_SECONDS = 24 * 60 * 60

type DeviceOutcome = SendResult | { kind: 'skipped' }

export function createPushChannel(deps: PushChannelDeps): Channel {
  const log = deps.logger.child({ component: 'push' })

  async function lockScreenChoices(cp: CheckpointView, person: Person) {
    const choices = oneClickChoices(cp.responseSchema)
    if (!choices || choices.length > MAX_LOCK_SCREEN_CHOICES) return null
    return mayAct({ assignTo: cp.assignTo }, await pushActor(deps.directory, person)) ? choices : null
  }

  /** The checkpoint page; a grant link for a device whose browser is not signed in, when the person has an address. */
  function pageUrl(cp: CheckpointView, person: Person): string {
    if (!person.email) return cp.links.dashboard
    return mintDashboardLink({ keyring: deps.keyring, publicUrl: deps.publicUrl, checkpointId: cp.id, channel: 'email', handle: person.email, ttlSeconds: actTtlSeconds(cp.expiresAt) })
  }

  function requestFor(cp: CheckpointView, person: Person, device: Device, choices: Awaited<ReturnType<typeof lockScreenChoices>>): RequestPayload {
    const base: RequestPayload = { type: 'checkpoint.request', checkpointId: cp.id, title: 'Holdpoint: your decision is needed', body: cp.task, url: pageUrl(cp, person) }
    if (!choices) return base
    return {
      ...base,
      actions: choices.map((c, i) => ({ action: `a${i}`, title: c.label })),
      actToken: mintActToken(deps.keyring, { cp: cp.id, p: person.id, d: device.id }, actTtlSeconds(cp.expiresAt)),
    }
  }

  async function pushTo(person: Person, device: Device, deliveryId: string, payload: () => { full: string; shrunk: string }, options: PushOptions, checkpointId: string): Promise<DeviceOutcome> {
    if (await deps.store.wasSent(deliveryId, device.id)) return { kind: 'skipped' }
    const built = payload()
    let result = await deps.sender.send(device, built.full, options)
    // A service with a smaller limit than the spec's 4 KB: once more with the task cut short.
    if (result.kind === 'too_large') result = await deps.sender.send(device, built.shrunk, options)
    const where = { checkpointId, personId: person.id, device: device.id }
    switch (result.kind) {
      case 'sent':
        await deps.store.markSent(deliveryId, device.id)
        await deps.store.noteTold(checkpointId, person.id, device.id)
        break
      case 'gone':
        await deps.store.remove(person.id, device.id)
        log.info(where, 'push subscription gone; device removed')
        break
      case 'retry':
      case 'failed':
        log.warn({ ...where, reason: result.reason }, 'push to a device failed')
        break
      case 'too_large':
        log.warn(where, 'push service refused even the shortened payload')
        break
    }
    return result
  }

  /** Retry when no device got it: after the longest wait a service asked for, else with backoff. */
  function retryError(outcomes: DeviceOutcome[]): Error | null {
    if (outcomes.some((o) => o.kind === 'sent' || o.kind === 'skipped')) return null
    const waits = outcomes.flatMap((o) => (o.kind === 'retry' ? [o.afterMs] : []))
    if (waits.length === 0) return null
    if (waits.every((w): w is number => w !== null)) return new RetryAfterError(Math.max(1000, ...waits))
    return new Error('no device could be reached; retrying')
  }

  async function pushAll(ctx: DeliveryContext, person: Person, devices: Device[], build: (d: Device) => { full: string; shrunk: string }, options: PushOptions): Promise<DeviceOutcome[]> {
    return Promise.all(
      devices.map(async (d): Promise<DeviceOutcome> => {
        try {
          return await pushTo(person, d, ctx.deliveryId, () => build(d), options, ctx.checkpoint.id)
        } catch (error) {
          // A device whose push threw (a malformed stored key) must not stop the others.
          log.warn({ checkpointId: ctx.checkpoint.id, device: d.id, err: (error as Error).name }, 'push to a device threw')
          return { kind: 'retry', afterMs: null, reason: 'threw' }
        }
      }),
    )
  }

  async function sendRequest(ctx: DeliveryContext): Promise<void> {
    const person = await personOf(deps.directory, ctx.recipient)
    if (!person) throw new PermanentDeliveryError('no person in the directory for this push recipient')
    const devices = await deps.store.list(person.id)
    if (devices.length === 0) throw new PermanentDeliveryError('the person has no device subscribed to push')
    const cp = ctx.checkpoint
    const ttlSeconds = Math.min(MAX_TTL_SECONDS, Math.max(60, Math.ceil((Date.parse(cp.expiresAt) - Date.now()) / 1000)))
    const options: PushOptions = { ttlSeconds, urgency: 'high', topic: topicFor(cp.id) }
    const choices = await lockScreenChoices(cp, person)
    const build = (d: Device) => {
      const request = requestFor(cp, person, d, choices)
      return { full: encodeRequest(request), shrunk: encodeRequest(request, SHRUNK_PAYLOAD_BYTES) }
    }
    const outcomes = await pushAll(ctx, person, devices, build, options)
    if (outcomes.some((o) => o.kind === 'sent' || o.kind === 'skipped')) return
    const retry = retryError(outcomes)
    if (retry) throw retry
    throw new PermanentDeliveryError(`none of the person's ${devices.length} device(s) accepted the push`)
  }

  return {
    name: 'push',
    async deliver(ctx) {
      await sendRequest(ctx)
    },
    async remind(ctx) {
      if (!isTerminal(ctx.checkpoint.state)) await sendRequest(ctx)
    },
    async update(ctx) {
      // Claims and verdicts show on the page; only the end changes what the device should show.
      if (!isTerminal(ctx.checkpoint.state)) return
      const person = await personOf(deps.directory, ctx.recipient)
      if (!person) return
      const told = await deps.store.told(ctx.checkpoint.id, person.id)
      const devices = (await deps.store.list(person.id)).filter((d) => told.has(d.id))
      if (devices.length === 0) return
      const closed = encodeClosed({ type: 'checkpoint.closed', checkpointId: ctx.checkpoint.id, state: ctx.checkpoint.state })
      const options: PushOptions = { ttlSeconds: CLOSED_TTL_SECONDS, urgency: 'normal', topic: topicFor(ctx.checkpoint.id) }
      const retry = retryError(await pushAll(ctx, person, devices, () => ({ full: closed, shrunk: closed }), options))
      if (retry) throw retry
    },
  }
}
