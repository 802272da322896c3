import { useCallback, useEffect, useState } from 'react'
import { api, errorText, type RulesView } from '../api'
import { actorLabel, dateTime } from '../format'
import { Link } from '../router'

/**
 * Standing rules for operators: policies as HOLDPOINT_POLICY_FILE declares them (read-only:
 * the file is the source, kept in version control), and remembered decisions, which can be
 * revoked here.
 */
export function RulesPage() {
  const [rules, setRules] = useState<RulesView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      setRules(await api<RulesView>('GET', '/ui/api/rules'))
      setError(null)
    } catch (err) {
      setError(errorText(err))
    }
  }, [])

  useEffect(() => {
    void load()
  }, [load])

  const revoke = async (id: string) => {
    setBusy(id)
    try {
      await api('DELETE', `/ui/api/rules/remembered/${encodeURIComponent(id)}`)
      await load()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="rules">
      <div className="page-head">
        <h1>Standing rules</h1>
        <p className="muted">Answers given ahead of time. Each one answers as “standing rule” and is recorded in the checkpoint’s audit.</p>
      </div>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
      <section className="card" aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        <p className="muted small">From the policy file (HOLDPOINT_POLICY_FILE); change the file to change them.</p>
        {rules && rules.policies.length === 0 && <p className="muted">No policies are declared.</p>}
        {rules && rules.policies.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Agent tokens</th>
                <th scope="col">When</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {rules.policies.map((p) => (
                <tr key={p.id}>
                  <td>
                    <strong>{p.id}</strong>
                    {p.note && <div className="muted small">{p.note}</div>}
                  </td>
                  <td>{p.tokens.join(', ')}</td>
                  <td>
                    <code>{JSON.stringify(p.when)}</code>
                  </td>
                  <td>
                    <code>{JSON.stringify(p.response)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="remembered-title">
        <h2 id="remembered-title">Remembered decisions</h2>
        {rules && rules.remembered.length === 0 && <p className="muted">No remembered decisions are in force.</p>}
        {rules && rules.remembered.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Agent token · key</th>
                <th scope="col">Answer</th>
                <th scope="col">Decided by</th>
                <th scope="col">Until</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.remembered.map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.token} · <code>{d.key}</code>
                  </td>
                  <td>
                    <code>{JSON.stringify(d.response)}</code>
                  </td>
                  <td>
                    {actorLabel(d.decidedBy)} on <Link href={`/checkpoints/${d.checkpointId}`}>{d.checkpointId}</Link>
                  </td>
                  <td>{dateTime(d.expiresAt)}</td>
                  <td>
                    <button type="button" className="btn" disabled={busy === d.id} onClick={() => void revoke(d.id)}>
                      {busy === d.id ? 'Revoking…' : 'Revoke'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}
