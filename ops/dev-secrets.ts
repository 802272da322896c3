import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseSecretKeys } from '../engine/keyring.js'
import type { Config, ResolvedConfig } from './config.js'

/**
 * Dev mode: secrets the operator did not set are generated once and kept in
 * `<data dir>/dev.json` (mode 0600) so a restart keeps tokens and signatures valid. The SDK
 * reads the same file, which is what makes the quick start zero-configuration.
 */
export interface DevFile {
  url: string
  apiToken: string
  webhookSecret: string
  secretKeys: string
  /** Plugins' generated variables (VAPID keys), by plugin name. */
  plugins?: Record<string, Record<string, string>>
}

export function devFilePath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'dev.json')
}

async function readDevFile(path: string): Promise<Partial<DevFile>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Partial<DevFile>
  } catch {
    return {}
  }
}

export async function resolveSecrets(config: Config): Promise<{ config: ResolvedConfig; generated: string[]; devFile?: string }> {
  if (config.apiTokens && config.webhookSecret && config.secretKeys) {
    return { config: { ...config, apiTokens: config.apiTokens, webhookSecret: config.webhookSecret, secretKeys: config.secretKeys }, generated: [] }
  }
  if (config.production) throw new Error('secrets are required in production (the config check should have stopped this)')
  const path = devFilePath(config)
  const saved = await readDevFile(path)
  const generated: string[] = []
  const file: DevFile = {
    url: config.publicUrl,
    apiToken: saved.apiToken ?? (generated.push('HOLDPOINT_API_TOKENS'), `hp_dev_${randomBytes(24).toString('base64url')}`),
    webhookSecret: saved.webhookSecret ?? (generated.push('HOLDPOINT_WEBHOOK_SECRET'), `whsec_${randomBytes(32).toString('base64')}`),
    secretKeys: saved.secretKeys ?? (generated.push('HOLDPOINT_SECRET_KEYS'), `dev1:${randomBytes(32).toString('base64')}`),
  }
  const plugins = config.plugins.map((loaded) => {
    const make = loaded.plugin.devSecrets
    // A plugin the operator configured even in part is theirs to finish.
    if (!make || loaded.plugin.variables.some((v) => config.source[v] !== undefined)) return loaded
    const values = saved.plugins?.[loaded.plugin.name] ?? make()
    if (saved.plugins?.[loaded.plugin.name] === undefined) generated.push(...Object.keys(values))
    const reloaded = loaded.plugin.load({ ...config.source, ...values })
    if ('problems' in reloaded) return loaded
    ;(file.plugins ??= {})[loaded.plugin.name] = values
    return reloaded
  })
  await mkdir(config.dataDir, { recursive: true })
  await writeFile(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  return {
    config: {
      ...config,
      plugins,
      apiTokens: config.apiTokens ?? [{ name: 'dev', token: file.apiToken }],
      webhookSecret: config.webhookSecret ?? file.webhookSecret,
      secretKeys: config.secretKeys ?? parseSecretKeys(file.secretKeys),
    },
    generated,
    devFile: path,
  }
}
