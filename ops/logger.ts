import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'

/**
 * JSON logs. Handlers log ids (checkpoint, job, request), never bodies; the redaction list is
 * the safety net for anything that slips through: secrets, tokens, links, payloads, answers.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'apiToken',
  'secret',
  'webhookSecret',
  'payload',
  'response',
  'answer',
  'link',
  'url',
  '*.payload',
  '*.response',
  '*.token',
  '*.secret',
  '*.link',
]

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'holdpoint', pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  )
}

/**
 * Dev mode on a terminal gets readable lines (pino-pretty, in process so they interleave with
 * the start-up banner in order); production and anything piped stay JSON for log shippers.
 */
export function consoleLogger(level: string, opts: { production: boolean; tty: boolean }): Logger {
  if (opts.production || !opts.tty) return createLogger(level)
  return createLogger(level, pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,service', sync: true }))
}

export type { Logger }
