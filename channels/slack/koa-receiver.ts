import type { App, Receiver } from '@slack/bolt'

export interface ReceiverOutcome {
  /** The acknowledgement's body (e.g. `response_action: errors`), if any. */
  body: unknown
}

/** How long a request may hold the HTTP response before we answer anyway (Slack waits 3 s). */
const ACK_DEADLINE_MS = 2_500

/**
 * Bolt's Receiver for requests that arrive through Koa. The route verifies the signature,
 * then calls `dispatch`, which resolves with what the listener acknowledged. For Events API
 * callbacks Bolt acknowledges before the listener runs; we still wait for the listener, so
 * a failure to queue the work answers 500 and Slack retries rather than losing it.
 */
export class KoaReceiver implements Receiver {
  private app: App | null = null

  init(app: App): void {
    this.app = app
  }

  start(): Promise<void> {
    return Promise.resolve()
  }

  stop(): Promise<void> {
    return Promise.resolve()
  }

  async dispatch(body: Record<string, unknown>, retryNum?: number, retryReason?: string): Promise<ReceiverOutcome> {
    const app = this.app
    if (!app) throw new Error('the Slack receiver is not initialised')
    let acked = false
    let resolveAck: (value: ReceiverOutcome) => void = () => undefined
    const ackPromise = new Promise<ReceiverOutcome>((resolve) => {
      resolveAck = resolve
    })
    const ack = (response?: unknown): Promise<void> => {
      if (acked) return Promise.resolve()
      acked = true
      resolveAck({ body: response })
      return Promise.resolve()
    }
    const processing = app.processEvent({ body, ack, ...(retryNum !== undefined && { retryNum }), ...(retryReason !== undefined && { retryReason }) })
    if (body.type === 'event_callback') {
      await withDeadline(processing)
      return ackPromise
    }
    // Work after the ack (views.open) goes on; its failure is logged by Bolt's error handler.
    const finished = processing.then(
      () => ({ body: undefined }),
      (error: unknown) => {
        if (acked) return { body: undefined }
        throw error
      },
    )
    return Promise.race([ackPromise, finished])
  }
}

async function withDeadline(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ACK_DEADLINE_MS)
  })
  try {
    await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
