import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, fieldErrors, type LoginOptions, type Session } from '../api'
import { AwayCard } from '../components/AwayCard'
import { Field } from '../components/Field'
import { PushDevices } from '../components/PushDevices'
import { routeLabel } from '../format'
import { useSession } from '../session'

export function AccountPage() {
  const { session, setSession } = useSession()
  const [form, setForm] = useState({ current: '', next: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const person = session.person
  // With single sign-on only there is no password here to change.
  const [passwords, setPasswords] = useState(false)
  useEffect(() => {
    api<LoginOptions>('GET', '/ui/api/login-options')
      .then((o) => setPasswords(o.password))
      .catch(() => setPasswords(true))
  }, [])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setErrors({})
    setMessage(null)
    try {
      const next = await api<Session>('POST', '/ui/api/password', form)
      setSession(next)
      setForm({ current: '', next: '' })
      setMessage({ ok: true, text: 'Password changed. Every other browser signed in as you has been signed out.' })
    } catch (err) {
      setErrors(fieldErrors(err))
      setMessage({ ok: false, text: errorText(err) })
    }
  }

  return (
    <div className="narrow">
      <h1>Your account</h1>
      {person && (
        <section className="card" aria-labelledby="profile">
          <h2 id="profile">Profile</h2>
          <dl className="kv">
            <dt>Name</dt>
            <dd>{person.name}</dd>
            <dt>Username</dt>
            <dd>{person.id}</dd>
            <dt>Role</dt>
            <dd>{person.role}</dd>
            <dt>Reachable as</dt>
            <dd>
              {person.routes.map(routeLabel).join(', ') || '—'}
            </dd>
          </dl>
        </section>
      )}
      {person && <PushDevices />}
      {person && <AwayCard />}
      {passwords && (
        <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="pw" noValidate>
          <h2 id="pw">Change password</h2>
          {message && (
            <p className={message.ok ? 'alert ok' : 'alert error'} role="status">
              {message.text}
            </p>
          )}
          <Field label="Current password" type="password" autoComplete="current-password" value={form.current} onChange={(e) => setForm({ ...form, current: e.target.value })} error={errors.current} />
          <Field label="New password" type="password" autoComplete="new-password" value={form.next} onChange={(e) => setForm({ ...form, next: e.target.value })} error={errors.next} hint="At least 10 characters." />
          <button className="btn primary" type="submit">
            Change password
          </button>
        </form>
      )}
    </div>
  )
}
