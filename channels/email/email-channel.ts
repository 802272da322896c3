import { createHash } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal } from '../../machine/types.js'
import { approvalAnswer } from '../common/answer-choices.js'
import type { BatchDelivery, Channel, DeliveryContext } from '../../plugins/channel.js'
import { batchMessageId, composeBatchMail } from './batch-mail.js'
import { emailActor } from './email-actor.js'
import { composeOutcomeMail, composeReminderMail, composeRequestMail } from './email-message.js'
import { approveAllLink, linksFor, type LinkDeps } from './email-links.js'
import { linkTtlSeconds } from './magic-link.js'
import type { ReplyAddresses } from './reply-address.js'
import { composeSentBackMail } from './verdict-mail.js'
import type { SmtpMailer } from './smtp-mailer.js'
import { threadHeaders, type ThreadHeaders } from './threading.js'

/**
 * Email delivery: the request mail on `deliver`, one outcome mail in the same thread when
 * the checkpoint ends. A Message-ID is sent at most once (a Redis mark written after the
 * SMTP server accepted it), so a job retried after a successful send, or dispatched again
 * after it completed, does not mail again.
 */
export interface EmailChannelDeps extends LinkDeps {
  mailer: SmtpMailer
  redis: RedisClient
  prefix: string
  /** Domain for Message-IDs: the sender's. */
  domain: string
  /** Signed reply sub-addresses, when HOLDPOINT_EMAIL_REPLY_TO is set. */
  replies?: ReplyAddresses | null
}

/** Marks written before marks were named by checkpoint; they lapse 120 days after they were written. */
const legacySentKey = (prefix: string, messageId: string) => `${prefix}:email:sent:${messageId}`

export function addressOf(recipient: string): string {
  return recipient.slice(recipient.indexOf(':') + 1).toLowerCase()
}

/** `remind` is optional on Channel; it is declared here so the email channel has it either way. */
export type EmailChannel = Channel & { remind(ctx: DeliveryContext): Promise<void>; deliverBatch(delivery: BatchDelivery): Promise<void>; delivered(ctx: DeliveryContext): Promise<void> }

export function createEmailChannel(deps: EmailChannelDeps): EmailChannel {
  /**
   * The mark of one Message-ID, named by its checkpoint (the archiver removes what names an
   * archived checkpoint) and a short hash: about 100 bytes of Redis while it lasts.
   */
  const sentKey = (checkpointId: string, h: ThreadHeaders) => `${deps.prefix}:email:sent:${checkpointId}.${createHash('sha256').update(h.messageId).digest('base64url').slice(0, 10)}`

  /**
   * Sends unless the mark says it went. The mark lasts as long as a link in the mail (the
   * deadline and a day, linkTtlSeconds): a later job of the same checkpoint still finds it (a
   * verdict mail is asked for again by every update until the next verdict), and after that
   * no job of the checkpoint would send it again. The request's mark goes once its delivery is
   * recorded (`delivered`), which then stops every later `deliver` by itself: a pending
   * checkpoint keeps no mark (about 100 bytes of Redis each).
   */
  async function sendOnce(checkpointId: string, expiresAt: string, headers: ThreadHeaders, send: () => Promise<void>): Promise<void> {
    const key = sentKey(checkpointId, headers)
    if ((await deps.redis.exists(key, legacySentKey(deps.prefix, headers.messageId))) > 0) return
    await send()
    await deps.redis.set(key, '1', 'EX', linkTtlSeconds(expiresAt))
  }

  /** A reply address only for people whose reply could count; the rest get none to misuse. */
  async function replyTo(cp: CheckpointView, to: string): Promise<{ replyTo?: string }> {
    if (!deps.replies) return {}
    const actor = await emailActor(deps.directory, to, cp.assignTo)
    if (!mayAct({ assignTo: cp.assignTo }, actor)) return {}
    return { replyTo: await deps.replies.mint({ cp: cp.id, to }, linkTtlSeconds(cp.expiresAt)) }
  }

  return {
    name: 'email',
    async deliver(ctx: DeliveryContext) {
      const to = addressOf(ctx.recipient)
      const headers = threadHeaders(ctx.checkpoint.id, to, deps.domain, 'request')
      await sendOnce(ctx.checkpoint.id, ctx.checkpoint.expiresAt, headers, async () => {
        const links = await linksFor(deps, ctx.checkpoint, to)
        await deps.mailer.send({ to, ...composeRequestMail(ctx.checkpoint, links), ...headers, ...(await replyTo(ctx.checkpoint, to)) })
      })
    },
    async delivered(ctx: DeliveryContext) {
      const to = addressOf(ctx.recipient)
      await deps.redis.del(sentKey(ctx.checkpoint.id, threadHeaders(ctx.checkpoint.id, to, deps.domain, 'request')))
    },
    async deliverBatch(delivery: BatchDelivery) {
      const to = addressOf(delivery.recipient)
      const headers = { messageId: batchMessageId(delivery.sendId, to, deps.domain) }
      // Named by the batch's first checkpoint, kept until the last deadline among its items.
      const lead = delivery.items[0]?.checkpoint
      const lastDeadline = delivery.items.reduce((latest, i) => (Date.parse(i.checkpoint.expiresAt) > Date.parse(latest) ? i.checkpoint.expiresAt : latest), lead?.expiresAt ?? '')
      await sendOnce(lead?.id ?? delivery.sendId, lastDeadline, headers, async () => {
        const items = await Promise.all(delivery.items.map(async (ctx) => ({ checkpoint: ctx.checkpoint, links: await linksFor(deps, ctx.checkpoint, to) })))
        const first = delivery.items[0]?.checkpoint.id ?? ''
        const page = `${deps.publicUrl.replace(/\/$/, '')}/batches/${first}`
        // Offered only when some item this address may answer has a plain approve answer.
        const approvable = items.filter((i) => i.links.answers.length > 0 && approvalAnswer(i.checkpoint.responseSchema) !== null).map((i) => i.checkpoint)
        const approveAll = approvable.length > 0 ? approveAllLink(deps, delivery.batch.id, approvable, to) : null
        await deps.mailer.send({ to, ...composeBatchMail(delivery.batch, items, page, approveAll), ...headers })
      })
    },
    async remind(ctx: DeliveryContext) {
      if (isTerminal(ctx.checkpoint.state)) return
      const to = addressOf(ctx.recipient)
      // One Message-ID per reminder job, so a retried reminder is still one mail.
      const tag = createHash('sha256').update(ctx.deliveryId).digest('hex').slice(0, 12)
      const headers = threadHeaders(ctx.checkpoint.id, to, deps.domain, `reminder-${tag}`)
      await sendOnce(ctx.checkpoint.id, ctx.checkpoint.expiresAt, headers, async () => {
        const links = await linksFor(deps, ctx.checkpoint, to)
        await deps.mailer.send({ to, ...composeReminderMail(ctx.checkpoint, links), ...headers, ...(await replyTo(ctx.checkpoint, to)) })
      })
    },
    async update(ctx: DeliveryContext) {
      // Claims and releases are visible on the link pages; only the end, and an answer a
      // verifier sent back (once per failed attempt), are worth a mail.
      const verdict = ctx.checkpoint.verification
      if (!isTerminal(ctx.checkpoint.state) && verdict && !verdict.passed) {
        const to = addressOf(ctx.recipient)
        const headers = threadHeaders(ctx.checkpoint.id, to, deps.domain, `verdict-${verdict.attempts}`)
        await sendOnce(ctx.checkpoint.id, ctx.checkpoint.expiresAt, headers, async () => {
          const links = await linksFor(deps, ctx.checkpoint, to)
          await deps.mailer.send({ to, ...composeSentBackMail(ctx.checkpoint, links), ...headers, ...(await replyTo(ctx.checkpoint, to)) })
        })
        return
      }
      if (!isTerminal(ctx.checkpoint.state)) return
      const to = addressOf(ctx.recipient)
      const headers = threadHeaders(ctx.checkpoint.id, to, deps.domain, 'outcome')
      await sendOnce(ctx.checkpoint.id, ctx.checkpoint.expiresAt, headers, () => deps.mailer.send({ to, ...composeOutcomeMail(ctx.checkpoint), ...headers }))
    },
  }
}
