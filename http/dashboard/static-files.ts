import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { Context } from 'koa'

/**
 * Serves the built UI. Vite names assets by content hash, so `/assets/*` is cached for a
 * year; `index.html` is never cached so a deploy is picked up at the next load.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

export class StaticFiles {
  constructor(readonly root: string) {}

  /** Sends `relative` from the root if it is a file there; false otherwise (never escapes the root). */
  async send(ctx: Context, relative: string, cache: 'immutable' | 'revalidate' | 'none'): Promise<boolean> {
    const path = normalize(join(this.root, relative))
    if (path !== this.root && !path.startsWith(this.root + sep)) return false
    const info = await stat(path).catch(() => null)
    if (!info?.isFile()) return false
    ctx.status = 200
    ctx.type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
    ctx.length = info.size
    ctx.set('x-content-type-options', 'nosniff')
    ctx.set(
      'cache-control',
      cache === 'immutable' ? 'public, max-age=31536000, immutable' : cache === 'revalidate' ? 'public, max-age=300, must-revalidate' : 'no-store',
    )
    ctx.lastModified = info.mtime
    // Koa answers HEAD without the body and destroys the stream when the response ends.
    ctx.body = createReadStream(path)
    return true
  }

  async exists(relative: string): Promise<boolean> {
    return (await stat(join(this.root, relative)).catch(() => null))?.isFile() ?? false
  }
}
