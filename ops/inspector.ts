import { createWebSocketInspector } from '@statelyai/inspect'
import { createInspectorServer } from '@statelyai/inspect/server'
import type { Change } from '../engine/change-feed.js'
import { z } from 'zod'
import { definePlugin, type PluginContext, type PluginParts } from '../plugins/plugin.js'
import { InspectorStream } from './inspector-stream.js'

/**
 * The Stately inspector relay (HOLDPOINT_INSPECT_PORT): the `@statelyai/inspect` WebSocket
 * server, fed by this process from the change feed. The feed carries every commit from every
 * process, so transitions made by workers elsewhere show up too. Unset, nothing listens.
 */
export const inspectorPlugin = definePlugin({
  name: 'inspector',
  env: z.object({ HOLDPOINT_INSPECT_PORT: z.coerce.number().int().min(1).max(65535).optional() }),
  off: (s) => (s.HOLDPOINT_INSPECT_PORT === undefined ? 'set HOLDPOINT_INSPECT_PORT to stream transitions to the Stately inspector' : null),
  start: (s, ctx) => relayParts(s.HOLDPOINT_INSPECT_PORT ?? 0, ctx),
})

function relayParts(port: number, ctx: PluginContext): PluginParts {
  const changes = ctx.changes
  if (!ctx.role.server || !changes) return {}
  const log = ctx.logger.child({ component: 'inspector' })
  const stream = new InspectorStream()
  // One load at a time per checkpoint, so its messages go out in commit order.
  const inFlight = new Map<string, Promise<void>>()
  let relay: { stop(): void } | null = null
  let inspector: ReturnType<typeof createWebSocketInspector> | null = null
  let unsubscribe: (() => void) | null = null

  const publish = async (change: Change) => {
    const cp = await ctx.engine.get(change.id)
    if (!cp || !inspector) return
    const audit = await ctx.engine.store.readAudit(change.id)
    for (const message of stream.messagesFor(cp, audit)) inspector.adapter.send(message)
  }
  const onChange = (change: Change) => {
    const previous = inFlight.get(change.id) ?? Promise.resolve()
    const next = previous
      .then(() => publish(change))
      .catch((error: unknown) => log.warn({ checkpointId: change.id, err: (error as Error).message }, 'could not stream a transition to the inspector'))
      .finally(() => {
        if (inFlight.get(change.id) === next) inFlight.delete(change.id)
      })
    inFlight.set(change.id, next)
  }

  return {
    start() {
      relay = createInspectorServer({ port, autoOpen: false })
      inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` })
      unsubscribe = changes.watchAll(onChange)
      ctx.announce(`inspector relay on ws://127.0.0.1:${port}: open http://localhost:${port} to watch checkpoints in the Stately inspector`)
      return Promise.resolve()
    },
    async close() {
      unsubscribe?.()
      await Promise.allSettled(inFlight.values())
      inspector?.stop()
      relay?.stop()
    },
  }
}
