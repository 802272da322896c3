// Helpers shared by the MCP tests: the SDK's own Client over either transport, and finding
// the checkpoint a still-running tool call created.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { eventually, type TestHoldpoint } from '../support/holdpoint.js'

export async function httpClient(url: string, token: string | null): Promise<Client> {
  const client = new Client({ name: 'holdpoint-test', version: '0.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: token === null ? {} : { authorization: `Bearer ${token}` } },
  })
  await client.connect(transport)
  return client
}

export function textOf(result: CallToolResult): string {
  const first = result.content[0]
  if (first?.type !== 'text') throw new Error(`expected a text item, got ${JSON.stringify(result.content)}`)
  return first.text
}

/** The id of the checkpoint whose task is exactly `task` (created by a call still in flight). */
export async function checkpointWithTask(hp: TestHoldpoint, task: string): Promise<string> {
  return eventually(async () => {
    const page = await hp.api('GET', '/v1/checkpoints?limit=200')
    const hit = (page.body.items as Array<{ id: string; task: string }>).find((c) => c.task === task)
    return hit?.id
  })
}

export async function answer(hp: TestHoldpoint, id: string, response: unknown, actor = 'ana'): Promise<void> {
  const res = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response, actor, name: 'Ana' })
  if (res.status !== 200) throw new Error(`answering ${id}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
}

export const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 10)}`
