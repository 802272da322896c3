// Where the SDK finds its server and token. Each field is taken from the first source that
// has it: explicit arguments, then the environment, then the file `npm start` writes in dev
// mode, so a local agent works with zero configuration and production stays explicit.
import { HoldpointConfigError } from './errors.js'

export const DEFAULT_URL = 'http://127.0.0.1:8080'
export const DEV_FILE_RELATIVE_PATH = '.data/dev.json'

export interface ResolvedConfig {
  url: string
  token: string
}

/** The dev-mode file: `<cwd>/.data/dev.json` or `$HOLDPOINT_DEV_FILE`. */
export interface DevFile {
  url?: string
  apiToken?: string
  webhookSecret?: string
}

interface ProcessLike {
  env?: Record<string, string | undefined>
  cwd?: () => string
}

// Read through globalThis so the SDK also loads where there is no `process` (browsers,
// edge runtimes); there only explicit arguments apply.
function currentProcess(): ProcessLike | undefined {
  return (globalThis as { process?: ProcessLike }).process
}

function env(name: string): string | undefined {
  const value = currentProcess()?.env?.[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

function devFilePath(): string | undefined {
  const explicit = env('HOLDPOINT_DEV_FILE')
  if (explicit !== undefined) return explicit
  const cwd = currentProcess()?.cwd?.()
  return cwd === undefined ? undefined : `${cwd.replace(/[\\/]+$/, '')}/${DEV_FILE_RELATIVE_PATH}`
}

function isMissingFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** Reads the dev file; `undefined` when there is none (or no filesystem). */
export async function readDevFile(path = devFilePath()): Promise<DevFile | undefined> {
  if (path === undefined) return undefined
  let fs: { readFile(path: string, encoding: 'utf8'): Promise<string> }
  try {
    // Dynamic so runtimes without `node:fs` load the SDK fine and merely skip this source.
    fs = await import('node:fs/promises')
  } catch {
    return undefined
  }
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (error) {
    if (isMissingFile(error)) return undefined
    const reason = error instanceof Error ? error.message : String(error)
    throw new HoldpointConfigError(`Cannot read Holdpoint dev file ${path}: ${reason}`, { cause: error })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new HoldpointConfigError(`Holdpoint dev file ${path} is not valid JSON`, { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HoldpointConfigError(`Holdpoint dev file ${path} must contain a JSON object`)
  }
  const record = parsed as Record<string, unknown>
  const file: DevFile = {}
  for (const key of ['url', 'apiToken', 'webhookSecret'] as const) {
    const value = record[key]
    if (value === undefined) continue
    if (typeof value !== 'string') throw new HoldpointConfigError(`Holdpoint dev file ${path}: "${key}" must be a string`)
    file[key] = value
  }
  return file
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

export async function resolveConfig(explicit: { url?: string | undefined; token?: string | undefined } = {}): Promise<ResolvedConfig> {
  let url = nonEmpty(explicit.url) ?? env('HOLDPOINT_URL')
  let token = nonEmpty(explicit.token) ?? env('HOLDPOINT_API_TOKEN')
  if (url === undefined || token === undefined) {
    const file = await readDevFile()
    url ??= nonEmpty(file?.url)
    token ??= nonEmpty(file?.apiToken)
  }
  if (token === undefined) {
    throw new HoldpointConfigError(
      'No Holdpoint API token found. Pass `token`, set HOLDPOINT_API_TOKEN, or start the server in dev mode ' +
        `(npm start), which writes ${devFilePath() ?? `./${DEV_FILE_RELATIVE_PATH}`} (location overridable with HOLDPOINT_DEV_FILE).`,
    )
  }
  url ??= DEFAULT_URL
  try {
    new URL(url)
  } catch (error) {
    throw new HoldpointConfigError(`Holdpoint URL ${JSON.stringify(url)} is not a valid URL`, { cause: error })
  }
  return { url: url.replace(/\/+$/, ''), token }
}
