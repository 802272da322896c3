import { useState } from 'react'
import { api, errorText, type JsonSchema, type ProposedAnswer } from '../api'
import { Value } from './Payload'

/**
 * "Answer in words": a model reads the text as a typed answer (nothing is sent), the page
 * shows that reading, and only Confirm submits it, through the ordinary answer path, where
 * the server validates it again.
 */
export function FreeTextAnswer({ checkpointId, schema, onConfirm }: { checkpointId: string; schema: JsonSchema; onConfirm: (response: unknown) => Promise<void> }) {
  const [text, setText] = useState('')
  const [proposal, setProposal] = useState<ProposedAnswer | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const propose = async () => {
    setBusy(true)
    setError(null)
    setProposal(null)
    try {
      setProposal(await api<ProposedAnswer>('POST', `/ui/api/checkpoints/${encodeURIComponent(checkpointId)}/extract`, { text }))
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const confirm = async (answer: unknown) => {
    setBusy(true)
    setError(null)
    try {
      await onConfirm(answer)
      setProposal(null)
      setText('')
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="free-text">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (text.trim()) void propose()
        }}
      >
        <label htmlFor="free-text">Answer in words</label>
        <p className="muted small">Write your answer in your own words; you will see how it was read before anything is sent.</p>
        <textarea
          id="free-text"
          rows={3}
          maxLength={4000}
          value={text}
          disabled={busy}
          onChange={(e) => {
            setText(e.target.value)
            setProposal(null)
          }}
        />
        <div className="form-actions">
          <button type="submit" className="btn" disabled={busy || !text.trim()}>
            {busy && !proposal ? 'Reading…' : 'Propose'}
          </button>
        </div>
      </form>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
      {proposal && (
        <div className="proposal" role="status" aria-label="Proposed answer">
          {proposal.valid ? (
            <>
              <p>
                <strong>I read your answer as:</strong>
              </p>
              <Value value={proposal.answer} schema={schema} />
              <p className="muted small">{proposal.reason} Nothing is submitted until you confirm.</p>
              <div className="form-actions">
                <button type="button" className="btn primary" disabled={busy} onClick={() => void confirm(proposal.answer)}>
                  {busy ? 'Submitting…' : 'Confirm'}
                </button>
                <button type="button" className="btn" disabled={busy} onClick={() => setProposal(null)}>
                  Discard
                </button>
              </div>
            </>
          ) : (
            <p className="notice">
              I could not read a complete answer from that: {proposal.reason}
              {proposal.problems.length > 0 && ' (it does not fit what the request asks for)'} Please use the form or try other words.
            </p>
          )}
        </div>
      )}
    </div>
  )
}
