import { api } from './api'

/**
 * This browser as a push device: permission, the service worker's PushSubscription and its
 * registration with the server. The server never hands endpoints back, so which listed
 * device is this one is worked out here, with the same hash the server uses for its id.
 */
export interface PushDevice {
  id: string
  label: string
  createdAt: string
}

export type PushSupport = 'supported' | 'needs-home-screen' | 'unsupported'

export function pushSupport(): PushSupport {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent)
  const standalone = window.matchMedia('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true
  // iOS (16.4+) offers push only to a dashboard added to the Home Screen.
  if (ios && !standalone) return 'needs-home-screen'
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window && window.isSecureContext ? 'supported' : 'unsupported'
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=')
  const raw = atob(base64)
  const out = new Uint8Array(new ArrayBuffer(raw.length))
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

export async function deviceIdOf(endpoint: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(endpoint)))
  let binary = ''
  for (const b of digest) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '').slice(0, 16)
}

export async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration('/')
  return (await registration?.pushManager.getSubscription()) ?? null
}

export async function listDevices(): Promise<PushDevice[]> {
  return (await api<{ devices: PushDevice[] }>('GET', '/ui/api/push/subscriptions')).devices
}

/** Asks permission, subscribes with the server's VAPID key, and registers the subscription. */
export async function notifyThisDevice(): Promise<void> {
  const permission = await Notification.requestPermission()
  if (permission !== 'granted') throw new Error(permission === 'denied' ? 'Notifications are blocked for this site. Allow them in the browser’s site settings, then try again.' : 'Notifications were not allowed.')
  await navigator.serviceWorker.register('/sw.js')
  const registration = await navigator.serviceWorker.ready
  const { publicKey } = await api<{ publicKey: string }>('GET', '/ui/api/push/key')
  const subscription = (await registration.pushManager.getSubscription()) ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }))
  await api('POST', '/ui/api/push/subscriptions', subscription.toJSON())
}

/** Removes a device; when it is this browser, its subscription is dropped too. */
export async function removeDevice(id: string): Promise<void> {
  await api('DELETE', '/ui/api/push/subscriptions', { id })
  const mine = await currentSubscription().catch(() => null)
  if (mine && (await deviceIdOf(mine.endpoint)) === id) await mine.unsubscribe()
}
