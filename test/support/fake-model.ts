import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * What the scripted "model" behind a fake provider sees: the system prompt, the user
 * message, the parsed data section, and any rule the request broke. The rules are the
 * prompt-injection contract: the system prompt says the data section is untrusted data, and
 * watched (untrusted) strings appear only inside the data section.
 */
export interface ModelCall {
  /** `record_verdict` (verification) or `record_answer` (free text). */
  tool: string
  system: string
  user: string
  data: Record<string, any> | null
  violations: string[]
  model: string
  raw: string
}

export type Brain = (call: ModelCall) => Record<string, unknown>

export interface ScriptedFailure {
  status: number
  headers?: Record<string, string>
}

const DATA = /<holdpoint_data>\n([\s\S]*?)\n<\/holdpoint_data>/

export function verdict(passed: boolean, reason: string, response?: unknown): Record<string, unknown> {
  return { passed, reason, response_json: response === undefined ? null : JSON.stringify(response) }
}

export function reading(answer: unknown, reason = 'Understood.'): Record<string, unknown> {
  return answer === null ? { understood: false, answer_json: null, reason } : { understood: true, answer_json: JSON.stringify(answer), reason }
}

/** The shared part of the Anthropic and OpenAI fakes: a server, recorded calls, scripted failures, rules. */
export abstract class FakeModelServer {
  readonly calls: ModelCall[] = []
  /** Raw request bodies, failures included: to prove something never arrived. */
  readonly bodies: string[] = []
  readonly failures: ScriptedFailure[] = []
  /** Strings that must only ever appear inside the data section. */
  readonly watched: string[] = []
  private server: Server | null = null
  url = ''

  constructor(
    protected brain: Brain,
    readonly apiKey = `test-key-${Math.random().toString(36).slice(2)}`,
  ) {}

  setBrain(brain: Brain): void {
    this.brain = brain
  }

  failNext(...failures: ScriptedFailure[]): void {
    this.failures.push(...failures)
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  protected abstract route(req: IncomingMessage, body: any, raw: string): { status: number; headers?: Record<string, string>; body: unknown }
  protected abstract errorBody(status: number): unknown

  /** Checks the prompt-injection rules and asks the brain; returns the tool's output object. */
  protected think(tool: string, system: string, user: string, model: string, raw: string): Record<string, unknown> {
    const violations: string[] = []
    if (!/untrusted data/i.test(system) || !system.includes('<holdpoint_data>')) violations.push('the system prompt does not declare the data section untrusted')
    const match = DATA.exec(user)
    let data: Record<string, any> | null = null
    if (!match) violations.push('no data section in the user message')
    else {
      try {
        data = JSON.parse(match[1]!) as Record<string, any>
      } catch {
        violations.push('the data section is not JSON')
      }
    }
    const outside = system + '\n' + user.replace(DATA, '')
    for (const text of this.watched) if (outside.includes(text)) violations.push(`untrusted text outside the data section: ${text}`)
    const call: ModelCall = { tool, system, user, data, violations, model, raw }
    this.calls.push(call)
    return this.brain(call)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    this.bodies.push(raw)
    const failure = this.failures.shift()
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers })
      res.end(JSON.stringify(this.errorBody(failure.status)))
      return
    }
    let reply
    try {
      reply = this.route(req, raw ? JSON.parse(raw) : {}, raw)
    } catch (error) {
      reply = { status: 400, body: { error: { message: (error as Error).message } } }
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
    res.end(JSON.stringify(reply.body))
  }
}
