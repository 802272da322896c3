import { useCallback, useEffect, useState } from 'react'
import { api, ApiError, errorText, type BatchAnswerResult, type BatchItem, type BatchPage as Page } from '../api'
import { StateBadge } from '../components/StateBadge'
import { OPEN_STATES } from '../format'
import { useLiveChanges } from '../live'
import { Link } from '../router'

/**
 * A batch's checkpoints on one page: a one-click answer per item, and "Approve all" /
 * "Reject all" for the items this person may answer whose decision is one boolean. Every
 * answer is still its own (validated, audited); an item that fails keeps its error here.
 */
export function BatchPage({ id }: { id: string }) {
  const [page, setPage] = useState<Page | null>(null)
  const [notFound, setNotFound] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [announcement, setAnnouncement] = useState('')

  const load = useCallback(async () => {
    try {
      setPage(await api<Page>('GET', `/ui/api/batches/${encodeURIComponent(id)}`))
    } catch (e) {
      if (e instanceof ApiError && e.problem.status === 404) setNotFound(true)
      else setError(errorText(e))
    }
  }, [id])

  useEffect(() => {
    void load()
  }, [load])

  useLiveChanges((change) => {
    if (page?.items.some((i) => i.id === change.id)) void load()
  })

  const open = (page?.items ?? []).filter((i) => OPEN_STATES.has(i.state))
  const decidable = open.filter((i) => i.canAnswer && i.decision !== null)

  const answer = async (items: Array<{ id: string; response: unknown }>) => {
    if (items.length === 0) return
    setBusy(true)
    setError(null)
    try {
      const reply = await api<{ items: BatchAnswerResult[] }>('POST', `/ui/api/batches/${encodeURIComponent(id)}/answers`, { items })
      const failed: Record<string, string> = {}
      for (const r of reply.items) {
        if (r.status !== 200) failed[r.id] = (r.errors ?? []).map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ') || `not recorded (${r.status})`
      }
      setErrors((prev) => {
        const next = { ...prev }
        for (const it of items) delete next[it.id]
        return { ...next, ...failed }
      })
      const done = reply.items.filter((r) => r.status === 200).length
      setAnnouncement(`${done} of ${items.length} answered${done < items.length ? `; ${items.length - done} not` : ''}`)
      await load()
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  if (notFound) {
    return (
      <div className="card empty">
        <p className="empty-title">Batch not found</p>
        <Link href="/">Back to the inbox</Link>
      </div>
    )
  }
  if (!page) return <div aria-busy="true" />

  const left = open.length - decidable.length
  return (
    <div className="batch-page">
      <div className="page-head">
        <p>
          <Link href="/">← Inbox</Link>
        </p>
        <h1>{page.batch.title}</h1>
        <p className="muted">
          {open.length} open of {page.items.length}
          {left > 0 && ` · ${left} need an individual answer`}
        </p>
      </div>
      <div className="sr-only" aria-live="polite" role="status">
        {announcement}
      </div>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
      <div className="batch-actions card">
        <button type="button" className="btn primary" disabled={busy || decidable.length === 0} onClick={() => void answer(decidable.map((i) => ({ id: i.id, response: i.decision?.approve })))}>
          Approve all ({decidable.length})
        </button>{' '}
        <button type="button" className="btn" disabled={busy || decidable.length === 0} onClick={() => void answer(decidable.map((i) => ({ id: i.id, response: i.decision?.reject })))}>
          Reject all ({decidable.length})
        </button>
      </div>
      <ul className="rows" aria-label="Batch items">
        {page.items.map((item) => (
          <ItemRow key={item.id} item={item} error={errors[item.id] ?? null} busy={busy} onAnswer={(response) => void answer([{ id: item.id, response }])} />
        ))}
      </ul>
    </div>
  )
}

function ItemRow({ item, error, busy, onAnswer }: { item: BatchItem; error: string | null; busy: boolean; onAnswer: (response: unknown) => void }) {
  const open = OPEN_STATES.has(item.state)
  return (
    <li className={open ? 'row' : 'row done'} data-id={item.id}>
      <StateBadge state={item.state} />
      <div className="row-main">
        <Link href={`/checkpoints/${item.id}`} className="row-task">
          {item.task}
        </Link>
        {open && item.reason && <div className="row-meta item-reason">{item.reason}</div>}
        {error && (
          <div className="alert error item-error" role="alert">
            {error}
          </div>
        )}
      </div>
      <div className="row-side">
        {open &&
          item.canAnswer &&
          item.choices?.map((c) => (
            <button key={c.label} type="button" className="btn small" disabled={busy} onClick={() => onAnswer(c.response)}>
              {c.label}
            </button>
          ))}
      </div>
    </li>
  )
}
