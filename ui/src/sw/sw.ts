import { dataOf, notificationFor, parsePush } from './messages'

/**
 * The dashboard's service worker: shows pushed requests (with one-tap answers when the
 * server offered them), closes them when the checkpoint ends, and answers or opens the
 * page on a click. It caches nothing: the dashboard is only useful online.
 *
 * The dashboard's type check uses the DOM library, which has no service worker scope, so
 * the few event shapes used here are declared locally.
 */
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface PushEvent extends ExtendableEvent {
  data: { text(): string } | null
}
interface NotificationEvent extends ExtendableEvent {
  action: string
  notification: Notification
}
interface WindowClient {
  url: string
  focus(): Promise<WindowClient>
  navigate(url: string): Promise<WindowClient | null>
}
interface Scope {
  registration: ServiceWorkerRegistration
  clients: { matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>; openWindow(url: string): Promise<WindowClient | null>; claim(): Promise<void> }
  skipWaiting(): Promise<void>
  addEventListener(type: 'push', listener: (e: PushEvent) => void): void
  addEventListener(type: 'notificationclick', listener: (e: NotificationEvent) => void): void
  addEventListener(type: 'install' | 'activate', listener: (e: ExtendableEvent) => void): void
  addEventListener(type: 'message', listener: (e: ExtendableEvent & { data: unknown }) => void): void
}

const sw = self as unknown as Scope

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()))
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()))

async function onPush(text: string | null): Promise<void> {
  const push = parsePush(text)
  if (!push) return
  if (push.type === 'checkpoint.closed') {
    for (const n of await sw.registration.getNotifications({ tag: push.checkpointId })) n.close()
    return
  }
  const { title, options } = notificationFor(push)
  await sw.registration.showNotification(title, options)
}

sw.addEventListener('push', (e) => e.waitUntil(onPush(e.data?.text() ?? null)))

/** A signed-in tab already showing the dashboard is reused; otherwise a new window. */
async function openPage(url: string): Promise<void> {
  const tabs = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const tab = tabs[0]
  if (tab) {
    await tab.focus()
    await tab.navigate(url)
    return
  }
  await sw.clients.openWindow(url)
}

async function onClick(notification: Notification, action: string): Promise<void> {
  notification.close()
  const data = dataOf(notification.data)
  if (!data) return
  if (action !== '' && data.actToken) {
    const res = await fetch('/push/act', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: data.actToken, action }), credentials: 'omit' }).catch(() => null)
    if (res?.ok) return
    // Refused, already answered elsewhere, or offline: the page says what happened.
  }
  await openPage(data.url)
}

sw.addEventListener('notificationclick', (e) => e.waitUntil(onClick(e.notification, e.action)))

// Browser tests cannot press a notification's button; they ask the worker to run the same click.
sw.addEventListener('message', (e) => {
  const m = e.data as { type?: unknown; tag?: unknown; action?: unknown } | null
  if (m?.type !== 'test:notificationclick' || typeof m.tag !== 'string' || typeof m.action !== 'string') return
  const action = m.action
  e.waitUntil(
    sw.registration.getNotifications({ tag: m.tag }).then(async (found) => {
      for (const n of found) await onClick(n, action)
    }),
  )
})
