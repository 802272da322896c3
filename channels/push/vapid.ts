import webpush from 'web-push'
import type { DoctorCheck } from '../../plugins/plugin.js'

/** VAPID keys as `web-push generate-vapid-keys` prints them: base64url P-256 public (65 bytes) and private (32 bytes). */
export const PUBLIC_KEY = /^[A-Za-z0-9_-]{86,87}$/
export const PRIVATE_KEY = /^[A-Za-z0-9_-]{43}$/
export const SUBJECT = /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/

export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys()
}

/**
 * `holdpoint doctor`: the keys make a VAPID header (a pair that does not match is caught by
 * push services, not here: signing needs only the private key).
 */
export function vapidDoctor(publicKey: string, privateKey: string, subject: string): Promise<DoctorCheck> {
  const fix = 'see docs/push.md (generate a pair with `npx web-push generate-vapid-keys`)'
  try {
    webpush.getVapidHeaders('https://push.example.com', subject, publicKey, privateKey, 'aes128gcm')
    return Promise.resolve({ name: 'push', ok: true, detail: `VAPID keys usable, subject ${subject}` })
  } catch (error) {
    return Promise.resolve({ name: 'push', ok: false, detail: `VAPID keys unusable: ${(error as Error).message}`, fix })
  }
}
