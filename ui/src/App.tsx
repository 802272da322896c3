import { useCallback, useEffect, useState } from 'react'
import { api, setCsrf, whenSignedOut, type Session } from './api'
import { Layout } from './components/Layout'
import { disconnectLive } from './live'
import { AccountPage } from './pages/AccountPage'
import { AuditPage } from './pages/AuditPage'
import { BatchPage } from './pages/BatchPage'
import { CheckpointPage } from './pages/CheckpointPage'
import { InboxPage } from './pages/InboxPage'
import { LoginPage } from './pages/LoginPage'
import { PeoplePage } from './pages/PeoplePage'
import { RulesPage } from './pages/RulesPage'
import { SetupPage } from './pages/SetupPage'
import { navigate, useLocation } from './router'
import { SessionContext } from './session'

export function App() {
  const { path, search } = useLocation()
  const [session, setSessionState] = useState<Session | null>(null)

  const setSession = useCallback((next: Session) => {
    setCsrf(next.signedIn ? next.csrf : null)
    if (!next.signedIn) disconnectLive()
    setSessionState(next)
  }, [])

  useEffect(() => {
    api<Session>('GET', '/ui/api/session')
      .then(setSession)
      .catch(() => setSession({ signedIn: false }))
    whenSignedOut(() => setSession({ signedIn: false }))
  }, [setSession])

  useEffect(() => {
    if (session && !session.signedIn && !path.startsWith('/setup/') && path !== '/login') {
      navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true })
    }
  }, [session, path])

  if (session === null) return <div className="boot" aria-busy="true" />

  const setup = /^\/setup\/([\w-]+)$/.exec(path)
  if (setup) return <SetupPage token={setup[1]!} onDone={setSession} />
  if (!session.signedIn || path === '/login') {
    return <LoginPage next={search.get('next')} ssoFailed={search.get('sso') === 'failed'} signedIn={session.signedIn} onSignedIn={setSession} />
  }

  const checkpoint = /^\/checkpoints\/([^/]+)$/.exec(path)
  const batch = /^\/batches\/([^/]+)$/.exec(path)
  let page
  if (checkpoint) page = <CheckpointPage key={checkpoint[1]} id={checkpoint[1]!} />
  else if (session.kind === 'grant') page = <p className="notice">This link opens one checkpoint only.</p>
  else if (batch) page = <BatchPage key={batch[1]} id={batch[1]!} />
  else if (path === '/admin/people') page = <PeoplePage />
  else if (path === '/admin/audit') page = <AuditPage />
  else if (path === '/admin/rules') page = <RulesPage />
  else if (path === '/account') page = <AccountPage />
  else page = <InboxPage />

  return (
    <SessionContext.Provider value={{ session, setSession }}>
      <Layout path={path}>{page}</Layout>
    </SessionContext.Provider>
  )
}
