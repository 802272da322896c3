import type { HoldpointModule, ModuleFactory } from '../../ops/module.js'
import { createEmailChannel } from './email-channel.js'
import { magicLinkRoutes } from './link-routes.js'
import { LinkUses } from './magic-link.js'
import { SmtpMailer } from './smtp-mailer.js'
import { mailDomain } from './threading.js'

/**
 * The email channel: delivery through SMTP in workers, the `/m/:token` link pages in
 * servers. Off (one log line) unless SMTP_URL and HOLDPOINT_EMAIL_FROM are both set.
 */
export const emailModule: ModuleFactory = (ctx): HoldpointModule | null => {
  const { SMTP_URL, HOLDPOINT_EMAIL_FROM } = ctx.config.env
  if (SMTP_URL === undefined || HOLDPOINT_EMAIL_FROM === undefined) {
    ctx.logger.info('email channel off: set SMTP_URL and HOLDPOINT_EMAIL_FROM to enable it')
    return null
  }
  const mailer = new SmtpMailer(SMTP_URL, HOLDPOINT_EMAIL_FROM)
  const shared = { keyring: ctx.keyring, directory: ctx.directory, publicUrl: ctx.config.publicUrl }
  const channel = createEmailChannel({ ...shared, mailer, redis: ctx.redis, prefix: ctx.config.keyPrefix, domain: mailDomain(HOLDPOINT_EMAIL_FROM) })
  const routes = magicLinkRoutes({ ...shared, engine: ctx.engine, uses: new LinkUses(ctx.redis, ctx.config.keyPrefix), logger: ctx.logger })
  return {
    name: 'email',
    channel,
    routes,
    close() {
      mailer.close()
      return Promise.resolve()
    },
  }
}
