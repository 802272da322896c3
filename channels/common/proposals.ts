import { randomBytes } from 'node:crypto'
import type { KeySpace } from '../../plugins/plugin.js'

/** A typed answer read from someone's words, waiting for that person's one-tap confirmation. */
export interface Proposal {
  checkpointId: string
  /** `<channel>:<id>` of the person who wrote the words: only they may confirm it. */
  author: string
  answer: unknown
}

const TTL_SECONDS = 60 * 60 * 24

/**
 * Proposals live server-side under a short random id; a button carries only the id, so
 * what counts is what the model proposed and the schema accepted, never what a client echoes.
 */
export class ProposalStore {
  constructor(private readonly keys: KeySpace) {}

  private get redis() {
    return this.keys.redis
  }

  private key(id: string): string {
    return this.keys.key('verify', 'proposal', id)
  }

  async save(proposal: Proposal): Promise<string> {
    const id = randomBytes(9).toString('base64url')
    await this.redis.set(this.key(id), JSON.stringify(proposal), 'EX', TTL_SECONDS)
    return id
  }

  async get(id: string): Promise<Proposal | null> {
    if (!/^[\w-]{1,32}$/.test(id)) return null
    const raw = await this.redis.get(this.key(id))
    return raw ? (JSON.parse(raw) as Proposal) : null
  }
}
