import type { ReactNode } from 'react'
import { api, type Session } from '../api'
import { useLiveStatus } from '../live'
import { Link, navigate } from '../router'
import { useSession } from '../session'

const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' } as const

export function Layout({ path, children }: { path: string; children: ReactNode }) {
  const { session, setSession } = useSession()
  const live = useLiveStatus()
  const operator = session.person?.role === 'operator'
  const signOut = async () => {
    const next = await api<Session>('POST', '/ui/api/logout')
    setSession(next)
    navigate('/login', { replace: true })
  }
  const nav = (href: string, label: string, active: boolean) => (
    <Link href={href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  )
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand" aria-label="Holdpoint inbox">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            <span>Holdpoint</span>
          </Link>
          {session.kind === 'person' && (
            <nav aria-label="Main" className="nav">
              {nav('/', 'Inbox', path === '/' || path.startsWith('/checkpoints/'))}
              {operator && nav('/admin/people', 'People', path === '/admin/people')}
              {operator && nav('/admin/audit', 'Audit', path === '/admin/audit')}
              {operator && nav('/admin/rules', 'Rules', path === '/admin/rules')}
            </nav>
          )}
          <div className="topbar-right">
            <span className={`live live-${live}`} role="status" title="Live updates">
              <span className="dot" aria-hidden="true" />
              {LIVE_TEXT[live]}
            </span>
            {session.kind === 'person' ? (
              <>
                <Link href="/account" className="whoami" title="Your account">
                  {session.person?.name}
                  {operator && <span className="role">operator</span>}
                </Link>
                <button type="button" className="btn ghost small" onClick={() => void signOut()}>
                  Sign out
                </button>
              </>
            ) : (
              <span className="whoami">{session.actor.name ?? session.actor.actor}</span>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
    </>
  )
}
