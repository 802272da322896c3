// The SDK against a real HTTP server on loopback that speaks the api.md agent contract:
// a small in-memory fake whose behaviour each test scripts (finish a checkpoint, answer a
// request with a 5xx or 422, drop a connection, restart on the same port).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { awaitHuman, type AwaitHumanOptions } from './await-human.js'
import { cancelCheckpoint, createCheckpoint, getCheckpoint } from './checkpoints.js'
import {
  CheckpointCancelledError,
  CheckpointConflictError,
  CheckpointNotFoundError,
  CheckpointRejectedError,
  CheckpointResponseInvalidError,
  CheckpointTimeoutError,
  CheckpointValidationError,
  HoldpointAuthError,
  HoldpointUnavailableError,
  IdempotencyConflictError,
} from './errors.js'
import type { Checkpoint } from './types.js'
import { waitForCheckpoint } from './wait.js'

const TOKEN = 'tok_test'

interface Recorded {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}

type Route = 'create' | 'get' | 'wait' | 'cancel'
/** A scripted answer for the next request on a route; return true when it answered. */
type Override = (req: IncomingMessage, res: ServerResponse, fake: FakeHoldpoint) => boolean

function problem(res: ServerResponse, status: number, title: string, extra: Record<string, unknown> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' })
  res.end(JSON.stringify({ type: 'about:blank', title, status, ...extra }))
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

class FakeHoldpoint {
  private server: Server | undefined
  port = 0
  readonly checkpoints = new Map<string, Checkpoint>()
  private readonly keys = new Map<string, { body: string; id: string }>()
  private readonly waiters = new Set<() => void>()
  private readonly overrides: Array<{ route: Route; handle: Override }> = []
  readonly requests: Recorded[] = []

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  /** Like a crash: every open connection (including held long-polls) is cut. */
  async stop(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  script(route: Route, handle: Override): void {
    this.overrides.push({ route, handle })
  }

  finish(id: string, patch: Partial<Checkpoint>): void {
    const checkpoint = this.checkpoints.get(id)
    if (checkpoint === undefined) throw new Error(`fake: no checkpoint ${id}`)
    this.checkpoints.set(id, { ...checkpoint, ...patch, updatedAt: new Date().toISOString() })
    for (const wake of [...this.waiters]) wake()
  }

  requestsTo(route: Route): Recorded[] {
    return this.requests.filter((r) => routeOf(r.method, r.path)?.route === route)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const path = req.url ?? '/'
    this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body })
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return problem(res, 401, 'Unauthorized')
    const match = routeOf(req.method ?? 'GET', path)
    if (match === undefined) return problem(res, 404, 'No such route')
    const index = this.overrides.findIndex((o) => o.route === match.route)
    if (index >= 0) {
      const [override] = this.overrides.splice(index, 1)
      if (override?.handle(req, res, this)) return
    }
    switch (match.route) {
      case 'create':
        return this.create(req, res, body)
      case 'get':
        return this.get(res, match.id)
      case 'wait':
        return this.wait(req, res, match.id, Number(new URL(path, this.url).searchParams.get('timeoutSeconds') ?? 25))
      case 'cancel':
        return this.cancel(res, match.id)
    }
  }

  /** Commits the checkpoint the way the server would; exposed so a script can commit then crash. */
  commit(key: string | undefined, body: string): Checkpoint {
    const parsed = JSON.parse(body) as Record<string, unknown>
    const id = `cp_${this.checkpoints.size + 1}`
    const now = new Date().toISOString()
    const checkpoint: Checkpoint = {
      id,
      state: 'pending',
      task: parsed.task as string,
      payload: parsed.payload ?? null,
      responseSchema: parsed.responseSchema as Record<string, unknown>,
      response: null,
      respondedBy: null,
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      links: { dashboard: `${this.url}/checkpoints/${id}` },
      metadata: (parsed.metadata as Record<string, unknown> | undefined) ?? {},
    }
    this.checkpoints.set(id, checkpoint)
    if (key !== undefined) this.keys.set(key, { body, id })
    return checkpoint
  }

  private create(req: IncomingMessage, res: ServerResponse, body: string): void {
    const key = req.headers['idempotency-key'] as string | undefined
    const previous = key === undefined ? undefined : this.keys.get(key)
    if (previous !== undefined) {
      if (previous.body !== body) return problem(res, 409, 'Idempotency key reused with a different body')
      return json(res, 200, this.checkpoints.get(previous.id), { 'idempotent-replayed': 'true' })
    }
    const parsed = JSON.parse(body) as Record<string, unknown>
    if (typeof parsed.task !== 'string' || typeof parsed.responseSchema !== 'object') {
      return problem(res, 422, 'Invalid checkpoint', { errors: [{ path: '/task', message: 'is required' }] })
    }
    json(res, 201, this.commit(key, body))
  }

  private get(res: ServerResponse, id: string): void {
    const checkpoint = this.checkpoints.get(id)
    if (checkpoint === undefined) return problem(res, 404, 'Checkpoint not found')
    json(res, 200, checkpoint)
  }

  private wait(req: IncomingMessage, res: ServerResponse, id: string, timeoutSeconds: number): void {
    if (!this.checkpoints.has(id)) return problem(res, 404, 'Checkpoint not found')
    const answer = (): boolean => {
      const checkpoint = this.checkpoints.get(id)!
      if (!['resolved', 'expired', 'cancelled', 'rejected'].includes(checkpoint.state)) return false
      json(res, 200, checkpoint)
      return true
    }
    if (answer()) return
    const done = (): void => {
      clearTimeout(timer)
      this.waiters.delete(wake)
    }
    const wake = (): void => {
      if (answer()) done()
    }
    const timer = setTimeout(() => {
      done()
      json(res, 200, this.checkpoints.get(id))
    }, timeoutSeconds * 1000)
    this.waiters.add(wake)
    req.socket.once('close', done)
  }

  private cancel(res: ServerResponse, id: string): void {
    const checkpoint = this.checkpoints.get(id)
    if (checkpoint === undefined) return problem(res, 404, 'Checkpoint not found')
    if (['resolved', 'expired', 'cancelled', 'rejected'].includes(checkpoint.state)) {
      return problem(res, 409, 'Checkpoint already finished')
    }
    this.finish(id, { state: 'cancelled' })
    json(res, 200, this.checkpoints.get(id))
  }
}

function routeOf(method: string, path: string): { route: Route; id: string } | undefined {
  const pathname = path.split('?')[0] ?? ''
  if (method === 'POST' && pathname === '/v1/checkpoints') return { route: 'create', id: '' }
  const match = /^\/v1\/checkpoints\/([^/]+)(\/wait|\/cancel)?$/.exec(pathname)
  if (match === null) return undefined
  const id = decodeURIComponent(match[1] ?? '')
  if (method === 'GET' && match[2] === undefined) return { route: 'get', id }
  if (method === 'GET' && match[2] === '/wait') return { route: 'wait', id }
  if (method === 'POST' && match[2] === '/cancel') return { route: 'cancel', id }
  return undefined
}

const responseSchema = z.object({ approved: z.boolean(), note: z.string().optional() })
const payloadSchema = z.object({ amountUsd: z.number(), customerId: z.string() })

let fake: FakeHoldpoint

beforeEach(async () => {
  fake = new FakeHoldpoint()
  await fake.start()
})

afterEach(async () => {
  await fake.stop()
})

/** The question every test asks, without a response schema so each test may pick its own. */
function question(): Omit<AwaitHumanOptions<z.ZodType>, 'responseSchema' | 'onTimeout'> {
  return {
    url: fake.url,
    token: TOKEN,
    task: 'Approve a $250 refund for cus_42?',
    payload: { amountUsd: 250, customerId: 'cus_42' },
    payloadSchema,
  }
}

function ask(overrides: Partial<AwaitHumanOptions<typeof responseSchema>> = {}): AwaitHumanOptions<typeof responseSchema> {
  return { ...question(), responseSchema, ...overrides }
}

/** Finishes the checkpoint as soon as it exists, shortly after the SDK starts waiting. */
function finishWith(patch: Partial<Checkpoint>, delayMs = 20): Pick<AwaitHumanOptions<typeof responseSchema>, 'onCreated'> {
  return {
    onCreated: (checkpoint) => {
      setTimeout(() => fake.finish(checkpoint.id, patch), delayMs)
    },
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('awaitHuman', () => {
  it('returns the answer parsed by the zod schema, typed from it', async () => {
    const created: Checkpoint[] = []
    const answer = await awaitHuman({
      ...question(),
      timeout: '15m',
      notify: ['dashboard'],
      metadata: { runId: 'run_7' },
      responseSchema: responseSchema.extend({ note: z.string().transform((s) => s.toUpperCase()) }),
      onCreated: (checkpoint) => {
        created.push(checkpoint)
        setTimeout(
          () =>
            fake.finish(checkpoint.id, {
              state: 'resolved',
              response: { approved: true, note: 'dup charge', extra: 'stripped' },
              respondedBy: { channel: 'slack', actor: 'U024BE7LH' },
            }),
          30,
        )
      },
    })
    expectTypeOf(answer).toEqualTypeOf<{ approved: boolean; note: string }>()
    expect(answer).toEqual({ approved: true, note: 'DUP CHARGE' })
    expect(created[0]?.links.dashboard).toBe(`${fake.url}/checkpoints/cp_1`)

    const [create] = fake.requestsTo('create')
    const sent = JSON.parse(create!.body) as Record<string, unknown>
    expect(sent).toMatchObject({
      task: 'Approve a $250 refund for cus_42?',
      payload: { amountUsd: 250, customerId: 'cus_42' },
      timeoutSeconds: 900,
      notify: ['dashboard'],
      metadata: { runId: 'run_7' },
      responseSchema: { type: 'object', required: ['approved', 'note'] },
      payloadSchema: { type: 'object', required: ['amountUsd', 'customerId'] },
    })
    expect(sent.responseSchema).not.toHaveProperty('$schema')
    expect(create!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('throws CheckpointResponseInvalidError when the answer fails the zod schema', async () => {
    const error = await failure(
      awaitHuman({ ...ask(), ...finishWith({ state: 'resolved', response: { approved: 'yes' } }) }),
    )
    expect(error).toBeInstanceOf(CheckpointResponseInvalidError)
    const invalid = error as CheckpointResponseInvalidError
    expect(invalid.code).toBe('response_invalid')
    expect(invalid.checkpointId).toBe('cp_1')
    expect(invalid.response).toEqual({ approved: 'yes' })
    expect(invalid.issues[0]?.path).toEqual(['approved'])
  })

  it.each([
    ['expired', CheckpointTimeoutError, 'checkpoint_timeout'],
    ['cancelled', CheckpointCancelledError, 'checkpoint_cancelled'],
    ['rejected', CheckpointRejectedError, 'checkpoint_rejected'],
  ] as const)('throws the typed error for a %s checkpoint', async (state, ErrorType, code) => {
    const error = await failure(awaitHuman({ ...ask(), ...finishWith({ state }) }))
    expect(error).toBeInstanceOf(ErrorType)
    expect((error as InstanceType<typeof ErrorType>).code).toBe(code)
    expect((error as InstanceType<typeof ErrorType>).checkpoint.state).toBe(state)
    expect((error as InstanceType<typeof ErrorType>).checkpointId).toBe('cp_1')
  })

  it('returns the onTimeout answer of an expired checkpoint', async () => {
    const fallback = { approved: false, note: 'no answer in time' }
    const answer = await awaitHuman({
      ...ask({ onTimeout: { response: fallback } }),
      ...finishWith({ state: 'expired', response: fallback }),
    })
    expect(answer).toEqual(fallback)
    expect(JSON.parse(fake.requestsTo('create')[0]!.body)).toMatchObject({ onTimeout: { response: fallback } })
  })

  it('surfaces the problem details of a 422', async () => {
    const errors = [{ path: '/payload/amountUsd', message: 'must be <= 200' }]
    fake.script('create', (_req, res) => {
      problem(res, 422, 'Invalid checkpoint', { errors })
      return true
    })
    const error = await failure(awaitHuman(ask()))
    expect(error).toBeInstanceOf(CheckpointValidationError)
    const invalid = error as CheckpointValidationError
    expect(invalid.code).toBe('validation_failed')
    expect(invalid.status).toBe(422)
    expect(invalid.errors).toEqual(errors)
    expect(invalid.problem?.title).toBe('Invalid checkpoint')
    expect(invalid.message).toContain('/payload/amountUsd must be <= 200')
  })

  it('checks the payload against payloadSchema before sending anything', async () => {
    const error = await failure(awaitHuman(ask({ payload: { amountUsd: '250', customerId: 'cus_42' } })))
    expect(error).toBeInstanceOf(CheckpointValidationError)
    expect((error as CheckpointValidationError).errors[0]?.path).toBe('/payload/amountUsd')
    expect(fake.requests).toHaveLength(0)
  })

  it('throws HoldpointAuthError for a refused token', async () => {
    const error = await failure(awaitHuman(ask({ token: 'wrong' })))
    expect(error).toBeInstanceOf(HoldpointAuthError)
    expect((error as HoldpointAuthError).code).toBe('unauthorized')
    expect((error as HoldpointAuthError).status).toBe(401)
  })

  it('retries 5xx answers on create and on wait', async () => {
    fake.script('create', (_req, res) => (problem(res, 503, 'Starting'), true))
    fake.script('create', (_req, res) => (problem(res, 500, 'Oops'), true))
    fake.script('wait', (_req, res) => (problem(res, 502, 'Bad gateway'), true))
    const answer = await awaitHuman({ ...ask(), ...finishWith({ state: 'resolved', response: { approved: true } }) })
    expect(answer).toEqual({ approved: true })
    const keys = new Set(fake.requestsTo('create').map((r) => r.headers['idempotency-key']))
    expect(fake.requestsTo('create')).toHaveLength(3)
    expect(keys.size).toBe(1)
    expect(fake.checkpoints.size).toBe(1)
  })

  it('survives a server restart on the same port mid-wait; the create is retried under one key', async () => {
    // The first create commits, then the connection dies before the answer: only the
    // idempotency key keeps the retry from creating a second checkpoint.
    fake.script('create', (req, res, server) => {
      server.commit(req.headers['idempotency-key'] as string, server.requests.at(-1)!.body)
      res.socket?.destroy()
      return true
    })
    const port = fake.port
    let waitsBeforeRestart = 0
    const answer = await awaitHuman({
      ...ask(),
      onCreated: async (checkpoint) => {
        // Let the first long-poll reach the server, then crash it and bring it back.
        await new Promise((r) => setTimeout(r, 50))
        waitsBeforeRestart = fake.requestsTo('wait').length
        await fake.stop()
        setTimeout(() => {
          void fake.start(port).then(() => {
            setTimeout(() => fake.finish(checkpoint.id, { state: 'resolved', response: { approved: false } }), 100)
          })
        }, 300)
      },
    })
    expect(answer).toEqual({ approved: false })
    expect(fake.port).toBe(port)
    expect(fake.checkpoints.size).toBe(1)
    const creates = fake.requestsTo('create')
    expect(creates).toHaveLength(2)
    expect(creates[1]!.headers['idempotency-key']).toBe(creates[0]!.headers['idempotency-key'])
    expect(fake.requestsTo('wait').length).toBeGreaterThan(waitsBeforeRestart)
    expect(fake.requestsTo('wait').every((r) => r.path.startsWith('/v1/checkpoints/cp_1/wait?timeoutSeconds=25'))).toBe(true)
  })

  it('gives up with HoldpointUnavailableError after unavailableAfterMs of continuous failure', async () => {
    await fake.stop()
    const startedAt = Date.now()
    const error = await failure(awaitHuman(ask({ unavailableAfterMs: 400 })))
    expect(error).toBeInstanceOf(HoldpointUnavailableError)
    expect((error as HoldpointUnavailableError).code).toBe('holdpoint_unavailable')
    expect((error as HoldpointUnavailableError).checkpointId).toBeUndefined()
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400)
    expect(Date.now() - startedAt).toBeLessThan(1_500)
  })

  it('names the checkpoint when the server disappears mid-wait', async () => {
    const error = await failure(
      awaitHuman({
        ...ask({ unavailableAfterMs: 300 }),
        onCreated: () => fake.stop(),
      }),
    )
    expect(error).toBeInstanceOf(HoldpointUnavailableError)
    expect((error as HoldpointUnavailableError).checkpointId).toBe('cp_1')
  })

  it('rejects with the abort reason when the signal aborts mid-wait', async () => {
    const controller = new AbortController()
    const reason = new Error('agent shutting down')
    const error = await failure(
      awaitHuman({ ...ask({ signal: controller.signal }), onCreated: () => void setTimeout(() => controller.abort(reason), 30) }),
    )
    expect(error).toBe(reason)
  })

  it('rejects with an AbortError when aborted without a reason, even while backing off', async () => {
    await fake.stop()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const error = await failure(awaitHuman(ask({ signal: controller.signal })))
    expect((error as Error).name).toBe('AbortError')
  })
})

describe('createCheckpoint', () => {
  it('returns the checkpoint at once and replays it for the same key and body', async () => {
    const options = {
      ...ask(),
      idempotencyKey: 'run_7:approve-refund',
      resume: { webhook: { url: 'https://agent.example.com/holdpoint' } },
    }
    const first = await createCheckpoint(options)
    expect(first).toMatchObject({ id: 'cp_1', state: 'pending', response: null })
    expect(JSON.parse(fake.requestsTo('create')[0]!.body)).toMatchObject({ resume: options.resume })
    const again = await createCheckpoint(options)
    expect(again.id).toBe(first.id)
    expect(fake.checkpoints.size).toBe(1)
  })

  it('throws IdempotencyConflictError when the key was used with another body', async () => {
    await createCheckpoint({ ...ask(), idempotencyKey: 'k1' })
    const error = await failure(createCheckpoint({ ...ask({ task: 'Something else?' }), idempotencyKey: 'k1' }))
    expect(error).toBeInstanceOf(IdempotencyConflictError)
    expect((error as IdempotencyConflictError).idempotencyKey).toBe('k1')
    expect((error as IdempotencyConflictError).status).toBe(409)
  })
})

describe('getCheckpoint, cancelCheckpoint and waitForCheckpoint', () => {
  it('reads and cancels a checkpoint; a second cancel is a conflict', async () => {
    const connection = { url: fake.url, token: TOKEN }
    const { id } = await createCheckpoint(ask())
    expect((await getCheckpoint(id, connection)).state).toBe('pending')
    expect((await cancelCheckpoint(id, connection)).state).toBe('cancelled')
    const error = await failure(cancelCheckpoint(id, connection))
    expect(error).toBeInstanceOf(CheckpointConflictError)
    expect((error as CheckpointConflictError).checkpointId).toBe(id)
  })

  it('returns response, respondedBy and the checkpoint', async () => {
    const { id } = await createCheckpoint(ask())
    setTimeout(
      () => fake.finish(id, { state: 'resolved', response: { approved: true }, respondedBy: { channel: 'dashboard', actor: 'ana' } }),
      20,
    )
    const result = await waitForCheckpoint(id, { url: fake.url, token: TOKEN, responseSchema })
    expectTypeOf(result.response).toEqualTypeOf<{ approved: boolean; note?: string | undefined }>()
    expect(result.response).toEqual({ approved: true })
    expect(result.respondedBy).toEqual({ channel: 'dashboard', actor: 'ana' })
    expect(result.checkpoint.id).toBe(id)
  })

  it('throws CheckpointNotFoundError for an unknown id', async () => {
    const error = await failure(waitForCheckpoint('cp_nope', { url: fake.url, token: TOKEN, responseSchema }))
    expect(error).toBeInstanceOf(CheckpointNotFoundError)
    expect((error as CheckpointNotFoundError).checkpointId).toBe('cp_nope')
    expect((error as CheckpointNotFoundError).code).toBe('not_found')
  })
})
