import { createHash } from 'node:crypto'
import type { KeySpace } from '../../plugins/plugin.js'

/**
 * A person's devices: the browser's PushSubscription, keyed by person id so every spelling of
 * `push:<email or username>` reaches the same devices. A device id is a hash of its endpoint,
 * so the endpoint (a capability URL) never has to appear in logs, tokens or the audit.
 */
export interface Device {
  id: string
  endpoint: string
  keys: { p256dh: string; auth: string }
  /** A label the person recognises (the browser's user agent, shortened). */
  label: string
  createdAt: string
}

export function deviceId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 16)
}

/** Devices a checkpoint's request reached, kept so its end can close those notifications. */
const TOLD_TTL_SECONDS = 120 * 24 * 60 * 60
/** Longer than BullMQ keeps retrying a delivery job. */
const SENT_TTL_SECONDS = 2 * 24 * 60 * 60

export class SubscriptionStore {
  constructor(private readonly keys: KeySpace) {}

  private devicesKey(personId: string) {
    return this.keys.key('push', 'devices', personId)
  }
  private toldKey(checkpointId: string, personId: string) {
    return this.keys.key('push', 'told', `{${checkpointId}}`, personId)
  }

  private get ownersKey() {
    return this.keys.key('push', 'device-owners')
  }

  /** A browser is one person's device: signing in as someone else and subscribing moves it. */
  async add(personId: string, device: Omit<Device, 'id' | 'createdAt'>): Promise<Device> {
    const stored: Device = { ...device, id: deviceId(device.endpoint), createdAt: new Date().toISOString() }
    const previous = await this.keys.redis.hget(this.ownersKey, stored.id)
    const tx = this.keys.redis.multi()
    if (previous !== null && previous !== personId) tx.hdel(this.devicesKey(previous), stored.id)
    await tx.hset(this.devicesKey(personId), stored.id, JSON.stringify(stored)).hset(this.ownersKey, stored.id, personId).exec()
    return stored
  }

  async list(personId: string): Promise<Device[]> {
    const raw = await this.keys.redis.hvals(this.devicesKey(personId))
    return raw.map((r) => JSON.parse(r) as Device).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  /** True when the device was there. */
  async remove(personId: string, id: string): Promise<boolean> {
    const [removed] = (await this.keys.redis.multi().hdel(this.devicesKey(personId), id).exec()) ?? []
    if (removed?.[1] !== 1) return false
    if ((await this.keys.redis.hget(this.ownersKey, id)) === personId) await this.keys.redis.hdel(this.ownersKey, id)
    return true
  }

  async removeAll(personId: string): Promise<void> {
    const ids = await this.keys.redis.hkeys(this.devicesKey(personId))
    const tx = this.keys.redis.multi().del(this.devicesKey(personId))
    if (ids.length > 0) tx.hdel(this.ownersKey, ...ids)
    await tx.exec()
  }

  async noteTold(checkpointId: string, personId: string, id: string): Promise<void> {
    const key = this.toldKey(checkpointId, personId)
    await this.keys.redis.multi().sadd(key, id).expire(key, TOLD_TTL_SECONDS).exec()
  }

  async told(checkpointId: string, personId: string): Promise<Set<string>> {
    return new Set(await this.keys.redis.smembers(this.toldKey(checkpointId, personId)))
  }

  private sentKey(deliveryId: string, id: string) {
    return this.keys.key('push', 'sent', createHash('sha256').update(deliveryId).digest('base64url').slice(0, 22), id)
  }

  /** Per delivery job and device, so a retried job does not push again to a device that got it. */
  async wasSent(deliveryId: string, id: string): Promise<boolean> {
    return (await this.keys.redis.exists(this.sentKey(deliveryId, id))) === 1
  }

  async markSent(deliveryId: string, id: string): Promise<void> {
    await this.keys.redis.set(this.sentKey(deliveryId, id), '1', 'EX', SENT_TTL_SECONDS)
  }
}
