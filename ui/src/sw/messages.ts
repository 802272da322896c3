/**
 * What the service worker makes of a push (api.md "Mobile push"), kept free of service
 * worker types so the dashboard's type check covers it. A push arrives encrypted from the
 * push service, or as plain text when DevTools delivers it; both are the same JSON.
 */
export interface RequestPush {
  type: 'checkpoint.request'
  checkpointId: string
  title: string
  body: string
  url: string
  actions?: Array<{ action: string; title: string }>
  actToken?: string
}

export interface ClosedPush {
  type: 'checkpoint.closed'
  checkpointId: string
  state: string
}

export type Push = RequestPush | ClosedPush

/** Kept on the notification, for the click. */
export interface NotificationData {
  checkpointId: string
  url: string
  actToken: string | null
}

const isText = (v: unknown): v is string => typeof v === 'string'

export function parsePush(text: string | null | undefined): Push | null {
  if (!text) return null
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null) return null
  const d = data as Record<string, unknown>
  if (!isText(d.checkpointId)) return null
  if (d.type === 'checkpoint.closed' && isText(d.state)) return { type: d.type, checkpointId: d.checkpointId, state: d.state }
  if (d.type !== 'checkpoint.request' || !isText(d.title) || !isText(d.body) || !isText(d.url)) return null
  // Only our own pages: a push can only come from this server, but the check is cheap.
  if (new URL(d.url, self.location.origin).origin !== self.location.origin) return null
  const actions = Array.isArray(d.actions) ? d.actions.filter((a): a is { action: string; title: string } => typeof a === 'object' && a !== null && isText((a as { action?: unknown }).action) && isText((a as { title?: unknown }).title)) : []
  return {
    type: d.type,
    checkpointId: d.checkpointId,
    title: d.title,
    body: d.body,
    url: d.url,
    ...(actions.length > 0 && isText(d.actToken) && { actions, actToken: d.actToken }),
  }
}

export function notificationFor(push: RequestPush): { title: string; options: NotificationOptions & { actions?: Array<{ action: string; title: string }>; renotify?: boolean } } {
  const data: NotificationData = { checkpointId: push.checkpointId, url: push.url, actToken: push.actToken ?? null }
  return {
    title: push.title,
    options: {
      body: push.body,
      // One notification per checkpoint: a reminder replaces it, the end closes it.
      tag: push.checkpointId,
      renotify: true,
      requireInteraction: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/badge-96.png',
      data,
      ...(push.actions && { actions: push.actions }),
    },
  }
}

export function dataOf(value: unknown): NotificationData | null {
  if (typeof value !== 'object' || value === null) return null
  const d = value as Record<string, unknown>
  return isText(d.checkpointId) && isText(d.url) ? { checkpointId: d.checkpointId, url: d.url, actToken: isText(d.actToken) ? d.actToken : null } : null
}
