import { Inngest } from 'inngest'
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
  const client = new Inngest({
    id: 'holdpoint',
    isDev: options.eventKey === undefined,
    ...(options.eventKey !== undefined && { eventKey: options.eventKey }),
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.fetch && { fetch: options.fetch }),
  })
  const redact = (message: string) => (options.eventKey ? message.split(options.eventKey).join('[event key]') : message)

  return {
    name: 'inngest',
    async resume(event, spec, { messageId }) {
      if (!('inngest' in spec)) throw new Error('inngestTarget called for another target')
      const name = spec.inngest.event ?? inngestEventName(event.type)
      try {
        const sent = await client.send({ id: messageId, name, data: { ...event.data, type: event.type }, ts: Date.parse(event.timestamp) })
        return { detail: { event: name, eventId: messageId, ids: sent.ids } }
      } catch (error) {
        // The SDK's messages can quote server answers; the audit and logs must never hold the
        // key, so the original error is deliberately not attached as `cause`.
        // eslint-disable-next-line preserve-caught-error
        throw new Error(`Inngest Event API: ${redact(error instanceof Error ? error.message : String(error))}`)
      }
    },
  }
}
