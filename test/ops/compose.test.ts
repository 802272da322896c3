import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_VARIABLES, loadConfig } from '../../ops/config.js'
import { testSecrets } from '../support/holdpoint.js'

// No container engine here: the compose file and Dockerfile are checked against the code.
const root = fileURLToPath(new URL('../../', import.meta.url))
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; command: string[]; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] } }>
  volumes: Record<string, unknown>
}
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8')

/** Compose's variable substitution: ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error}. */
function interpolate(value: string, dotenv: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_all, name: string, op: string | undefined, arg: string | undefined) => {
    const set = dotenv[name]
    const empty = set === undefined || (op?.startsWith(':') === true && set === '')
    if (op?.endsWith('?') && empty) throw new Error(`${name}: ${arg}`)
    if (op?.endsWith('-') && empty) return arg ?? ''
    return set ?? ''
  })
}

function serviceEnv(name: string, dotenv: Record<string, string>): Record<string, string> {
  const raw = compose.services[name]!.environment ?? {}
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), dotenv)]))
}

/** ENV lines of the Dockerfile's final stage: the image's defaults under compose's environment. */
function imageEnv(): Record<string, string> {
  const final = dockerfile.split(/^FROM /m).at(-1)!
  const env: Record<string, string> = {}
  for (const line of final.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k!] = v!
  }
  return env
}

describe('docker-compose.yml', () => {
  it('runs Redis with AOF everysec, noeviction, hz 100, on a volume, with a health check', () => {
    const redis = compose.services.redis!
    const args = redis.command.join(' ')
    expect(args).toContain('--appendonly yes')
    expect(args).toContain('--appendfsync everysec')
    expect(args).toContain('--maxmemory-policy noeviction')
    expect(args).toContain('--hz 100')
    const volume = redis.volumes!.find((v) => v.endsWith(':/data'))!
    expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0])
    expect(redis.healthcheck?.test.join(' ')).toContain('ping')
  })

  it('builds server and worker from the Dockerfile and runs entry points that exist', () => {
    for (const [name, entry] of [['server', 'server'], ['worker', 'worker']] as const) {
      const service = compose.services[name]!
      expect(service.build).toBe('.')
      expect(service.command).toEqual(['node', `dist/ops/${entry}.js`])
      expect(existsSync(`${root}ops/${entry}.ts`)).toBe(true)
      expect(service.healthcheck?.test.length).toBeGreaterThan(1)
    }
    // The worker's health check is `holdpoint health`; the server's is GET /healthz on its port.
    expect(compose.services.worker!.healthcheck!.test).toEqual(['CMD', 'node', 'dist/ops/cli.js', 'health'])
    expect(existsSync(`${root}ops/cli.ts`)).toBe(true)
    expect(compose.services.server!.healthcheck!.test.join(' ')).toContain('/healthz')
    // Scalable: a worker publishes no port, so `--scale worker=3` cannot collide.
    expect(compose.services.worker!.ports).toBeUndefined()
  })

  it('configures both services only through variables the config schema knows, and they load', () => {
    const dotenv = testSecrets()
    for (const name of ['server', 'worker']) {
      const env = serviceEnv(name, dotenv)
      const unknown = Object.keys(env).filter((k) => !CONFIG_VARIABLES.includes(k))
      expect(unknown, `${name} sets variables the code never reads`).toEqual([])
      const config = loadConfig({ ...imageEnv(), ...env })
      expect(config.production).toBe(true)
      expect(new URL(config.redisUrl).hostname).toBe('redis')
      expect(config.apiTokens).toHaveLength(2)
      // Every channel and integration can be switched on from .env, in both halves.
      for (const variable of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SMTP_URL', 'HOLDPOINT_EMAIL_FROM', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_MODE', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'INNGEST_EVENT_KEY', 'HOLDPOINT_PUBLIC_URL', 'HOLDPOINT_KEY_PREFIX']) {
        expect(Object.keys(env), `${name} lacks ${variable}`).toContain(variable)
      }
    }
    const server = loadConfig({ ...imageEnv(), ...serviceEnv('server', dotenv) })
    expect(server.host).toBe('0.0.0.0')
    expect(compose.services.server!.ports).toContain(`${server.port}:${server.port}`)
    // Channel credentials given in .env reach the code intact.
    const withSlack = loadConfig({ ...imageEnv(), ...serviceEnv('worker', { ...dotenv, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }) })
    expect(withSlack.plugins.find((p) => p.plugin.name === 'slack')?.off).toBeNull()
  })

  it('refuses to start without the three production secrets', () => {
    const dotenv = testSecrets()
    for (const secret of ['HOLDPOINT_API_TOKENS', 'HOLDPOINT_WEBHOOK_SECRET', 'HOLDPOINT_SECRET_KEYS']) {
      const { [secret]: _missing, ...rest } = dotenv
      expect(() => serviceEnv('server', rest)).toThrow(secret)
      expect(() => serviceEnv('worker', rest)).toThrow(secret)
    }
  })
})

describe('Dockerfile', () => {
  it('ships what the processes need at run time: code, dependencies, the dashboard UI and the CLI', () => {
    const final = dockerfile.split(/^FROM /m).at(-1)!
    for (const path of ['package.json', 'node_modules', 'dist', 'ui/dist', 'bin']) {
      expect(final, `final image lacks ${path}`).toMatch(new RegExp(`COPY --from=build /app/${path.replace('/', '\\/')} `))
    }
    expect(final).toContain('CMD ["node", "dist/ops/server.js"]')
    expect(imageEnv().NODE_ENV).toBe('production')
    expect(Object.keys(imageEnv()).filter((k) => k !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(k))).toEqual([])
    expect(dockerfile).toContain('npm run build')
    const ignored = readFileSync(`${root}.dockerignore`, 'utf8').split('\n')
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data']))
  })
})
