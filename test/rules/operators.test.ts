import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type ResolvedConfig } from '../../ops/config.js'
import { createLogger } from '../../ops/logger.js'
import { startRuntime } from '../../ops/runtime.js'
import { deleteKeys, startHoldpoint, testRedisUrl, testSecrets, type TestHoldpoint } from '../support/holdpoint.js'
import { call, policyFile, smallRefunds, twoTokens } from './support.js'

let hp: TestHoldpoint
const tokens = twoTokens()

beforeAll(async () => {
  hp = await startHoldpoint({ plugins: [], env: { ...tokens.env, HOLDPOINT_OPERATOR_TOKENS: 'other-bot', HOLDPOINT_POLICY_FILE: await policyFile([smallRefunds]) } })
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('standing rules on the agent API', () => {
  it('are listed and revoked only with an operator token when HOLDPOINT_OPERATOR_TOKENS is set', async () => {
    expect((await call(hp, tokens.support, 'GET', '/v1/rules')).status).toBe(403)
    expect((await call(hp, tokens.support, 'DELETE', '/v1/rules/remembered/rem_AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(403)
    const listed = await call(hp, tokens.other, 'GET', '/v1/rules')
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({ policies: [{ ...smallRefunds }], remembered: [] })
    expect((await call(hp, tokens.other, 'DELETE', '/v1/rules/remembered/rem_AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404)
  })

  it('a remember spec is validated at create', async () => {
    const res = await call(hp, tokens.support, 'POST', '/v1/checkpoints', { task: 't', responseSchema: { type: 'object' }, remember: { key: '', maxDays: 0 } })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/remember/key', '/remember/maxDays'])
    const withQuorum = await call(hp, tokens.support, 'POST', '/v1/checkpoints', { task: 't', responseSchema: { type: 'object' }, quorum: { approvals: 2 }, remember: { key: 'k', maxDays: 1 } })
    expect(withQuorum.status).toBe(422)
    expect(withQuorum.body.errors).toContainEqual(expect.objectContaining({ path: '/remember' }))
  })
})

describe('a policy file', () => {
  it('that is invalid stops the start, naming the problem', async () => {
    const path = await policyFile([{ ...smallRefunds, when: { 'no-such-op': [1] } }, { ...smallRefunds }])
    const config = loadConfig({ REDIS_URL: testRedisUrl(), ...testSecrets(), HOLDPOINT_POLICY_FILE: path }) as ResolvedConfig
    await expect(startRuntime(config, { server: false, worker: false, logger: createLogger('silent') })).rejects.toThrow(/0\.when: Unrecognized operation no-such-op.*1\.id: small-refunds is used twice/)
    await writeFile(path, '{"not": "an array"}')
    await expect(startRuntime(config, { server: false, worker: false, logger: createLogger('silent') })).rejects.toThrow(/HOLDPOINT_POLICY_FILE .* is invalid/)
  })
})
