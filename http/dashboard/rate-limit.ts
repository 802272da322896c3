import type { RedisClient } from '../../engine/redis-client.js'
import { DashKeys } from './keys.js'

/**
 * Sign-in throttling in Redis (so it holds across server processes), checked and counted in
 * one atomic step *before* the password is hashed: concurrent guesses cannot all slip past a
 * counter that is only raised after the slow scrypt. Every attempt counts until it succeeds.
 *
 * Three counters, each with its own allowance of attempts before delays start:
 * - the account from this client address (the one that matters for guessing one password),
 * - the client address over all accounts (spraying one password across many accounts),
 * - the account over all addresses (a guess spread over many addresses).
 *
 * Past its allowance a counter asks for a growing wait, 2^(n - allowance) seconds capped at
 * `maxDelaySeconds`, answered with 429 and Retry-After. Nothing locks anyone out for good: the
 * owner, from their own address, is slowed only by the account-wide counter, whose allowance
 * is large, and a success clears the account's counters.
 */
export interface LoginLimits {
  /** Attempts on one account from one address before delays start. */
  freePerAccountAddress: number
  /** Attempts from one address (all accounts) before delays start. */
  freePerAddress: number
  /** Attempts on one account (all addresses) before delays start. */
  freePerAccount: number
  /** The longest wait asked for. */
  maxDelaySeconds: number
  /** A counter forgets after this long without attempts (plus any wait it asked for). */
  windowSeconds: number
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { freePerAccountAddress: 5, freePerAddress: 20, freePerAccount: 50, maxDelaySeconds: 15 * 60, windowSeconds: 15 * 60 }

/**
 * KEYS: the counters. ARGV: now (ms), window (s), max delay (s), then each key's allowance.
 * Returns 0 when the attempt may go ahead (and has been counted), else milliseconds to wait.
 */
const ATTEMPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local maxDelay = tonumber(ARGV[3])
local wait = 0
for i = 1, #KEYS do
  local till = tonumber(redis.call('HGET', KEYS[i], 'till') or '0')
  if till > now and till - now > wait then wait = till - now end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local free = tonumber(ARGV[3 + i])
  if n >= free then
    local delay = math.min(maxDelay, 2 ^ math.min(n - free, 30))
    redis.call('HSET', KEYS[i], 'till', now + delay * 1000)
  end
  redis.call('EXPIRE', KEYS[i], window + maxDelay)
end
return 0
`

/** KEYS: pair, account, address. */
const SUCCEEDED = `
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 'n', -1) end
return 0
`

export class LoginRateLimiter {
  private readonly keys: DashKeys

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new DashKeys(prefix)
  }

  /** `account` is the resolved account (a person id), or the login name when none matches. */
  private scopes(address: string, account: string) {
    const acct = account.toLowerCase()
    return {
      pair: this.keys.loginFailures(`pair:${acct}\u0000${address}`),
      address: this.keys.loginFailures(`ip:${address}`),
      account: this.keys.loginFailures(`acct:${acct}`),
    }
  }

  /**
   * Counts one sign-in attempt before its password is checked. Returns 0 when it may go
   * ahead, else the seconds to wait (the attempt is then not counted).
   */
  async attempt(address: string, account: string): Promise<number> {
    const k = this.scopes(address, account)
    const l = this.limits
    const waitMs = (await this.redis.eval(ATTEMPT, 3, k.pair, k.address, k.account, this.now(), l.windowSeconds, l.maxDelaySeconds, l.freePerAccountAddress, l.freePerAddress, l.freePerAccount)) as number
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0
  }

  /** The password was right: the account's counters start again; the address gets its attempt back. */
  async succeeded(address: string, account: string): Promise<void> {
    const k = this.scopes(address, account)
    await this.redis.eval(SUCCEEDED, 3, k.pair, k.account, k.address)
  }
}
