import { describe, expect, it } from 'vitest'
import { problemText } from '../../mcp/agent-api.js'
import { approvalKey, decide } from '../../mcp/approve-tool-use.js'
import { mcpOptionsFromEnv } from '../../mcp/options.js'

const doc = (state: string, response: unknown = null) => ({ id: 'cp_1', state, response, respondedBy: response ? { channel: 'slack', actor: 'U1', name: 'Ana' } : null, expiresAt: null })

describe('approve_tool_use decisions', () => {
  const input = { command: 'ls' }
  it('allows only an explicit approval, with the input unchanged', () => {
    expect(decide(doc('resolved', { approved: true, note: 'ok' }), input, 600)).toEqual({ behavior: 'allow', updatedInput: input })
    expect(decide(doc('resolved', { approved: 'yes' }), input, 600).behavior).toBe('deny')
  })
  it('denies with the note, or says who denied', () => {
    expect(decide(doc('resolved', { approved: false, note: 'no' }), input, 600)).toEqual({ behavior: 'deny', message: 'no' })
    expect(decide(doc('resolved', { approved: false }), input, 600)).toEqual({ behavior: 'deny', message: 'Ana denied this tool use.' })
  })
  it('denies without an answer, naming the deadline', () => {
    expect(decide(doc('expired'), input, 600)).toMatchObject({ behavior: 'deny', message: expect.stringContaining('within 10 minutes') })
    expect(decide(doc('delivered'), input, 90)).toMatchObject({ behavior: 'deny', message: expect.stringContaining('within 90 seconds') })
    expect(decide(doc('cancelled'), input, 600)).toMatchObject({ behavior: 'deny', message: expect.stringContaining('cancelled') })
  })
  it('derives a stable idempotency key that fits the 255-character limit', () => {
    expect(approvalKey('toolu_1')).toBe('approve_tool_use:toolu_1')
    const long = 'x'.repeat(1000)
    expect(approvalKey(long)).toBe(approvalKey(long))
    expect(approvalKey(long).length).toBeLessThanOrEqual(255)
  })
})

describe('MCP options from the environment', () => {
  it('reads both knobs and refuses bad values by name', () => {
    expect(mcpOptionsFromEnv({})).toEqual({})
    expect(mcpOptionsFromEnv({ HOLDPOINT_MCP_PROGRESS_INTERVAL_MS: '500', HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS: '30' })).toEqual({ progressIntervalMs: 500, approvalTimeoutSeconds: 30 })
    expect(() => mcpOptionsFromEnv({ HOLDPOINT_MCP_PROGRESS_INTERVAL_MS: '5' })).toThrow(/HOLDPOINT_MCP_PROGRESS_INTERVAL_MS/)
    expect(() => mcpOptionsFromEnv({ HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS: 'soon' })).toThrow(/HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS/)
  })
})

describe('problem text', () => {
  it('lists each failing path under the detail', () => {
    expect(problemText(422, { detail: 'The request is not valid.', errors: [{ path: '/task', message: 'is required' }, { path: '', message: 'bad' }] })).toBe(
      'The request is not valid. (HTTP 422)\n- /task: is required\n- /: bad',
    )
  })
})
