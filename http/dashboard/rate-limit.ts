import type { Redis } from 'ioredis'
import { DashKeys } from './keys.js'

/**
 * Failed-login counting in Redis (so it holds across server processes): a fixed window per
 * client address and per account name. Only failures count; success clears the account's
 * counter.
 */
export interface LoginLimits {
  maxPerAccount: number
  maxPerAddress: number
  windowSeconds: number
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxPerAccount: 5, maxPerAddress: 20, windowSeconds: 15 * 60 }

export class LoginRateLimiter {
  private readonly keys: DashKeys

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {
    this.keys = new DashKeys(prefix)
  }

  private scopes(address: string, account: string) {
    return { address: this.keys.loginFailures(`ip:${address}`), account: this.keys.loginFailures(`acct:${account.toLowerCase()}`) }
  }

  /** Seconds to wait before trying again, or 0 when an attempt is allowed. */
  async blockedFor(address: string, account: string): Promise<number> {
    const k = this.scopes(address, account)
    const [byAddress, byAccount] = await this.redis.mget(k.address, k.account)
    const blocked: string[] = []
    if (Number(byAddress ?? 0) >= this.limits.maxPerAddress) blocked.push(k.address)
    if (Number(byAccount ?? 0) >= this.limits.maxPerAccount) blocked.push(k.account)
    if (blocked.length === 0) return 0
    const ttls = await Promise.all(blocked.map((key) => this.redis.ttl(key)))
    return Math.max(1, ...ttls)
  }

  async failed(address: string, account: string): Promise<void> {
    const k = this.scopes(address, account)
    const tx = this.redis.multi()
    for (const key of [k.address, k.account]) tx.incr(key).expire(key, this.limits.windowSeconds, 'NX')
    await tx.exec()
  }

  async succeeded(address: string, account: string): Promise<void> {
    await this.redis.del(this.scopes(address, account).account)
  }
}
