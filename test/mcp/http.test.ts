import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { answer, checkpointWithTask, httpClient, textOf, unique } from './mcp-client.js'

let hp: TestHoldpoint
let client: Client

const APPROVAL_TIMEOUT_SECONDS = 6

beforeAll(async () => {
  // Read when the app is built: fast heartbeats and a short approval deadline for tests.
  process.env.HOLDPOINT_MCP_PROGRESS_INTERVAL_MS = '200'
  process.env.HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS = String(APPROVAL_TIMEOUT_SECONDS)
  hp = await startHoldpoint({ plugins: [] })
  client = await httpClient(hp.url, hp.token)
})
afterAll(async () => {
  delete process.env.HOLDPOINT_MCP_PROGRESS_INTERVAL_MS
  delete process.env.HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS
  await client?.close()
  await hp?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>

describe('MCP over Streamable HTTP at /mcp', () => {
  it('lists the four tools with descriptions, input and output schemas, and the checkpoint resource template', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(['approve_tool_use', 'ask_human', 'cancel_request', 'wait_for_answer'])
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(80)
      expect(tool.inputSchema.type).toBe('object')
      expect(tool.outputSchema?.type).toBe('object')
    }
    const ask = tools.find((t) => t.name === 'ask_human')!
    expect(ask.inputSchema.required).toEqual(['task'])
    expect(Object.keys(ask.inputSchema.properties ?? {}).sort()).toEqual(['assignTo', 'notify', 'payload', 'responseSchema', 'task', 'timeoutSeconds', 'waitSeconds'])
    expect(Object.keys(ask.outputSchema?.properties ?? {})).toEqual(expect.arrayContaining(['checkpointId', 'state', 'response', 'respondedBy']))
    const approve = tools.find((t) => t.name === 'approve_tool_use')!
    expect(approve.inputSchema.required?.sort()).toEqual(['input', 'tool_name'])
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual(['holdpoint://checkpoints/{id}'])
  })

  it('ask → pending → answered through the API → wait_for_answer returns the typed answer; the token name is the creator', async () => {
    const task = unique('Ship the release?')
    const asked = await call('ask_human', { task, payload: { version: '1.2.3' }, waitSeconds: 0 })
    expect(asked.isError).toBeFalsy()
    const pending = asked.structuredContent as { checkpointId: string; state: string }
    expect(pending.checkpointId).toMatch(/^cp_/)
    expect(['pending', 'delivered']).toContain(pending.state)
    expect(textOf(asked)).toContain(`wait_for_answer`)
    expect(textOf(asked)).toContain(pending.checkpointId)

    const created = await hp.api('GET', `/v1/checkpoints/${pending.checkpointId}`)
    expect(created.body.responseSchema.required).toEqual(['approved'])
    expect(created.body.payload).toEqual({ version: '1.2.3' })
    const audit = await hp.api('GET', `/v1/checkpoints/${pending.checkpointId}/audit`)
    expect(audit.body.entries[0].actor).toMatchObject({ channel: 'api', actor: 'agent' })

    await answer(hp, pending.checkpointId, { approved: true, note: 'go' })
    const waited = await call('wait_for_answer', { checkpointId: pending.checkpointId, waitSeconds: 5 })
    expect(waited.isError).toBeFalsy()
    expect(waited.structuredContent).toMatchObject({
      checkpointId: pending.checkpointId,
      state: 'resolved',
      response: { approved: true, note: 'go' },
      respondedBy: { channel: 'api', actor: 'ana', name: 'Ana' },
    })
    expect(textOf(waited)).toContain('"approved":true')

    const resource = await client.readResource({ uri: `holdpoint://checkpoints/${pending.checkpointId}` })
    const first = resource.contents[0] as { text: string; mimeType: string }
    expect(first.mimeType).toBe('application/json')
    expect(JSON.parse(first.text)).toMatchObject({ id: pending.checkpointId, state: 'resolved', task })
  })

  it('a blocked ask_human returns within a second of the answer, with a custom response schema', async () => {
    const task = unique('Which region?')
    const responseSchema = { type: 'object', properties: { region: { type: 'string', enum: ['eu', 'us'] } }, required: ['region'] }
    const pending = call('ask_human', { task, responseSchema, waitSeconds: 30 })
    const id = await checkpointWithTask(hp, task)
    await new Promise((r) => setTimeout(r, 300))
    const answeredAt = Date.now()
    await answer(hp, id, { region: 'eu' })
    const result = await pending
    expect(Date.now() - answeredAt).toBeLessThan(1000)
    expect(result.structuredContent).toMatchObject({ checkpointId: id, state: 'resolved', response: { region: 'eu' } })
  })

  it('sends progress notifications while a tool call waits', async () => {
    const task = unique('Progress?')
    const seen: Array<{ progress: number; message?: string }> = []
    const pending = client.callTool({ name: 'ask_human', arguments: { task, waitSeconds: 30 } }, undefined, {
      onprogress: (p) => seen.push(p),
    })
    const id = await checkpointWithTask(hp, task)
    await new Promise((r) => setTimeout(r, 1200))
    await answer(hp, id, { approved: false })
    const result = (await pending) as CallToolResult
    expect(result.structuredContent).toMatchObject({ state: 'resolved', response: { approved: false } })
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen[0]!.message).toContain(id)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress)
  })

  it('handles 20 concurrent ask_human calls', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => unique(`Concurrent #${i}`))
    const calls = tasks.map((task) => call('ask_human', { task, waitSeconds: 25 }))
    const ids = await Promise.all(tasks.map((task) => checkpointWithTask(hp, task)))
    expect(new Set(ids).size).toBe(20)
    await Promise.all(ids.map((id, i) => answer(hp, id, { approved: i % 2 === 0 })))
    const results = await Promise.all(calls)
    results.forEach((r, i) => expect(r.structuredContent).toMatchObject({ checkpointId: ids[i], state: 'resolved', response: { approved: i % 2 === 0 } }))
  })

  it('approve_tool_use allows with the input unchanged once a person approves', async () => {
    const input = { command: `rm -rf ./build-${Math.random().toString(36).slice(2)}`, description: 'clean' }
    const pending = call('approve_tool_use', { tool_name: 'Bash', input, tool_use_id: unique('toolu').replace(' ', '_') })
    const id = await checkpointWithTask(hp, 'Allow the agent to use the tool "Bash"?').then(async () => {
      const page = await hp.api('GET', '/v1/checkpoints?limit=200')
      return (page.body.items as Array<{ id: string; payload: { input?: unknown } }>).find((c) => JSON.stringify(c.payload?.input) === JSON.stringify(input))!.id
    })
    const cp = await hp.api('GET', `/v1/checkpoints/${id}`)
    expect(cp.body.payload).toEqual({ tool_name: 'Bash', input })
    expect(cp.body.payloadSchema.properties.tool_name).toBeDefined()
    expect(Date.parse(cp.body.expiresAt) - Date.parse(cp.body.createdAt)).toBe(APPROVAL_TIMEOUT_SECONDS * 1000)
    await answer(hp, id, { approved: true })
    const result = await pending
    expect(result.isError).toBeFalsy()
    expect(result.content).toHaveLength(1)
    expect(JSON.parse(textOf(result))).toEqual({ behavior: 'allow', updatedInput: input })
  })

  it('approve_tool_use denies with the person’s note', async () => {
    const input = { file_path: `/etc/${Math.random().toString(36).slice(2)}`, content: 'x' }
    const pending = call('approve_tool_use', { tool_name: 'Write', input })
    await checkpointWithTask(hp, 'Allow the agent to use the tool "Write"?')
    const page = await hp.api('GET', '/v1/checkpoints?limit=200')
    const id = (page.body.items as Array<{ id: string; payload: { input?: unknown } }>).find((c) => JSON.stringify(c.payload?.input) === JSON.stringify(input))!.id
    await answer(hp, id, { approved: false, note: 'Not in /etc, please.' })
    expect(JSON.parse(textOf(await pending))).toEqual({ behavior: 'deny', message: 'Not in /etc, please.' })
  })

  it('a retried approve_tool_use with the same tool_use_id asks once and gives the same decision', async () => {
    const toolUseId = `toolu_${Math.random().toString(36).slice(2)}`
    const input = { url: `https://example.com/${toolUseId}` }
    const first = call('approve_tool_use', { tool_name: 'WebFetch', input, tool_use_id: toolUseId })
    const second = call('approve_tool_use', { tool_name: 'WebFetch', input, tool_use_id: toolUseId })
    await checkpointWithTask(hp, 'Allow the agent to use the tool "WebFetch"?')
    await new Promise((r) => setTimeout(r, 300))
    const page = await hp.api('GET', '/v1/checkpoints?limit=200')
    const matching = (page.body.items as Array<{ id: string; metadata: { tool_use_id?: string } }>).filter((c) => c.metadata.tool_use_id === toolUseId)
    expect(matching).toHaveLength(1)
    await answer(hp, matching[0]!.id, { approved: true })
    const [a, b] = await Promise.all([first, second])
    expect(JSON.parse(textOf(a))).toEqual({ behavior: 'allow', updatedInput: input })
    expect(JSON.parse(textOf(b))).toEqual({ behavior: 'allow', updatedInput: input })
    // A retry after the decision returns it at once, still without a new checkpoint.
    const third = await call('approve_tool_use', { tool_name: 'WebFetch', input, tool_use_id: toolUseId })
    expect(JSON.parse(textOf(third))).toEqual({ behavior: 'allow', updatedInput: input })
    const after = await hp.api('GET', '/v1/checkpoints?limit=200')
    expect((after.body.items as Array<{ metadata: { tool_use_id?: string } }>).filter((c) => c.metadata.tool_use_id === toolUseId)).toHaveLength(1)
  })

  it('approve_tool_use denies when nobody answers by the deadline', async () => {
    const started = Date.now()
    const result = await call('approve_tool_use', { tool_name: 'Deploy', input: { env: unique('prod') } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(APPROVAL_TIMEOUT_SECONDS * 1000 - 100)
    const decision = JSON.parse(textOf(result))
    expect(decision.behavior).toBe('deny')
    expect(decision.message).toMatch(/Nobody approved this tool use within 6 seconds/)
  }, 20_000)

  it('cancel_request cancels; a second cancel is a tool error', async () => {
    const asked = await call('ask_human', { task: unique('Cancel me'), waitSeconds: 0 })
    const { checkpointId } = asked.structuredContent as { checkpointId: string }
    const cancelled = await call('cancel_request', { checkpointId, reason: 'done myself' })
    expect(cancelled.structuredContent).toEqual({ checkpointId, state: 'cancelled' })
    const again = await call('cancel_request', { checkpointId })
    expect(again.isError).toBe(true)
    expect(textOf(again)).toMatch(/already cancelled/)
    const waited = await call('wait_for_answer', { checkpointId, waitSeconds: 1 })
    expect(waited.structuredContent).toMatchObject({ state: 'cancelled' })
    expect(textOf(waited)).toMatch(/cancelled/)
  })

  it('bad arguments are tool errors with the problem text, not protocol errors', async () => {
    const missingTask = await call('ask_human', { waitSeconds: 0 })
    expect(missingTask.isError).toBe(true)
    expect(textOf(missingTask)).toMatch(/task/)

    const badSchema = await call('ask_human', { task: 'Bad schema', responseSchema: { type: 'nonsense' }, waitSeconds: 0 })
    expect(badSchema.isError).toBe(true)
    expect(textOf(badSchema)).toMatch(/HTTP 422/)
    expect(textOf(badSchema)).toMatch(/\/responseSchema/)

    const badNotify = await call('ask_human', { task: 'Bad notify', notify: ['carrier-pigeon:42'], waitSeconds: 0 })
    expect(badNotify.isError).toBe(true)
    expect(textOf(badNotify)).toMatch(/\/notify\/0/)

    for (const id of ['cp_doesnotexist', 'not-an-id']) {
      const unknown = await call('wait_for_answer', { checkpointId: id, waitSeconds: 1 })
      expect(unknown.isError).toBe(true)
      expect(textOf(unknown)).toMatch(/No checkpoint .*HTTP 404/)
    }
    await expect(client.readResource({ uri: 'holdpoint://checkpoints/cp_doesnotexist' })).rejects.toThrow(/No checkpoint/)
    // The connection is still fine afterwards.
    expect((await client.listTools()).tools).toHaveLength(4)
  })

  it('refuses /mcp without a valid agent token (401)', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } }
    for (const auth of [undefined, 'Bearer wrong-token']) {
      const res = await fetch(`${hp.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(auth && { authorization: auth }) },
        body: JSON.stringify(init),
      })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    await expect(httpClient(hp.url, 'wrong-token')).rejects.toThrow()
  })
})

describe('MCP rate limit', () => {
  it('counts /mcp requests against the same per-token limit as /v1', async () => {
    const limited = await startHoldpoint({ plugins: [], worker: false, env: { HOLDPOINT_RATE_LIMIT_API: '4' } })
    try {
      expect((await limited.api('GET', '/v1/checkpoints?limit=1')).status).toBe(200)
      expect((await limited.api('GET', '/v1/checkpoints?limit=1')).status).toBe(200)
      // initialize + the initialized notification use up the limit of 4 …
      const limitedClient = await httpClient(limited.url, limited.token)
      // … so the next MCP request is refused, and so is /v1 for the same token.
      await expect(limitedClient.listTools()).rejects.toThrow(/429|Too many/)
      expect((await limited.api('GET', '/v1/checkpoints?limit=1')).status).toBe(429)
      await limitedClient.close()
    } finally {
      await limited.close()
      await deleteKeys(testRedisUrl(), limited.prefix)
    }
  })
})

describe('/mcp with every module mounted', () => {
  it('is not answered by a module ahead of the gate: 401 without a token, 405 for GET with one', async () => {
    const full = await startHoldpoint({ worker: false })
    try {
      const post = await fetch(`${full.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      expect(post.status).toBe(401)
      const get = await fetch(`${full.url}/mcp`, { headers: { accept: 'text/event-stream' } })
      expect(get.status).toBe(401)
      const getWithToken = await fetch(`${full.url}/mcp`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${full.token}` } })
      expect(getWithToken.status).toBe(405)
      expect(getWithToken.headers.get('allow')).toBe('POST')
      const c = await httpClient(full.url, full.token)
      expect((await c.listTools()).tools).toHaveLength(4)
      await c.close()
    } finally {
      await full.close()
      await deleteKeys(testRedisUrl(), full.prefix)
    }
  })
})
