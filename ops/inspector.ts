import { createWebSocketInspector } from '@statelyai/inspect'
import { createInspectorServer } from '@statelyai/inspect/server'
import type { Change } from '../engine/change-feed.js'
import type { HoldpointModule, ModuleFactory } from './module.js'
import { InspectorStream } from './inspector-stream.js'

/**
 * The Stately inspector relay (HOLDPOINT_INSPECT_PORT): the `@statelyai/inspect` WebSocket
 * server, fed by this process from the change feed. The feed carries every commit from every
 * process, so transitions made by workers elsewhere show up too. Unset, nothing listens.
 */
export const inspectorModule: ModuleFactory = (ctx): HoldpointModule | null => {
  const port = ctx.config.inspectPort
  const changes = ctx.changes
  if (port === undefined || !ctx.role.server || !changes) return null
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
    name: 'inspector',
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
