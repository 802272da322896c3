import { Router } from '@koa/router'
import type { Change } from '../../engine/change-feed.js'
import type { DashDeps } from './deps.js'
import { maySee } from './viewer.js'

const HEARTBEAT_MS = 20_000

/**
 * Server-sent events for live pages. Every commit is published on Redis pub/sub, so a
 * change made by any server or worker process reaches every open dashboard. The stream only
 * says which checkpoint changed (and only to viewers who may see it); pages refetch.
 */
export function eventRoutes(deps: DashDeps): { router: Router; closeAll(): void } {
  const { auth, engine, changes } = deps
  const open = new Set<() => void>()
  const router = new Router()

  router.get('/ui/api/events', async (ctx) => {
    const viewer = await auth.requireViewer(ctx)
    // The stream is written by hand: Koa's body piping treats every closed tab as an error.
    ctx.status = 200
    ctx.respond = false
    const res = ctx.res
    ctx.req.socket.setTimeout(0)
    ctx.req.socket.setNoDelay(true)
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
    const stream = res

    const send = (event: string, data: unknown) => {
      if (!stream.writableEnded && !stream.destroyed) stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    const forward = async (change: Change) => {
      const cp = await engine.get(change.id)
      if (cp && maySee(viewer, cp)) send('change', { id: change.id, state: change.state, version: change.version })
    }
    const stop = changes.watchAll((change) => {
      forward(change).catch((error: unknown) => deps.logger.warn({ err: (error as Error).message }, 'dashboard event not forwarded'))
    })
    const beat = setInterval(() => {
      // A signed-out session stops receiving at the next heartbeat.
      deps.sessions
        .get(viewer.sessionId)
        .then((session) => (session && !stream.destroyed ? stream.write(': keep-alive\n\n') : close()))
        .catch(() => close())
    }, HEARTBEAT_MS)
    const close = () => {
      clearInterval(beat)
      stop()
      open.delete(close)
      if (!stream.writableEnded) stream.end()
    }
    open.add(close)
    ctx.req.once('close', close)
    stream.write('retry: 2000\n\n')
    send('ready', { at: new Date().toISOString() })
  })

  return {
    router,
    closeAll() {
      for (const close of [...open]) close()
    },
  }
}
