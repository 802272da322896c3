import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, fieldErrors, type ChannelInfo, type PersonInfo } from '../api'
import { Field } from '../components/Field'
import { useSession } from '../session'

const EMPTY: Record<string, string> = { name: '', email: '', groups: '', role: 'reviewer' }

/** The handle fields the registered channels add to a person (email and id are core fields channels may read). */
function handleFields(channels: ChannelInfo[]) {
  return channels.flatMap((c) => c.handles.filter((h) => h.field !== 'email' && h.field !== 'id'))
}

export function PeoplePage() {
  const { session } = useSession()
  const [people, setPeople] = useState<PersonInfo[]>([])
  const [channels, setChannels] = useState<ChannelInfo[]>([])
  const [form, setForm] = useState(EMPTY)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [invite, setInvite] = useState<{ name: string; url: string } | null>(null)

  const load = () => api<{ people: PersonInfo[] }>('GET', '/ui/api/people').then((r) => setPeople(r.people), (e: unknown) => setError(errorText(e)))
  useEffect(() => {
    void load()
    api<{ channels: ChannelInfo[] }>('GET', '/ui/api/people/channels').then((r) => setChannels(r.channels), (e: unknown) => setError(errorText(e)))
  }, [])
  const handles = handleFields(channels)

  const set = (key: string) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value })

  const add = async (e: FormEvent) => {
    e.preventDefault()
    setErrors({})
    setError(null)
    try {
      const body = { ...form, groups: (form.groups ?? '').split(',').map((g) => g.trim()).filter(Boolean) }
      const res = await api<{ person: PersonInfo; inviteUrl: string }>('POST', '/ui/api/people', body)
      setInvite({ name: res.person.name, url: res.inviteUrl })
      setForm(EMPTY)
      await load()
    } catch (err) {
      setErrors(fieldErrors(err))
      setError(errorText(err))
    }
  }

  const reinvite = async (p: PersonInfo) => {
    const res = await api<{ inviteUrl: string }>('POST', `/ui/api/people/${p.id}/invite`)
    setInvite({ name: p.name, url: res.inviteUrl })
  }

  const remove = async (p: PersonInfo) => {
    if (!confirm(`Remove ${p.name}? They are signed out everywhere.`)) return
    await api('DELETE', `/ui/api/people/${p.id}`)
    await load()
  }

  return (
    <div className="people">
      <div className="page-head">
        <h1>People</h1>
        <p className="muted">Reviewers answer checkpoints routed to them by email, by their handle on each channel, or by group. Operators see everything.</p>
      </div>
      <div className="two-col">
        <form className="card" onSubmit={(e) => void add(e)} aria-labelledby="add-title" noValidate>
          <h2 id="add-title">Add a person</h2>
          {error && (
            <p className="alert error" role="alert">
              {error}
            </p>
          )}
          <Field label="Name" required value={form.name} onChange={set('name')} error={errors.name} />
          <Field label="Email" type="email" value={form.email} onChange={set('email')} error={errors.email} hint="Matches email:… routes; also their sign-in name." />
          {handles.map((h) => (
            <Field key={h.field} label={h.label} value={form[h.field] ?? ''} onChange={set(h.field)} error={errors[h.field]} placeholder={h.placeholder} />
          ))}
          <Field label="Groups" value={form.groups} onChange={set('groups')} error={errors.groups} hint="Comma-separated, e.g. finance, support" />
          <Field label="Role" error={errors.role}>
            <select id="role" aria-label="Role" value={form.role} onChange={set('role')}>
              <option value="reviewer">Reviewer</option>
              <option value="operator">Operator</option>
            </select>
          </Field>
          <button className="btn primary" type="submit">
            Add person
          </button>
        </form>
        <div>
          {invite && (
            <div className="card invite" role="status">
              <h2>Invite link for {invite.name}</h2>
              <p className="muted small">Send this to them; it lets them choose a password once and expires in 7 days.</p>
              <input className="mono" readOnly value={invite.url} aria-label={`Invite link for ${invite.name}`} onFocus={(e) => e.target.select()} />
            </div>
          )}
          <section className="card" aria-labelledby="people-title">
            <h2 id="people-title">Everyone ({people.length})</h2>
            <ul className="people-list">
              {people.map((p) => (
                <li key={p.id}>
                  <div>
                    <p className="person-name">
                      {p.name} {p.role === 'operator' && <span className="role">operator</span>}
                      {!p.hasPassword && <span className="pill muted-pill">invited</span>}
                    </p>
                    <p className="muted small">
                      {[p.id, p.email, ...handles.map((h) => (typeof p[h.field] === 'string' ? `${h.label} ${String(p[h.field])}` : null)), p.groups.length ? `groups: ${p.groups.join(', ')}` : null].filter(Boolean).join(' · ')}
                    </p>
                  </div>
                  <div className="person-actions">
                    <button type="button" className="btn small ghost" onClick={() => void reinvite(p)} aria-label={`New invite link for ${p.name}`}>
                      Invite link
                    </button>
                    {p.id !== session.person?.id && (
                      <button type="button" className="btn small ghost danger" onClick={() => void remove(p)} aria-label={`Remove ${p.name}`}>
                        Remove
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          </section>
        </div>
      </div>
    </div>
  )
}
