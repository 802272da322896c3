import { useCallback, useEffect, useState } from 'react'
import { ApiError, errorText } from '../api'
import { currentSubscription, deviceIdOf, listDevices, notifyThisDevice, pushSupport, removeDevice, type PushDevice } from '../push'

/** Account page: "Notify me on this device", and the person's devices with remove. */
export function PushDevices() {
  const [devices, setDevices] = useState<PushDevice[] | null>(null)
  const [thisDevice, setThisDevice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [off, setOff] = useState(false)
  const support = pushSupport()

  const refresh = useCallback(async () => {
    try {
      setDevices(await listDevices())
      const mine = support === 'supported' ? await currentSubscription() : null
      setThisDevice(mine ? await deviceIdOf(mine.endpoint) : null)
    } catch (err) {
      // No push channel on this server: nothing to offer.
      if (err instanceof ApiError && err.status === 404) setOff(true)
      else setMessage({ ok: false, text: errorText(err) })
    }
  }, [support])

  useEffect(() => {
    void refresh()
  }, [refresh])

  const enable = async () => {
    setBusy(true)
    setMessage(null)
    try {
      await notifyThisDevice()
      setMessage({ ok: true, text: 'This device will be notified of requests for you.' })
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) })
    } finally {
      setBusy(false)
      await refresh()
    }
  }

  const remove = async (id: string) => {
    setMessage(null)
    try {
      await removeDevice(id)
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) })
    }
    await refresh()
  }

  if (off) return null
  const subscribedHere = thisDevice !== null && devices?.some((d) => d.id === thisDevice) === true
  return (
    <section className="card" aria-labelledby="push">
      <h2 id="push">Notifications on your devices</h2>
      {message && (
        <p className={message.ok ? 'alert ok' : 'alert error'} role="status">
          {message.text}
        </p>
      )}
      {support === 'needs-home-screen' && <p>On iPhone and iPad, add Holdpoint to your Home Screen first (Share → Add to Home Screen), then open it from there and come back to this page.</p>}
      {support === 'unsupported' && <p>This browser cannot receive push notifications (or the dashboard is not served over https).</p>}
      {support === 'supported' && !subscribedHere && (
        <button className="btn primary" type="button" disabled={busy} onClick={() => void enable()}>
          Notify me on this device
        </button>
      )}
      {devices && devices.length > 0 && (
        <ul className="devices" aria-label="Your devices">
          {devices.map((d) => (
            <li key={d.id}>
              <span>
                {d.label}
                {d.id === thisDevice ? ' (this device)' : ''} · since {new Date(d.createdAt).toLocaleDateString()}
              </span>{' '}
              <button className="btn" type="button" onClick={() => void remove(d.id)} aria-label={`Remove ${d.label}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {devices?.length === 0 && <p className="muted">No device gets notifications yet.</p>}
    </section>
  )
}
