import { LogLevel, type Logger as SlackLogger } from '@slack/bolt'
import type { Logger as PinoLogger } from 'pino'

/**
 * Bolt and the Web API client log through this adapter. Their debug/info output can quote
 * request bodies, so only warnings and errors pass, as plain strings.
 */
export function boltLogger(log: PinoLogger): SlackLogger {
  let level: LogLevel = LogLevel.WARN
  const text = (msgs: unknown[]) => msgs.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msgs: unknown[]) => log.warn(text(msgs)),
    error: (...msgs: unknown[]) => log.error(text(msgs)),
    setLevel: (l: LogLevel) => {
      level = l
    },
    getLevel: () => level,
    setName: () => undefined,
  }
}
