import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, fieldErrors, type PersonInfo, type Session } from '../api'
import { Field } from '../components/Field'
import { navigate } from '../router'

interface Invite {
  kind: 'first-operator' | 'person'
  person: PersonInfo | null
}

/** First-run operator setup and invite links: choose a password (and, first run, a name). */
export function SetupPage({ token, onDone }: { token: string; onDone: (s: Session) => void }) {
  const [invite, setInvite] = useState<Invite | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [form, setForm] = useState({ name: '', email: '', password: '', confirm: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    api<Invite>('GET', `/ui/api/setup/${encodeURIComponent(token)}`)
      .then(setInvite)
      .catch((e: unknown) => setLoadError(errorText(e)))
  }, [token])

  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value })

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    if (form.password !== form.confirm) {
      setErrors({ confirm: 'does not match the password' })
      return
    }
    setBusy(true)
    try {
      const first = invite?.kind === 'first-operator'
      const session = await api<Session>('POST', '/ui/api/setup', { token, password: form.password, ...(first && { name: form.name, email: form.email }) })
      onDone(session)
      navigate('/', { replace: true })
    } catch (err) {
      setErrors(fieldErrors(err))
      setError(errorText(err))
      setBusy(false)
    }
  }

  const first = invite?.kind === 'first-operator'
  return (
    <main className="auth-page" id="main">
      <form className="card auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="setup-title" noValidate>
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <h1 id="setup-title">{first ? 'Set up Holdpoint' : 'Choose your password'}</h1>
        </div>
        {loadError && (
          <p className="alert error" role="alert">
            {loadError}
          </p>
        )}
        {invite && (
          <>
            <p className="muted">
              {first ? 'You are creating the first operator account. Operators see every checkpoint and add reviewers.' : `Welcome, ${invite.person?.name ?? ''}. Choose a password to sign in to the dashboard.`}
            </p>
            {error && (
              <p className="alert error" role="alert">
                {error}
              </p>
            )}
            {first && (
              <>
                <Field label="Your name" name="name" autoComplete="name" required value={form.name} onChange={set('name')} error={errors.name} autoFocus />
                <Field label="Email" name="email" type="email" autoComplete="email" required value={form.email} onChange={set('email')} error={errors.email} hint="You sign in with this." />
              </>
            )}
            <Field label="Password" name="password" type="password" autoComplete="new-password" required value={form.password} onChange={set('password')} error={errors.password} hint="At least 10 characters." />
            <Field label="Confirm password" name="confirm" type="password" autoComplete="new-password" required value={form.confirm} onChange={set('confirm')} error={errors.confirm} />
            <button className="btn primary block" type="submit" disabled={busy}>
              {busy ? 'Saving…' : first ? 'Create operator account' : 'Set password and sign in'}
            </button>
          </>
        )}
      </form>
    </main>
  )
}
