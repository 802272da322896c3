import type { Worker } from 'bullmq'
import type { Middleware } from 'koa'
import { z } from 'zod'
import { definePlugin, type PluginParts } from '../../plugins/plugin.js'
import { ProposalStore } from '../common/proposals.js'
import { emailDoctor } from './doctor.js'
import { createEmailChannel } from './email-channel.js'
import { ImapReader } from './imap-reader.js'
import { IMAP_SCHEDULER, INBOUND_QUEUE, InboundMessages } from './inbound-queue.js'
import { inboundRoute } from './inbound-route.js'
import { createInboundWorker } from './inbound-worker.js'
import { magicLinkRoutes } from './link-routes.js'
import { LinkUses } from './magic-link.js'
import { ReplyAddresses } from './reply-address.js'
import { createReplyHandler } from './reply-handler.js'
import { dnsLookup } from './sender-auth.js'
import { SmtpMailer } from './smtp-mailer.js'
import { mailDomain } from './threading.js'

const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

const env = z
  .object({
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be smtp://user:pass@host:port or smtps://…')
      .optional(),
    HOLDPOINT_EMAIL_FROM: z.string().trim().min(1).optional(),
    HOLDPOINT_EMAIL_REPLY_TO: z
      .string()
      .trim()
      .regex(ADDRESS, 'must be an address, e.g. approvals@example.com')
      .refine((a) => !a.slice(0, a.lastIndexOf('@')).includes('+'), 'must be the mailbox itself, without a +tag')
      .transform((a) => a.toLowerCase())
      .optional(),
    HOLDPOINT_IMAP_URL: z
      .string()
      .regex(/^imaps?:\/\/[^/\s]+/, 'must be imaps://user:pass@host:993/INBOX or imap://…')
      .optional(),
    /** Processed replies are moved here; unset, they are flagged \Seen and stay. */
    HOLDPOINT_IMAP_MOVE_TO: z.string().trim().min(1).optional(),
    HOLDPOINT_IMAP_POLL_SECONDS: z.coerce.number().positive().max(3600).default(15),
    HOLDPOINT_EMAIL_INBOUND_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    HOLDPOINT_EMAIL_REPLIES_PER_HOUR: z.coerce.number().int().positive().default(20),
    /** DNS servers for DKIM/SPF/DMARC lookups (`10.0.0.2`, `127.0.0.1:5353`); the system's when unset. */
    HOLDPOINT_EMAIL_DNS_SERVERS: z.string().trim().min(1).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.SMTP_URL !== undefined && e.HOLDPOINT_EMAIL_FROM === undefined) {
      ctx.addIssue({ code: 'custom', path: ['HOLDPOINT_EMAIL_FROM'], message: 'is required when SMTP_URL is set' })
    }
    // A Reply-To nobody reads would swallow people's answers.
    if (e.HOLDPOINT_EMAIL_REPLY_TO !== undefined && e.HOLDPOINT_IMAP_URL === undefined && e.HOLDPOINT_EMAIL_INBOUND_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['HOLDPOINT_EMAIL_REPLY_TO'], message: 'needs HOLDPOINT_IMAP_URL or HOLDPOINT_EMAIL_INBOUND_SECRET (how replies reach Holdpoint)' })
    }
    for (const name of ['HOLDPOINT_IMAP_URL', 'HOLDPOINT_EMAIL_INBOUND_SECRET'] as const) {
      if (e[name] !== undefined && e.HOLDPOINT_EMAIL_REPLY_TO === undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'needs HOLDPOINT_EMAIL_REPLY_TO (the address replies go to)' })
      }
    }
  })

/** Both middlewares in one: the inbound endpoint first, then the link pages. */
function chain(first: Middleware | null, second: Middleware): Middleware {
  if (!first) return second
  return async (ctx, next) => {
    await first(ctx, async () => {
      await second(ctx, next)
    })
  }
}

/**
 * The email channel: delivery through SMTP in workers, the `/m/:token` link pages in
 * servers. Off unless SMTP_URL and HOLDPOINT_EMAIL_FROM are both set. With
 * HOLDPOINT_EMAIL_REPLY_TO, replies are read too: from an IMAP mailbox (a scheduled job on
 * this plugin's queue) and/or `POST /email/inbound`, through one pipeline in workers.
 */
export const emailPlugin = definePlugin({
  name: 'email',
  env,
  queues: [INBOUND_QUEUE],
  channel: {
    recipients: { pattern: /^email:[^@\s]+@[^@\s]+\.[^@\s]+$/, forms: ['email:person@example.com'], normalize: (r) => r.toLowerCase() },
    // The address is a core field of a person (it is also how they sign in); the channel reads it.
    handles: [
      {
        field: 'email',
        label: 'Email',
        placeholder: 'ana@example.com',
        pattern: ADDRESS,
        message: 'an email address',
        normalize: (v) => v.toLowerCase(),
        identities: (address) => [`email:${address}`],
        recipient: (address) => `email:${address}`,
        lookup: true,
      },
    ],
  },
  off: (s) => (s.SMTP_URL !== undefined && s.HOLDPOINT_EMAIL_FROM !== undefined ? null : 'set SMTP_URL and HOLDPOINT_EMAIL_FROM to enable it (docs/email.md)'),
  doctor: (s) => emailDoctor(s.SMTP_URL ?? '', s.HOLDPOINT_EMAIL_FROM ?? '?', s.HOLDPOINT_IMAP_URL),
  start(s, ctx): PluginParts {
    const from = s.HOLDPOINT_EMAIL_FROM ?? ''
    const domain = mailDomain(from)
    const mailer = new SmtpMailer(s.SMTP_URL ?? '', from)
    const replies = s.HOLDPOINT_EMAIL_REPLY_TO === undefined ? null : new ReplyAddresses(ctx.keys, ctx.keyring, s.HOLDPOINT_EMAIL_REPLY_TO)
    const proposals = replies ? new ProposalStore(ctx.keys) : null
    const messages = new InboundMessages(ctx.queues.get(INBOUND_QUEUE), ctx.keyring)
    const shared = { keyring: ctx.keyring, directory: ctx.directory, publicUrl: ctx.publicUrl }
    const channel = createEmailChannel({ ...shared, mailer, redis: ctx.keys.redis, prefix: ctx.keys.root('email'), domain, replies })
    const links = magicLinkRoutes({ ...shared, engine: ctx.engine, uses: new LinkUses(ctx.keys.redis, ctx.keys.root('email')), logger: ctx.logger, proposals })
    const inbound = replies && s.HOLDPOINT_EMAIL_INBOUND_SECRET !== undefined ? inboundRoute({ secret: s.HOLDPOINT_EMAIL_INBOUND_SECRET, messages }) : null
    let worker: Worker | null = null
    let reader: ImapReader | null = null
    return {
      channel,
      routes: chain(inbound, links),
      async start() {
        if (!ctx.role.worker) return
        const queue = ctx.queues.get(INBOUND_QUEUE)
        // A scheduler left from a configuration with IMAP would keep queueing polls nobody reads.
        if (!replies || !proposals || s.HOLDPOINT_IMAP_URL === undefined) await queue.removeJobScheduler(IMAP_SCHEDULER)
        if (!replies || !proposals) return
        const handle = createReplyHandler({
          ...shared,
          engine: ctx.engine,
          keys: ctx.keys,
          replies,
          proposals,
          extractor: ctx.extractor,
          mailer,
          domain,
          dns: dnsLookup((s.HOLDPOINT_EMAIL_DNS_SERVERS ?? '').split(',').map((v) => v.trim()).filter(Boolean)),
          perHour: s.HOLDPOINT_EMAIL_REPLIES_PER_HOUR,
          logger: ctx.logger,
        })
        reader = s.HOLDPOINT_IMAP_URL === undefined ? null : new ImapReader({ settings: { url: s.HOLDPOINT_IMAP_URL, moveTo: s.HOLDPOINT_IMAP_MOVE_TO ?? null }, redis: ctx.keys.redis, prefix: ctx.keys.root('email'), messages, logger: ctx.logger })
        worker = createInboundWorker({ handle, messages, reader, connection: ctx.queues.connection, prefix: ctx.queues.prefixOf(INBOUND_QUEUE), lockMs: ctx.jobLockMs, logger: ctx.logger })
        if (reader) {
          await reader.start()
          // Upserting is idempotent, so every worker may do it; the lease picks one reader per run.
          await queue.upsertJobScheduler(IMAP_SCHEDULER, { every: Math.round(s.HOLDPOINT_IMAP_POLL_SECONDS * 1000) }, { name: 'poll', opts: { removeOnComplete: true, removeOnFail: true } })
        }
        ctx.announce(`email: replies to ${s.HOLDPOINT_EMAIL_REPLY_TO ?? ''} are read${reader ? ' from IMAP' : ''}${inbound ? `${reader ? ' and' : ''} at ${ctx.publicUrl}/email/inbound` : ''}`)
      },
      async close() {
        reader?.stop()
        await worker?.close()
        mailer.close()
      },
    }
  },
})
