import { randomUUID } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import { ImapFlow } from 'imapflow'
import type { Logger } from 'pino'
import { MAX_MESSAGE_BYTES } from './inbound-mail.js'
import type { InboundMessages } from './inbound-queue.js'

/**
 * The reply mailbox over IMAP. A scheduled `poll` job runs on whichever worker is free; a
 * Redis lease lets one of them read at a time. The position (UIDVALIDITY + last UID) moves
 * only after a message is queued (its job id is its Message-ID, so a message queued twice is
 * one job) and marked, so a reader killed at any point neither skips nor repeats an answer.
 * The first contact starts at the mailbox's end: older mail is not a reply to Holdpoint.
 */
export interface ImapSettings {
  url: string
  /** Move processed messages to this folder instead of only flagging them \Seen. */
  moveTo: string | null
}

export interface ImapReaderDeps {
  settings: ImapSettings
  redis: RedisClient
  prefix: string
  messages: InboundMessages
  logger: Logger
}

interface Position {
  uidValidity: string
  lastUid: number
}

/** Short, and renewed after every message: a reader killed mid-run holds up the next one only this long. */
const LEASE_MS = 15_000
/** Messages per poll, so one run stays well inside its lease. */
const BATCH = 50
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`

export function imapConnection(url: string): { host: string; port: number; secure: boolean; user: string; pass: string; mailbox: string } {
  const u = new URL(url)
  const secure = u.protocol === 'imaps:'
  const mailbox = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX'
  return { host: u.hostname, port: u.port ? Number(u.port) : secure ? 993 : 143, secure, user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password), mailbox }
}

export class ImapReader {
  private readonly lockKey: string
  private readonly positionKey: string
  private readonly conn: ReturnType<typeof imapConnection>
  private client: ImapFlow | null = null

  constructor(private readonly deps: ImapReaderDeps) {
    this.lockKey = `${deps.prefix}:email:imap-lock`
    this.positionKey = `${deps.prefix}:email:imap-position`
    this.conn = imapConnection(deps.settings.url)
  }

  private connect(): ImapFlow {
    const { host, port, secure, user, pass } = this.conn
    return new ImapFlow({ host, port, secure, auth: { user, pass }, logger: false, disableAutoIdle: true, connectionTimeout: 15_000, greetingTimeout: 10_000, socketTimeout: 60_000 })
  }

  private async position(): Promise<Position | null> {
    const raw = await this.deps.redis.get(this.positionKey)
    if (raw === null) return null
    const p = JSON.parse(raw) as Position
    return typeof p.uidValidity === 'string' && typeof p.lastUid === 'number' ? p : null
  }

  private async save(p: Position): Promise<void> {
    await this.deps.redis.set(this.positionKey, JSON.stringify(p))
  }

  /** Reads what arrived since the last position; returns a summary for the job. */
  async pollOnce(): Promise<string> {
    const owner = randomUUID()
    if ((await this.deps.redis.set(this.lockKey, owner, 'PX', LEASE_MS, 'NX')) !== 'OK') return 'another worker is reading'
    const client = this.connect()
    this.client = client
    client.on('error', () => undefined)
    try {
      await client.connect()
      const lock = await client.getMailboxLock(this.conn.mailbox)
      try {
        return await this.readNew(client, owner)
      } finally {
        lock.release()
      }
    } catch (error) {
      // Only the kind of failure: IMAP errors can quote the server's reply, which names the account.
      this.deps.logger.warn({ err: (error as Error).name, code: (error as { code?: string }).code }, 'email: reading the IMAP mailbox failed')
      return 'failed'
    } finally {
      this.client = null
      await client.logout().catch(() => undefined)
      await this.deps.redis.eval(RELEASE, 1, this.lockKey, owner)
    }
  }

  private async readNew(client: ImapFlow, owner: string): Promise<string> {
    const mailbox = client.mailbox
    if (!mailbox) return 'no mailbox'
    const uidValidity = String(mailbox.uidValidity)
    const stored = await this.position()
    if (!stored || stored.uidValidity !== uidValidity) {
      // First contact (or a rebuilt mailbox whose UIDs mean something else): start at its end.
      const start = stored ? 0 : Math.max(0, Number(mailbox.uidNext) - 1)
      await this.save({ uidValidity, lastUid: start })
      if (!stored) return 'position set'
    }
    const position = (await this.position())!
    if (mailbox.exists === 0) return '0 messages'
    const uids = ((await client.search({ uid: `${position.lastUid + 1}:*` }, { uid: true })) || []).filter((u) => u > position.lastUid).sort((a, b) => a - b).slice(0, BATCH)
    let queued = 0
    for (const uid of uids) {
      const meta = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true })
      const size = meta ? (meta.size ?? 0) : 0
      if (meta && size <= MAX_MESSAGE_BYTES) {
        const full = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true })
        if (full && full.source) {
          await this.deps.messages.add(full.source, 'imap')
          queued += 1
        }
      } else if (meta) {
        this.deps.logger.warn({ uid, size }, 'email: skipped a message over the size limit')
      }
      if (this.deps.settings.moveTo) await client.messageMove(String(uid), this.deps.settings.moveTo, { uid: true })
      else await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true })
      await this.save({ uidValidity, lastUid: uid })
      await this.deps.redis.eval(RENEW, 1, this.lockKey, owner, LEASE_MS)
    }
    return `${queued} messages`
  }

  /** Records the starting position now, so mail arriving before the first poll is read. */
  async start(): Promise<void> {
    if ((await this.position()) !== null) return
    await this.pollOnce()
  }

  stop(): void {
    this.client?.close()
  }
}
