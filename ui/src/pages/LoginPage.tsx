import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, type LoginOptions, type Session } from '../api'
import { Field } from '../components/Field'
import { navigate } from '../router'

function safeNext(next: string | null): string {
  // Only same-site paths: a crafted ?next= must not send people elsewhere after sign-in.
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/'
}

export function LoginPage({ next, ssoFailed, signedIn, onSignedIn }: { next: string | null; ssoFailed: boolean; signedIn: boolean; onSignedIn: (s: Session) => void }) {
  const [login, setLogin] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(ssoFailed ? 'Single sign-on did not complete. Try again, or ask an operator if it keeps failing.' : null)
  const [busy, setBusy] = useState(false)
  const [options, setOptions] = useState<LoginOptions | null>(null)

  useEffect(() => {
    // An older server without the endpoint offers passwords only.
    api<LoginOptions>('GET', '/ui/api/login-options')
      .then(setOptions)
      .catch(() => setOptions({ password: true, sso: false }))
  }, [])

  if (signedIn) {
    queueMicrotask(() => navigate(safeNext(next), { replace: true }))
    return null
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const session = await api<Session>('POST', '/ui/api/login', { login, password })
      onSignedIn(session)
      navigate(safeNext(next), { replace: true })
    } catch (err) {
      setError(errorText(err))
      setBusy(false)
    }
  }

  return (
    <main className="auth-page" id="main">
      <form className="card auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title" noValidate>
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <h1 id="login-title">Sign in to Holdpoint</h1>
        </div>
        {error && (
          <p className="alert error" role="alert">
            {error}
          </p>
        )}
        {options === null && <div aria-busy="true" />}
        {options?.sso && (
          // A full page load: the provider's sign-in happens on its own site.
          <a className={`btn block${options.password ? '' : ' primary'}`} href={`/auth/oidc/login?next=${encodeURIComponent(safeNext(next))}`}>
            Sign in with SSO
          </a>
        )}
        {options?.sso && options.password && <p className="muted small">or with your Holdpoint password</p>}
        {options?.password && (
          <>
            <Field label="Email or username" name="login" autoComplete="username" required value={login} onChange={(e) => setLogin(e.target.value)} autoFocus />
            <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            <button className="btn primary block" type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
            <p className="muted small">New here? Ask an operator for an invite link.</p>
          </>
        )}
      </form>
    </main>
  )
}
