import { z } from 'zod'
import { definePlugin, type PluginParts } from '../../plugins/plugin.js'
import { ActUses } from './act-token.js'
import { pushActRoute } from './act-route.js'
import { pushPersonRoutes } from './person-routes.js'
import { createPushChannel } from './push-channel.js'
import { createSender } from './sender.js'
import { SubscriptionStore } from './subscriptions.js'
import { generateVapidKeys, PRIVATE_KEY, PUBLIC_KEY, SUBJECT, vapidDoctor } from './vapid.js'

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

const env = z.object({
  HOLDPOINT_VAPID_PUBLIC_KEY: z.string().trim().regex(PUBLIC_KEY, 'must be a base64url P-256 public key (web-push generate-vapid-keys)').optional(),
  HOLDPOINT_VAPID_PRIVATE_KEY: z.string().trim().regex(PRIVATE_KEY, 'must be a base64url P-256 private key (web-push generate-vapid-keys)').optional(),
  HOLDPOINT_VAPID_SUBJECT: z.string().trim().regex(SUBJECT, 'must be a mailto: address or an https: URL').optional(),
})

/**
 * Web Push to people's phones and desktops (docs/push.md). Devices are subscribed from the
 * dashboard's Account page; `push:<email or username>` reaches every device of that person.
 * Off until the VAPID key pair and subject are set (dev mode generates them).
 */
export const pushPlugin = definePlugin({
  name: 'push',
  env,
  channel: {
    recipients: {
      pattern: /^push:(?:[^@\s]+@[^@\s]+\.[^@\s]+|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/,
      forms: ['push:<email>', 'push:<username>'],
      normalize: (r) => r.toLowerCase(),
    },
    // Push reads a person's core fields: the id is where their devices are kept, and either
    // spelling in `assignTo` names them. Every person is reachable at `push:<id>`; one who
    // subscribed no device gets a `delivery.failed` saying so.
    handles: [
      { field: 'id', label: 'Push', placeholder: '', pattern: USERNAME, message: 'a username', identities: (id) => [`push:${id}`], recipient: (id) => `push:${id}` },
      { field: 'email', label: 'Push', placeholder: '', pattern: ADDRESS, message: 'an email address', normalize: (v) => v.toLowerCase(), identities: (address) => [`push:${address}`] },
    ],
  },
  off(s) {
    if (s.HOLDPOINT_VAPID_PUBLIC_KEY === undefined || s.HOLDPOINT_VAPID_PRIVATE_KEY === undefined) {
      return 'set HOLDPOINT_VAPID_PUBLIC_KEY and HOLDPOINT_VAPID_PRIVATE_KEY to enable it (docs/push.md; dev mode generates them)'
    }
    if (s.HOLDPOINT_VAPID_SUBJECT === undefined) return 'set HOLDPOINT_VAPID_SUBJECT (mailto: or https:) to enable it (docs/push.md)'
    return null
  },
  devSecrets() {
    const keys = generateVapidKeys()
    return { HOLDPOINT_VAPID_PUBLIC_KEY: keys.publicKey, HOLDPOINT_VAPID_PRIVATE_KEY: keys.privateKey, HOLDPOINT_VAPID_SUBJECT: 'mailto:holdpoint-dev@example.com' }
  },
  doctor: (s) => vapidDoctor(s.HOLDPOINT_VAPID_PUBLIC_KEY ?? '', s.HOLDPOINT_VAPID_PRIVATE_KEY ?? '', s.HOLDPOINT_VAPID_SUBJECT ?? ''),
  start(s, ctx): PluginParts {
    const vapid = { publicKey: s.HOLDPOINT_VAPID_PUBLIC_KEY ?? '', privateKey: s.HOLDPOINT_VAPID_PRIVATE_KEY ?? '', subject: s.HOLDPOINT_VAPID_SUBJECT ?? '' }
    const policy = { production: ctx.production, allowPrivate: ctx.allowPrivateAddresses }
    const store = new SubscriptionStore(ctx.keys)
    const logger = ctx.logger
    // A removed person's devices go with them, whichever process removes them.
    ctx.directory.onRemove((id) => store.removeAll(id))
    return {
      channel: createPushChannel({ store, sender: createSender(vapid, policy), directory: ctx.directory, keyring: ctx.keyring, publicUrl: ctx.publicUrl, logger }),
      routes: pushActRoute({ engine: ctx.engine, directory: ctx.directory, keyring: ctx.keyring, store, uses: new ActUses(ctx.keys), logger }),
      personRoutes: pushPersonRoutes({ store, publicKey: vapid.publicKey, policy, logger }),
    }
  },
})
