import { useCallback, useEffect, useState } from 'react'
import { api, ApiError, errorText, type CheckpointDetail, type PersonInfo } from '../api'
import { AnswerForm } from '../components/AnswerForm'
import { FreeTextAnswer } from '../components/FreeTextAnswer'
import { Payload, Value } from '../components/Payload'
import { StateBadge } from '../components/StateBadge'
import { Timeline } from '../components/Timeline'
import { actorLabel, dateTime, OPEN_STATES, routeLabel, timeLeft } from '../format'
import { useLiveChanges, useNow } from '../live'
import { Link } from '../router'
import { useSession } from '../session'

export function CheckpointPage({ id }: { id: string }) {
  const { session } = useSession()
  const [detail, setDetail] = useState<CheckpointDetail | null>(null)
  const [notFound, setNotFound] = useState(false)
  const [archived, setArchived] = useState<string | null>(null)
  const [actionError, setActionError] = useState<string | null>(null)
  const [announcement, setAnnouncement] = useState('')
  const [people, setPeople] = useState<PersonInfo[]>([])
  const [reassignTo, setReassignTo] = useState('')
  const now = useNow(1000)
  const operator = session.person?.role === 'operator'

  const load = useCallback(async () => {
    try {
      setDetail(await api<CheckpointDetail>('GET', `/ui/api/checkpoints/${encodeURIComponent(id)}`))
    } catch (e) {
      // 410: retention moved it to the archive; the problem's detail names the file.
      if (e instanceof ApiError && e.problem.status === 410) setArchived(errorText(e))
      else if ((e as { status?: number }).status === 404) setNotFound(true)
      else setActionError(errorText(e))
    }
  }, [id])

  useEffect(() => {
    void load()
  }, [load])

  useEffect(() => {
    if (operator) api<{ people: PersonInfo[] }>('GET', '/ui/api/people').then((r) => setPeople(r.people), () => undefined)
  }, [operator])

  useLiveChanges((change) => {
    if (change.id !== id) return
    void api<CheckpointDetail>('GET', `/ui/api/checkpoints/${encodeURIComponent(id)}`).then((next) => {
      setDetail((prev) => {
        const before = prev?.checkpoint.claimedBy?.actor
        const after = next.checkpoint.claimedBy
        if (after && after.actor !== before && after.actor !== next.you.actor) setAnnouncement(`Claimed by ${after.name ?? after.actor}`)
        if (prev && prev.checkpoint.state !== next.checkpoint.state) setAnnouncement(`Checkpoint is now ${next.checkpoint.state}`)
        return next
      })
    }, () => undefined)
  })

  const act = async (path: string, body?: unknown) => {
    setActionError(null)
    try {
      setDetail(await api<CheckpointDetail>('POST', `/ui/api/checkpoints/${encodeURIComponent(id)}/${path}`, body ?? {}))
    } catch (e) {
      setActionError(errorText(e))
      await load()
    }
  }

  if (archived !== null) {
    return (
      <div className="narrow">
        <h1>Checkpoint archived</h1>
        <p className="muted">{archived}</p>
        <Link href="/">Back to the inbox</Link>
      </div>
    )
  }

  if (notFound) {
    return (
      <div className="narrow">
        <h1>Checkpoint not found</h1>
        <p className="muted">It does not exist, or it is not routed to you.</p>
        <Link href="/">Back to the inbox</Link>
      </div>
    )
  }
  if (!detail) return <div className="skeleton" aria-busy="true" aria-label="Loading checkpoint" />

  const { checkpoint: cp, permissions: can } = detail
  const open = OPEN_STATES.has(cp.state)
  const claimedByYou = cp.claimedBy?.actor === detail.you.actor
  const candidates = people.filter((p) => p.id !== cp.claimedBy?.actor)
  const beingVerified = cp.state === 'verifying' || cp.state === 'verified'
  const verdict = cp.verification ?? null
  const maxAttempts = detail.verify?.maxAttempts
  const submitAnswer = async (response: unknown, remember = false) =>
    setDetail(await api<CheckpointDetail>('POST', `/ui/api/checkpoints/${encodeURIComponent(id)}/answer`, { response, ...(remember && { remember }) }))

  return (
    <div className="checkpoint">
      <div className="sr-only" aria-live="polite" role="status">
        {announcement}
      </div>
      {session.kind === 'person' && (
        <Link href="/" className="back">
          ← Inbox
        </Link>
      )}
      <div className="cp-head">
        <StateBadge state={cp.state} />
        <h1>{cp.task}</h1>
        <p className="muted small">
          <span>{cp.id}</span> · created {dateTime(cp.createdAt)}
        </p>
      </div>

      <div className="cp-grid">
        <div className="cp-main">
          <section className="card" aria-labelledby="req-title">
            <h2 id="req-title">What the agent is asking</h2>
            {cp.payload === null || cp.payload === undefined ? <p className="muted">No details were attached.</p> : <Payload value={cp.payload} schema={cp.payloadSchema} />}
          </section>

          {beingVerified ? (
            <section className="card verifying" aria-labelledby="verifying-title">
              <h2 id="verifying-title">Being verified</h2>
              <p className="notice" role="status">
                The answer{cp.respondedBy ? ` from ${actorLabel(cp.respondedBy)}` : ''} is being checked by the verifier. This page updates when the verdict arrives.
              </p>
            </section>
          ) : open ? (
            <section className="card" aria-labelledby="answer-title">
              <h2 id="answer-title">Your answer</h2>
              {typeof cp.responseSchema.description === 'string' && <p className="muted">{cp.responseSchema.description}</p>}
              {verdict && !verdict.passed && (
                <p className="alert error sent-back" role="alert">
                  Sent back: {verdict.reason} — attempt {verdict.attempts}
                  {maxAttempts ? ` of ${maxAttempts}` : ''}
                  {can.answer ? '. Please answer again.' : '.'}
                </p>
              )}
              {can.answer ? (
                <>
                  <AnswerForm schema={cp.responseSchema} onSubmit={submitAnswer} {...(cp.remember && { rememberDays: cp.remember.maxDays })} />
                  {detail.freeText && <FreeTextAnswer checkpointId={cp.id} schema={cp.responseSchema} onConfirm={submitAnswer} />}
                </>
              ) : (
                <p className="notice">{can.reason}</p>
              )}
            </section>
          ) : (
            <section className="card outcome" aria-labelledby="outcome-title">
              <h2 id="outcome-title">Outcome</h2>
              <p className="outcome-line">
                <StateBadge state={cp.state} />
                {cp.state === 'rejected' ? (
                  <span>Rejected by the verifier{verdict ? ` after ${verdict.attempts} attempt${verdict.attempts === 1 ? '' : 's'}` : ''}</span>
                ) : cp.respondedBy ? (
                  <span>Answered by {actorLabel(cp.respondedBy)}</span>
                ) : (
                  <span>{cp.state === 'expired' ? 'Nobody answered in time.' : cp.state === 'cancelled' ? 'The agent cancelled this request.' : ''}</span>
                )}
                <span className="muted">{dateTime(cp.updatedAt)}</span>
              </p>
              {cp.state === 'rejected' && verdict && <p className="alert error rejected-reason">The verifier’s last reason: {verdict.reason}</p>}
              {cp.response !== null && cp.response !== undefined && <Value value={cp.response} schema={cp.responseSchema} />}
              {cp.resume && <p className="muted small">The agent is resumed via {cp.resume.target}; see the timeline.</p>}
            </section>
          )}
        </div>

        <aside className="cp-side">
          <section className="card" aria-labelledby="status-title">
            <h2 id="status-title">Status</h2>
            <dl className="facts">
              <div>
                <dt>Time left</dt>
                <dd className="tnum">{open || beingVerified ? timeLeft(cp.expiresAt, now) : '—'}</dd>
              </div>
              <div>
                <dt>Claimed by</dt>
                <dd className="claim-holder">{cp.claimedBy ? (claimedByYou ? 'You' : actorLabel(cp.claimedBy)) : open ? 'Nobody yet' : '—'}</dd>
              </div>
            </dl>
            {actionError && (
              <p className="alert error" role="alert">
                {actionError}
              </p>
            )}
            {open && (
              <div className="actions">
                {can.claim && (
                  <button type="button" className="btn primary" onClick={() => void act('claim')}>
                    Claim
                  </button>
                )}
                {can.release && (
                  <button type="button" className="btn" onClick={() => void act('release')}>
                    {claimedByYou ? 'Release' : 'Release their claim'}
                  </button>
                )}
              </div>
            )}
            {open && can.reassign && candidates.length > 0 && (
              <form
                className="reassign"
                onSubmit={(e) => {
                  e.preventDefault()
                  if (reassignTo) void act('release', { reassignTo })
                }}
              >
                <label htmlFor="reassign">Assign the claim to</label>
                <div className="inline">
                  <select id="reassign" value={reassignTo} onChange={(e) => setReassignTo(e.target.value)}>
                    <option value="">Choose a person…</option>
                    {candidates.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="btn" disabled={!reassignTo}>
                    Reassign
                  </button>
                </div>
              </form>
            )}
          </section>

          <section className="card" aria-labelledby="routing-title">
            <h2 id="routing-title">Who was asked</h2>
            <h3>Notified</h3>
            <ul className="chips">
              {cp.notify.map((n) => (
                <li key={n} className={cp.deliveredTo.includes(n) ? 'chip delivered' : 'chip'}>
                  {routeLabel(n)}
                  {cp.deliveredTo.includes(n) && <span className="sr-only"> (delivered)</span>}
                  {cp.deliveredTo.includes(n) && <span aria-hidden="true"> ✓</span>}
                </li>
              ))}
            </ul>
            <h3>May answer</h3>
            <ul className="chips">
              {cp.assignTo.map((a) => (
                <li key={a} className="chip">
                  {routeLabel(a)}
                </li>
              ))}
            </ul>
          </section>

          <Timeline entries={detail.timeline} chain={detail.chain} />
        </aside>
      </div>
    </div>
  )
}
