import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { answer, checkpointWithTask, textOf, unique } from './mcp-client.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
// The CLI from source, as test/ops/cli.test.ts runs it (bin/holdpoint.js runs the same file compiled).
const CLI = ['--import', 'tsx', 'ops/cli.ts', 'mcp']

let hp: TestHoldpoint
const clients: Client[] = []

function cliEnv(token: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HOLDPOINT_')) env[k] = v
  return {
    ...env,
    HOLDPOINT_URL: hp.url,
    HOLDPOINT_API_TOKEN: token,
    // Never fall back to a developer's real dev file.
    HOLDPOINT_DEV_FILE: '/nonexistent/holdpoint-dev.json',
    HOLDPOINT_MCP_PROGRESS_INTERVAL_MS: '200',
  }
}

async function stdioClient(token = hp.token): Promise<{ client: Client; errors: Error[] }> {
  const client = new Client({ name: 'holdpoint-stdio-test', version: '0.0.0' })
  const errors: Error[] = []
  client.onerror = (e) => errors.push(e)
  const transport = new StdioClientTransport({ command: process.execPath, args: CLI, cwd: root, env: cliEnv(token), stderr: 'pipe' })
  await client.connect(transport)
  clients.push(client)
  return { client, errors }
}

beforeAll(async () => {
  hp = await startHoldpoint({ plugins: [] })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await hp?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('holdpoint mcp (stdio)', () => {
  it('asks, waits with progress, and returns the answer given through the API', async () => {
    const { client, errors } = await stdioClient()
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(['approve_tool_use', 'ask_human', 'cancel_request', 'wait_for_answer'])

    const task = unique('Rotate the keys?')
    const asked = (await client.callTool({ name: 'ask_human', arguments: { task, waitSeconds: 0 } })) as CallToolResult
    const { checkpointId, state } = asked.structuredContent as { checkpointId: string; state: string }
    expect(['pending', 'delivered']).toContain(state)
    const audit = await hp.api('GET', `/v1/checkpoints/${checkpointId}/audit`)
    expect(audit.body.entries[0].actor.actor).toBe('agent')

    const progress: number[] = []
    const waiting = client.callTool({ name: 'wait_for_answer', arguments: { checkpointId, waitSeconds: 30 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    })
    await new Promise((r) => setTimeout(r, 1000))
    const answeredAt = Date.now()
    await answer(hp, checkpointId, { approved: true, note: 'yes' })
    const waited = (await waiting) as CallToolResult
    expect(Date.now() - answeredAt).toBeLessThan(1000)
    expect(waited.structuredContent).toMatchObject({ checkpointId, state: 'resolved', response: { approved: true, note: 'yes' }, respondedBy: { actor: 'ana' } })
    expect(progress.length).toBeGreaterThanOrEqual(2)

    const resource = await client.readResource({ uri: `holdpoint://checkpoints/${checkpointId}` })
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ id: checkpointId, task, state: 'resolved' })
    expect(errors).toEqual([])
  })

  it('approve_tool_use allows and denies; the same tool_use_id asks once', async () => {
    const { client } = await stdioClient()
    const toolUseId = `toolu_${Math.random().toString(36).slice(2)}`
    const input = { command: `npm publish --tag ${toolUseId}` }
    const args = { tool_name: 'Bash', input, tool_use_id: toolUseId }
    const first = client.callTool({ name: 'approve_tool_use', arguments: args })
    const retry = client.callTool({ name: 'approve_tool_use', arguments: args })
    await checkpointWithTask(hp, 'Allow the agent to use the tool "Bash"?')
    await new Promise((r) => setTimeout(r, 300))
    const page = await hp.api('GET', '/v1/checkpoints?limit=200')
    const mine = (page.body.items as Array<{ id: string; metadata: { tool_use_id?: string } }>).filter((c) => c.metadata.tool_use_id === toolUseId)
    expect(mine).toHaveLength(1)
    await answer(hp, mine[0]!.id, { approved: false, note: 'Not today.' })
    for (const result of await Promise.all([first, retry])) {
      expect(JSON.parse(textOf(result as CallToolResult))).toEqual({ behavior: 'deny', message: 'Not today.' })
    }

    const allowInput = { path: unique('/tmp/ok') }
    const allowed = client.callTool({ name: 'approve_tool_use', arguments: { tool_name: 'Read', input: allowInput } })
    await checkpointWithTask(hp, 'Allow the agent to use the tool "Read"?')
    const again = await hp.api('GET', '/v1/checkpoints?limit=200')
    const id = (again.body.items as Array<{ id: string; payload: { input?: unknown } }>).find((c) => JSON.stringify(c.payload?.input) === JSON.stringify(allowInput))!.id
    await answer(hp, id, { approved: true })
    expect(JSON.parse(textOf((await allowed) as CallToolResult))).toEqual({ behavior: 'allow', updatedInput: allowInput })
  })

  it('reports a refused token and bad input as tool errors', async () => {
    const { client } = await stdioClient('not-the-token')
    const refused = (await client.callTool({ name: 'ask_human', arguments: { task: 'Anyone?', waitSeconds: 0 } })) as CallToolResult
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toMatch(/HTTP 401/)

    const { client: good } = await stdioClient()
    const bad = (await good.callTool({ name: 'ask_human', arguments: { task: 'Bad', responseSchema: { type: 'nonsense' }, waitSeconds: 0 } })) as CallToolResult
    expect(bad.isError).toBe(true)
    expect(textOf(bad)).toMatch(/HTTP 422[\s\S]*\/responseSchema/)
    const unknown = (await good.callTool({ name: 'wait_for_answer', arguments: { checkpointId: 'cp_nope', waitSeconds: 1 } })) as CallToolResult
    expect(unknown.isError).toBe(true)
    expect(textOf(unknown)).toMatch(/HTTP 404/)
  })

  it('writes nothing but JSON-RPC frames to stdout', async () => {
    const child = spawn(process.execPath, CLI, { cwd: root, env: cliEnv(hp.token), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`)
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } })
    send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask_human', arguments: { task: unique('Raw'), waitSeconds: 1 }, _meta: { progressToken: 'p1' } } })
    const deadline = Date.now() + 15_000
    while (!stdout.includes('"id":2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    child.stdin.end()
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())))
    const lines = stdout.split('\n').filter((l) => l !== '')
    expect(lines.length).toBeGreaterThanOrEqual(3)
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
    expect(lines.some((l) => l.includes('notifications/progress'))).toBe(true)
    expect(child.exitCode).toBe(0)
  })
})
