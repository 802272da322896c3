import { z } from 'zod'
import { definePlugin } from '../../plugins/plugin.js'
import { smtpDoctor } from './doctor.js'
import { createEmailChannel } from './email-channel.js'
import { magicLinkRoutes } from './link-routes.js'
import { LinkUses } from './magic-link.js'
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
  })
  .superRefine((e, ctx) => {
    if (e.SMTP_URL !== undefined && e.HOLDPOINT_EMAIL_FROM === undefined) {
      ctx.addIssue({ code: 'custom', path: ['HOLDPOINT_EMAIL_FROM'], message: 'is required when SMTP_URL is set' })
    }
  })

/**
 * The email channel: delivery through SMTP in workers, the `/m/:token` link pages in
 * servers. Off unless SMTP_URL and HOLDPOINT_EMAIL_FROM are both set.
 */
export const emailPlugin = definePlugin({
  name: 'email',
  env,
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
  doctor: (s) => smtpDoctor(s.SMTP_URL ?? '', s.HOLDPOINT_EMAIL_FROM ?? '?'),
  start(s, ctx) {
    const from = s.HOLDPOINT_EMAIL_FROM ?? ''
    const mailer = new SmtpMailer(s.SMTP_URL ?? '', from)
    const shared = { keyring: ctx.keyring, directory: ctx.directory, publicUrl: ctx.publicUrl }
    const channel = createEmailChannel({ ...shared, mailer, redis: ctx.keys.redis, prefix: ctx.keys.prefix, domain: mailDomain(from) })
    const routes = magicLinkRoutes({ ...shared, engine: ctx.engine, uses: new LinkUses(ctx.keys.redis, ctx.keys.prefix), logger: ctx.logger })
    return {
      channel,
      routes,
      close() {
        mailer.close()
        return Promise.resolve()
      },
    }
  },
})
