import { AsyncLocalStorage } from 'node:async_hooks'
import { Inngest } from 'inngest'
import { guardedFetch, httpStatusLine, RedirectRefused } from '../engine/outbound.js'
import type { ResumeTarget } from '../plugins/resume-target.js'

export interface InngestTargetOptions {
  /** INNGEST_EVENT_KEY; without one the client runs in dev mode (the local dev server needs none). */
  eventKey?: string | undefined
  /** INNGEST_BASE_URL: the Event API base (Inngest Cloud, a self-hosted server, the dev server). */
  baseUrl?: string | undefined
  fetch?: typeof fetch
}

/** The default event name for an outcome: `holdpoint/checkpoint.resolved`, `.expired`, … */
export const inngestEventName = (type: string) => `holdpoint/${type}`

/**
 * `resume.inngest`: sends one event through the Inngest SDK. The event id is the resume
 * message id, so Inngest deduplicates the retries of one resume; `data` is the resume
 * event's data plus its `type`, which is what `step.waitForEvent` matches on.
 */
export function inngestTarget(options: InngestTargetOptions): ResumeTarget {
  // The event key is in the URL path; no redirect to another origin is followed. The base URL
  // is the operator's (often a private dev server), so there is no private-address check.
  const guarded = guardedFetch({ ...(options.fetch && { fetch: options.fetch }) })
  // Each send's last answer as a status line, for an error that says what happened without
  // the body (per call: resumes run concurrently through the one client).
  const calls = new AsyncLocalStorage<{ lastStatus: string | null }>()
  const send: typeof fetch = async (input, init) => {
    const response = await guarded(input, init)
    const call = calls.getStore()
    if (call) call.lastStatus = response.ok ? null : httpStatusLine(response.status, response.statusText)
    return response
  }
  const client = new Inngest({
    id: 'holdpoint',
    isDev: options.eventKey === undefined,
    ...(options.eventKey !== undefined && { eventKey: options.eventKey }),
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    fetch: send,
  })

  return {
    name: 'inngest',
    async resume(event, spec, { messageId }) {
      if (!('inngest' in spec)) throw new Error('inngestTarget called for another target')
      const name = spec.inngest.event ?? inngestEventName(event.type)
      const call = { lastStatus: null as string | null }
      try {
        const sent = await calls.run(call, () => client.send({ id: messageId, name, data: { ...event.data, type: event.type }, ts: Date.parse(event.timestamp) }))
        return { detail: { event: name, eventId: messageId, ids: sent.ids } }
      } catch (error) {
        // The SDK's messages quote server answers (and could hold the key); the audit and logs
        // get a status line at most, and the original error is deliberately not the `cause`.
        // eslint-disable-next-line preserve-caught-error
        if (error instanceof RedirectRefused) throw new Error(`Inngest Event API ${error.message}`)
        // eslint-disable-next-line preserve-caught-error
        throw new Error(call.lastStatus !== null ? `Inngest Event API answered ${call.lastStatus}` : 'Inngest Event API call failed')
      }
    },
  }
}
