import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../ops/config.js'
import { resolveSecrets } from '../../ops/dev-secrets.js'
import { endpointProblem } from '../../channels/push/endpoint-policy.js'
import { encodeRequest } from '../../channels/push/payload.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('dev mode', () => {
  it('generates VAPID keys once, keeps them in dev.json, and turns push on', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hp-push-dev-'))
    dirs.push(dataDir)
    const first = await resolveSecrets(loadConfig({ HOLDPOINT_DATA_DIR: dataDir }))
    expect(first.generated).toEqual(expect.arrayContaining(['HOLDPOINT_VAPID_PUBLIC_KEY', 'HOLDPOINT_VAPID_PRIVATE_KEY']))
    expect(first.config.plugins.find((l) => l.plugin.name === 'push')?.off).toBeNull()
    const kept = JSON.parse(await readFile(join(dataDir, 'dev.json'), 'utf8')) as { plugins: { push: Record<string, string> } }
    expect(kept.plugins.push.HOLDPOINT_VAPID_PUBLIC_KEY).toMatch(/^[A-Za-z0-9_-]{87}$/)

    const second = await resolveSecrets(loadConfig({ HOLDPOINT_DATA_DIR: dataDir }))
    expect(second.generated).toEqual([])
    expect(JSON.parse(await readFile(join(dataDir, 'dev.json'), 'utf8'))).toEqual(kept)
  })

  it('leaves push alone when the operator set any of its variables', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hp-push-dev-'))
    dirs.push(dataDir)
    const { config, generated } = await resolveSecrets(loadConfig({ HOLDPOINT_DATA_DIR: dataDir, HOLDPOINT_VAPID_SUBJECT: 'mailto:ops@example.com' }))
    expect(generated).not.toContain('HOLDPOINT_VAPID_PUBLIC_KEY')
    expect(config.plugins.find((l) => l.plugin.name === 'push')?.off).toMatch(/HOLDPOINT_VAPID_PUBLIC_KEY/)
  })
})

describe('endpoint policy', () => {
  const endpoint = 'https://fcm.googleapis.com/fcm/send/abc'
  it('wants https in production and no private destinations unless allowed', () => {
    expect(endpointProblem(endpoint, { production: true, allowPrivate: false })).toBeNull()
    expect(endpointProblem('http://push.example.com/x', { production: true, allowPrivate: false })).toBe('must use https')
    expect(endpointProblem('https://10.0.0.5/x', { production: true, allowPrivate: false })).toMatch(/private/)
    expect(endpointProblem('https://169.254.169.254/latest', { production: true, allowPrivate: false })).toMatch(/private/)
    expect(endpointProblem('https://metadata.google.internal/x', { production: true, allowPrivate: false })).toMatch(/internal/)
    expect(endpointProblem('https://10.0.0.5/x', { production: true, allowPrivate: true })).toBeNull()
    expect(endpointProblem('https://user:pw@push.example.com/x', { production: false, allowPrivate: true })).toMatch(/credentials/)
  })
})

describe('payload', () => {
  it('stays under 3 KB by cutting the task only', () => {
    const encoded = encodeRequest({ type: 'checkpoint.request', checkpointId: 'cp_1', title: 't', body: '"\\'.repeat(4000), url: 'https://h.example/checkpoints/cp_1', actToken: 'x'.repeat(300) })
    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(3072)
    const parsed = JSON.parse(encoded) as { body: string; actToken: string }
    expect(parsed.body.endsWith('…')).toBe(true)
    expect(parsed.actToken).toHaveLength(300)
  })
})
