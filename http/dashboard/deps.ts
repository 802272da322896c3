import type { Logger } from 'pino'
import type { z } from 'zod'
import type { ChangeFeed } from '../../engine/change-feed.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import type { Keyring } from '../../engine/keyring.js'
import { problemsFromZod, ValidationFailed } from '../../engine/problems.js'
import type { Accounts } from './accounts.js'
import type { DashboardAuth } from './auth.js'
import type { LoginRateLimiter } from './rate-limit.js'
import type { SessionStore } from './sessions.js'
import type { RedisClient } from '../../engine/redis-client.js'
import type { DashKeys } from './keys.js'
import type { FreeTextReader } from '../../plugins/free-text-reader.js'
import type { PluginContext } from '../../plugins/plugin.js'
import type { StandingRules } from '../../engine/rules/standing-rules.js'

/** What the dashboard's route files share. */
export interface DashDeps {
  engine: Engine
  directory: Directory
  accounts: Accounts
  sessions: SessionStore
  auth: DashboardAuth
  limiter: LoginRateLimiter
  keyring: Keyring
  changes: ChangeFeed
  redis: RedisClient
  keys: DashKeys
  publicUrl: string
  logger: Logger
  /** Reads a typed answer from words ("Answer in words"), when a model is configured. */
  extractor: FreeTextReader
  /** The registered channels, for the People and Account pages. */
  channels: PluginContext['channels']
  /** Which ways of signing in this deployment offers. */
  signIn: { password: boolean; sso: boolean }
  /** Standing rules: "decide the same for the next N days", and the operators' list. */
  rules: StandingRules
}

/** Small JSON bodies only: forms, answers. Answers are bounded again by the agent's schema. */
export const UI_BODY_LIMIT = 256 * 1024

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw new ValidationFailed(problemsFromZod(result.error))
  return result.data
}
