import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, fieldErrors } from '../api'
import { Field } from './Field'

interface Away {
  from: string
  to: string
  delegateTo: string
  delegateName: string | null
  active: boolean
  setBy: string
}
interface AwayState {
  away: Away | null
  delegates: Array<{ id: string; name: string }>
}

/** `datetime-local` wants local time without a zone; the API wants an ISO instant. */
const toLocalInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)

/**
 * "Away from … to …, delegate to …". While away, whatever is sent or assigned to this person
 * goes to the delegate; when the period ends nothing moves back.
 */
export function AwayCard() {
  const [state, setState] = useState<AwayState | null>(null)
  const [form, setForm] = useState({ from: toLocalInput(Date.now()), to: toLocalInput(Date.now() + 7 * 86_400_000), delegateTo: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)

  const load = async () => setState(await api<AwayState>('GET', '/ui/api/me/away'))
  useEffect(() => {
    load().catch((err: unknown) => setMessage({ ok: false, text: errorText(err) }))
  }, [])

  const save = async (e: FormEvent) => {
    e.preventDefault()
    setErrors({})
    setMessage(null)
    try {
      await api('PUT', '/ui/api/me/away', { from: new Date(form.from).toISOString(), to: new Date(form.to).toISOString(), delegateTo: form.delegateTo })
      await load()
      setMessage({ ok: true, text: 'Saved. During this period your checkpoints go to your delegate.' })
    } catch (err) {
      setErrors(fieldErrors(err))
      setMessage({ ok: false, text: errorText(err) })
    }
  }
  const clear = async () => {
    setMessage(null)
    try {
      await api('DELETE', '/ui/api/me/away')
      await load()
      setMessage({ ok: true, text: 'You are no longer marked away.' })
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) })
    }
  }

  const away = state?.away ?? null
  return (
    <form className="card" onSubmit={(e) => void save(e)} aria-labelledby="away" noValidate>
      <h2 id="away">Away</h2>
      {message && (
        <p className={message.ok ? 'alert ok' : 'alert error'} role="status">
          {message.text}
        </p>
      )}
      {away && (
        <p>
          {away.active ? 'You are away' : 'Away'} from {new Date(away.from).toLocaleString()} to {new Date(away.to).toLocaleString()}; {away.delegateName ?? away.delegateTo} answers for you.{' '}
          <button className="btn" type="button" onClick={() => void clear()}>
            Clear
          </button>
        </p>
      )}
      <Field label="From" type="datetime-local" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} error={errors.from} />
      <Field label="To" type="datetime-local" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} error={errors.to} />
      <Field label="Delegate to" error={errors.delegateTo} hint="They receive what would reach you and may answer it, only during this period.">
        <select aria-label="Delegate to" value={form.delegateTo} onChange={(e) => setForm({ ...form, delegateTo: e.target.value })} aria-invalid={errors.delegateTo ? true : undefined}>
          <option value="">Choose a person…</option>
          {state?.delegates.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.id})
            </option>
          ))}
        </select>
      </Field>
      <button className="btn primary" type="submit">
        {away ? 'Replace' : 'Set away'}
      </button>
    </form>
  )
}
