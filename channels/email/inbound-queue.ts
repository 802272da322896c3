import type { Queue } from 'bullmq'
import { FieldCipher } from '../../engine/field-cipher.js'
import type { Keyring } from '../../engine/keyring.js'
import { messageKey } from './inbound-mail.js'

/**
 * The email plugin's own queue: one `message` job per inbound message (from the IMAP reader
 * or `POST /email/inbound`), keyed by its Message-ID (or its bytes), so a message read twice
 * (a reader killed before it moved its position, a provider retrying) is handled once. The
 * raw message is sealed like every other thing people say, and dropped once handled.
 */
export const INBOUND_QUEUE = 'email-inbound'
export const IMAP_SCHEDULER = 'email-imap-poll'

export interface MessageJob {
  /** The raw message, sealed (FieldCipher) base64; null once handled. */
  sealed: unknown
  source: 'imap' | 'http'
}

/** Long enough that a re-read after any crash or retry still finds the job and adds nothing. */
const KEEP = { removeOnComplete: { age: 7 * 24 * 60 * 60 }, removeOnFail: { age: 7 * 24 * 60 * 60 } }

export class InboundMessages {
  private readonly cipher: FieldCipher

  constructor(
    private readonly queue: Queue,
    keyring: Keyring,
  ) {
    this.cipher = new FieldCipher(keyring)
  }

  async add(raw: Buffer, source: MessageJob['source']): Promise<void> {
    const data: MessageJob = { sealed: this.cipher.seal(raw.toString('base64')), source }
    await this.queue.add('message', data, { jobId: `m.${messageKey(raw)}`, attempts: 8, backoff: { type: 'exponential', delay: 2_000 }, ...KEEP })
  }

  open(job: MessageJob): Buffer {
    const b64 = this.cipher.open(job.sealed)
    if (typeof b64 !== 'string') throw new Error('message job without a message')
    return Buffer.from(b64, 'base64')
  }
}
