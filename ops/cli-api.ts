import { resolveConfig } from '../sdk/config.js'

/** A failed API call, with the server's problem+json detail when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const problem = body as { title?: string; detail?: string; errors?: Array<{ path: string; message: string }> } | null
    const fields = problem?.errors?.map((e) => `\n  ${e.path || '/'}: ${e.message}`).join('') ?? ''
    super(`HTTP ${status}: ${problem?.title ?? 'request failed'}${problem?.detail ? ` — ${problem.detail}` : ''}${fields}`)
    this.name = 'ApiError'
  }
}

/**
 * The agent API as the CLI uses it. Connection settings are found the way the SDK finds
 * them: HOLDPOINT_URL / HOLDPOINT_API_TOKEN, then the dev-mode file.
 */
export class ApiClient {
  private constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  static async connect(): Promise<ApiClient> {
    const { url, token } = await resolveConfig()
    return new ApiClient(url.replace(/\/$/, ''), token)
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = { title: text.slice(0, 200) }
    }
    if (!res.ok) throw new ApiError(res.status, parsed)
    return parsed as T
  }

  /** Every checkpoint id, newest first, page by page. */
  async *ids(state?: string): AsyncGenerator<string> {
    let cursor: string | null = null
    do {
      const query = new URLSearchParams({ limit: '100', ...(state && { state }), ...(cursor && { cursor }) })
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = await this.call('GET', `/v1/checkpoints?${query.toString()}`)
      for (const item of page.items) yield item.id
      cursor = page.nextCursor
    } while (cursor)
  }
}
