import { z } from 'zod'
import type { Channel } from '../../plugins/channel.js'
import { definePlugin } from '../../plugins/plugin.js'

/**
 * The dashboard is always on. A checkpoint is visible to reviewers as soon as it is
 * committed (the inbox reads the index and is woken through pub/sub), so delivering is
 * acknowledging that; the engine then records `delivered`. The dashboard's pages and API are
 * an HTTP surface (http/dashboard), not part of the channel.
 */
export const dashboardChannel: Channel = {
  name: 'dashboard',
  deliver: () => Promise.resolve(),
}

export const dashboardChannelPlugin = definePlugin({
  name: 'dashboard',
  env: z.object({}),
  channel: { recipients: { pattern: /^dashboard$/, forms: ['dashboard'] } },
  start: () => ({ channel: dashboardChannel }),
})
