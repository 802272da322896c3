import { useCallback, useEffect, useRef, useState } from 'react'
import { api, errorText, type InboxItem, type InboxPage as Page, type PersonInfo } from '../api'
import { StateBadge } from '../components/StateBadge'
import { actorLabel, OPEN_STATES, relative, routeLabel, timeLeft } from '../format'
import { useLiveChanges, useNow, type Change } from '../live'
import { Link, navigate, useLocation } from '../router'
import { useSession } from '../session'

const PAGE_SIZE = 25
const STATES = [
  ['open', 'Open'],
  ['', 'All states'],
  ['delivered', 'Waiting'],
  ['claimed', 'Claimed'],
  ['resolved', 'Resolved'],
  ['expired', 'Expired'],
  ['cancelled', 'Cancelled'],
] as const

interface Filters {
  state: string
  assignee: string
  q: string
}

function queryString(f: Filters, cursor?: string): string {
  const p = new URLSearchParams()
  if (f.state) p.set('state', f.state)
  if (f.assignee) p.set('assignee', f.assignee)
  if (f.q.trim()) p.set('q', f.q.trim())
  p.set('limit', String(PAGE_SIZE))
  if (cursor) p.set('cursor', cursor)
  return p.toString()
}

export function InboxPage() {
  const { session } = useSession()
  const { search } = useLocation()
  const operator = session.person?.role === 'operator'
  const filters: Filters = { state: search.get('state') ?? 'open', assignee: search.get('assignee') ?? '', q: search.get('q') ?? '' }
  const key = queryString(filters)
  const [items, setItems] = useState<InboxItem[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [pending, setPending] = useState<InboxItem[]>([])
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)
  const [announcement, setAnnouncement] = useState('')
  const [people, setPeople] = useState<PersonInfo[]>([])
  const [searchText, setSearchText] = useState(filters.q)
  const itemsRef = useRef(items)
  itemsRef.current = items
  const now = useNow(15_000)
  const searchRef = useRef<HTMLInputElement>(null)

  const load = useCallback(async () => {
    setLoading(true)
    try {
      const page = await api<Page>('GET', `/ui/api/checkpoints?${key}`)
      setItems(page.items)
      setNextCursor(page.nextCursor)
      setPending([])
      setError(null)
    } catch (e) {
      setError(errorText(e))
    } finally {
      setLoading(false)
    }
  }, [key])

  useEffect(() => {
    void load()
  }, [load])

  useEffect(() => {
    if (operator) api<{ people: PersonInfo[] }>('GET', '/ui/api/people').then((r) => setPeople(r.people), () => undefined)
  }, [operator])

  // "/" focuses the search box, as in most inboxes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
        e.preventDefault()
        searchRef.current?.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  // Live: update rows in place at once, then refetch the first page for new rows and claims.
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const refresh = useCallback(async () => {
    const page = await api<Page>('GET', `/ui/api/checkpoints?${key}`)
    const current = itemsRef.current
    const known = new Set(current.map((i) => i.id))
    const knownBatches = new Set(current.flatMap((i) => (i.batch ? [i.batch.key] : [])))
    const newest = current[0]?.id ?? ''
    const fresh = page.items.filter((i) => !known.has(i.id) && i.id > newest && !(i.batch && knownBatches.has(i.batch.key)))
    const byId = new Map(page.items.map((i) => [i.id, i]))
    const byBatch = new Map(page.items.flatMap((i) => (i.batch ? [[i.batch.key, i] as const] : [])))
    // The first page covers ids down to its last one: a batch row in that range that the
    // server no longer returns has no open items left (or is now stood for by another id).
    const covered = page.nextCursor === null ? '' : (page.items[page.items.length - 1]?.id ?? '')
    setItems(
      current.flatMap((i) => {
        if (!i.batch) return [byId.get(i.id) ?? i]
        const now = byBatch.get(i.batch.key)
        if (now) return [now]
        return i.id >= covered ? [] : [i]
      }),
    )
    if (fresh.length === 0) return
    setAnnouncement(fresh.length === 1 ? `New checkpoint: ${fresh[0]!.task}` : `${fresh.length} new checkpoints`)
    // Near the top, new rows go straight in; further down they wait behind a button so
    // nothing moves under the reader's eyes.
    if (window.scrollY < 80) setItems((list) => [...fresh.filter((f) => !list.some((i) => i.id === f.id)), ...list])
    else setPending((p) => [...fresh.filter((f) => !p.some((x) => x.id === f.id)), ...p])
  }, [key])

  useLiveChanges((change: Change) => {
    setItems((list) => list.map((i) => (i.id === change.id ? { ...i, state: change.state } : i)))
    if (refetchTimer.current) clearTimeout(refetchTimer.current)
    refetchTimer.current = setTimeout(() => void refresh().catch(() => undefined), 150)
  })

  const setFilter = (patch: Partial<Filters>) => {
    const next = { ...filters, ...patch }
    const p = new URLSearchParams()
    if (next.state !== 'open') p.set('state', next.state)
    if (next.assignee) p.set('assignee', next.assignee)
    if (next.q.trim()) p.set('q', next.q.trim())
    const qs = p.toString()
    navigate(qs ? `/?${qs}` : '/', { replace: true })
  }

  const loadMore = async () => {
    if (!nextCursor) return
    const page = await api<Page>('GET', `/ui/api/checkpoints?${queryString(filters, nextCursor)}`)
    // A batch already shown as a row stays one row, even when the next page meets it again.
    setItems((list) => [...list, ...page.items.filter((i) => !list.some((x) => x.id === i.id || (i.batch !== null && x.batch?.key === i.batch.key)))])
    setNextCursor(page.nextCursor)
  }

  const showPending = () => {
    setItems((list) => [...pending, ...list])
    setPending([])
    window.scrollTo({ top: 0, behavior: 'smooth' })
  }

  return (
    <div className="inbox">
      <div className="page-head">
        <h1>Inbox</h1>
        <p className="muted">{operator ? 'Every checkpoint, newest first.' : 'Checkpoints routed to you, newest first.'}</p>
      </div>

      <form
        className="filters card"
        role="search"
        aria-label="Filter checkpoints"
        onSubmit={(e) => {
          e.preventDefault()
          setFilter({ q: searchText })
        }}
      >
        <div className="filter search-filter">
          <label htmlFor="f-q">Search task</label>
          <input id="f-q" ref={searchRef} type="search" placeholder="Search task text   ( / )" value={searchText} onChange={(e) => setSearchText(e.target.value)} onBlur={() => searchText !== filters.q && setFilter({ q: searchText })} />
        </div>
        <div className="filter">
          <label htmlFor="f-state">State</label>
          <select id="f-state" value={filters.state} onChange={(e) => setFilter({ state: e.target.value })}>
            {STATES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="f-assignee">Assignee</label>
          <select id="f-assignee" value={filters.assignee} onChange={(e) => setFilter({ assignee: e.target.value })}>
            <option value="">Anyone</option>
            <option value="me">Assigned to me</option>
            <option value="claimed:me">Claimed by me</option>
            <option value="unclaimed">Unclaimed</option>
            {people.map((p) => (
              <option key={p.id} value={`user:${p.id}`}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="sr-only">
          Search
        </button>
      </form>

      <div className="sr-only" aria-live="polite" role="status">
        {announcement}
      </div>

      {pending.length > 0 && (
        <button type="button" className="new-pill" onClick={showPending}>
          {pending.length === 1 ? '1 new checkpoint' : `${pending.length} new checkpoints`} — show
        </button>
      )}

      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}

      <ul className="rows" aria-busy={loading} aria-label="Checkpoints">
        {items.map((item) => (
          <Row key={item.id} item={item} now={now} you={session.actor.actor} />
        ))}
      </ul>
      {!loading && items.length === 0 && !error && (
        <div className="empty card">
          <p className="empty-title">Nothing here</p>
          <p className="muted">{filters.state === 'open' ? 'No open checkpoints match. New ones appear here as agents ask.' : 'No checkpoints match these filters.'}</p>
        </div>
      )}
      {nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={() => void loadMore()}>
            Load more
          </button>
        </div>
      )}
    </div>
  )
}

function Row({ item, now, you }: { item: InboxItem; now: number; you: string }) {
  if (item.batch) return <BatchRow item={item} batch={item.batch} now={now} />
  const open = OPEN_STATES.has(item.state)
  const claimedByYou = item.claimedBy?.actor === you
  return (
    <li className={open ? 'row' : 'row done'} data-id={item.id}>
      <StateBadge state={item.state} />
      <div className="row-main">
        <Link href={`/checkpoints/${item.id}`} className="row-task">
          {item.task}
        </Link>
        <div className="row-meta">
          <span title={item.createdAt}>{relative(item.createdAt, now)}</span>
          {open && <span className="tnum">{timeLeft(item.expiresAt, now)}</span>}
          {item.claimedBy && open && <span className="claimed">{claimedByYou ? 'Claimed by you' : `Claimed by ${item.claimedBy.name ?? item.claimedBy.actor}`}</span>}
          {!open && item.respondedBy && <span>Answered by {actorLabel(item.respondedBy)}</span>}
          <span className="routes" title={item.assignTo.map(routeLabel).join(', ')}>
            {item.assignTo.map(routeLabel).join(', ')}
          </span>
        </div>
      </div>
      <div className="row-side">{item.assignedToMe && open ? <span className="pill">For you</span> : null}</div>
    </li>
  )
}

/** A batch's open checkpoints as one row; the batch page decides them together. */
function BatchRow({ item, batch, now }: { item: InboxItem; batch: NonNullable<InboxItem['batch']>; now: number }) {
  return (
    <li className="row batch-row" data-id={item.id} data-batch={batch.id}>
      <span className="badge">Batch</span>
      <div className="row-main">
        <Link href={`/batches/${item.id}`} className="row-task">
          {batch.title}
        </Link>
        <div className="row-meta">
          <span className="batch-count">{batch.open === 1 ? '1 open item' : `${batch.open} open items`}</span>
          <span title={item.createdAt}>newest {relative(item.createdAt, now)}</span>
        </div>
      </div>
      <div className="row-side">{item.assignedToMe ? <span className="pill">For you</span> : null}</div>
    </li>
  )
}
