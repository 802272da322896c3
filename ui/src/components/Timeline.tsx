import type { ChainCheck, TimelineEntry } from '../api'
import { actorLabel, dateTime, KIND_LABEL, routeLabel } from '../format'

function detail(e: TimelineEntry): string | null {
  const d = e.data ?? {}
  switch (e.kind) {
    case 'created':
      return Array.isArray(d.notify) ? `notify ${(d.notify as string[]).map(routeLabel).join(', ')}` : null
    case 'delivered':
      return typeof d.recipient === 'string' ? `to ${routeLabel(d.recipient)}` : null
    case 'refused': {
      const reason = typeof d.reason === 'string' ? d.reason.replace(/_/g, ' ') : 'refused'
      return `${typeof d.attempted === 'string' ? d.attempted : 'action'} refused: ${reason}`
    }
    case 'released':
      return d.releasedBy && typeof d.releasedBy === 'object' ? `by operator ${actorLabel(d.releasedBy as TimelineEntry['actor'])}` : null
    case 'claimed':
      return d.assignedBy && typeof d.assignedBy === 'object' ? `assigned by ${actorLabel(d.assignedBy as TimelineEntry['actor'])}` : null
    case 'resumed':
    case 'resume.failed':
      return typeof d.target === 'string' ? `via ${d.target}${typeof d.status === 'number' ? ` (HTTP ${d.status})` : ''}` : null
    default:
      return null
  }
}

export function ChainStatus({ chain }: { chain: ChainCheck }) {
  return chain.intact ? (
    <span className="chain ok" title="Every entry's keyed hash links to the one before it.">
      ✓ Hash chain intact
    </span>
  ) : (
    <span className="chain broken" title={chain.reason}>
      ✗ Hash chain broken at entry {chain.brokenAt}
    </span>
  )
}

export function Timeline({ entries, chain }: { entries: TimelineEntry[]; chain: ChainCheck }) {
  return (
    <section className="card" aria-labelledby="timeline-title">
      <div className="card-head">
        <h2 id="timeline-title">Timeline</h2>
        <ChainStatus chain={chain} />
      </div>
      <ol className="timeline">
        {entries.map((e) => {
          const extra = detail(e)
          return (
            <li key={e.seq} className={`tl tl-${e.kind.replace(/\./g, '-')}`}>
              <span className="tl-dot" aria-hidden="true" />
              <div>
                <p className="tl-title">
                  <strong>{KIND_LABEL[e.kind] ?? e.kind}</strong> <span className="muted">by {actorLabel(e.actor)}</span>
                </p>
                {extra && <p className="tl-detail">{extra}</p>}
                <time className="tl-time" dateTime={e.at}>
                  {dateTime(e.at)}
                </time>
              </div>
            </li>
          )
        })}
      </ol>
    </section>
  )
}
