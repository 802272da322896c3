import { useState, type FormEvent } from 'react'
import { api, errorText, type AuditRow } from '../api'
import { actorLabel, dateTime, KIND_LABEL } from '../format'
import { Link } from '../router'

interface Result {
  rows: AuditRow[]
  nextCursor: string | null
  scanned: number
  scanCap: number
}

export function AuditPage() {
  const [form, setForm] = useState({ actor: '', from: '', to: '', q: '' })
  const [rows, setRows] = useState<AuditRow[] | null>(null)
  const [next, setNext] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const params = (cursor?: string) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries(form)) if (v.trim()) p.set(k, v.trim())
    if (cursor) p.set('cursor', cursor)
    return p
  }

  const search = async (e?: FormEvent, cursor?: string) => {
    e?.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const res = await api<Result>('GET', `/ui/api/audit?${params(cursor).toString()}`)
      setRows((prev) => (cursor && prev ? [...prev, ...res.rows] : res.rows))
      setNext(res.nextCursor)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const exportHref = (format: 'csv' | 'jsonl') => {
    const p = params()
    p.set('format', format)
    return `/ui/api/audit/export?${p.toString()}`
  }

  return (
    <div className="audit">
      <div className="page-head">
        <h1>Audit</h1>
        <p className="muted">Every step of every checkpoint: who, when, on which channel. Newest checkpoints first; each page looks at up to 200 checkpoints.</p>
      </div>
      <form className="filters card" onSubmit={(e) => void search(e)} aria-label="Search the audit">
        <div className="filter">
          <label htmlFor="a-actor">Actor</label>
          <input id="a-actor" value={form.actor} onChange={(e) => setForm({ ...form, actor: e.target.value })} placeholder="name or id" />
        </div>
        <div className="filter">
          <label htmlFor="a-from">From</label>
          <input id="a-from" type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        </div>
        <div className="filter">
          <label htmlFor="a-to">To</label>
          <input id="a-to" type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </div>
        <div className="filter search-filter">
          <label htmlFor="a-q">Task</label>
          <input id="a-q" type="search" value={form.q} onChange={(e) => setForm({ ...form, q: e.target.value })} placeholder="task text or checkpoint id" />
        </div>
        <div className="filter-actions">
          <button className="btn primary" type="submit" disabled={busy}>
            Search
          </button>
          <a className="btn" href={exportHref('csv')} download>
            Export CSV
          </a>
          <a className="btn" href={exportHref('jsonl')} download>
            Export JSONL
          </a>
        </div>
      </form>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
      {rows && (
        <div className="card table-card">
          <table className="audit-table">
            <caption className="sr-only">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">Checkpoint</th>
                <th scope="col">Chain</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.checkpointId}-${r.seq}`}>
                  <td className="nowrap">{dateTime(r.at)}</td>
                  <td>{KIND_LABEL[r.kind] ?? r.kind}</td>
                  <td>{actorLabel(r.actor)}</td>
                  <td>
                    <Link href={`/checkpoints/${r.checkpointId}`}>{r.task}</Link>
                  </td>
                  <td>{r.chainIntact ? <span className="chain ok">intact</span> : <span className="chain broken">broken</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="muted pad">No entries match.</p>}
          {next && (
            <div className="more">
              <button type="button" className="btn" onClick={() => void search(undefined, next)} disabled={busy}>
                Look further back
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  )
}
