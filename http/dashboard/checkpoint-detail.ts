import { verifyChain, type AuditEntry, type ChainCheck } from '../../engine/audit.js'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { toView, type CheckpointView } from '../../engine/checkpoint-view.js'
import type { Keyring } from '../../engine/keyring.js'
import { permissionsFor, type Permissions, type Viewer } from './viewer.js'

/** Everything the checkpoint page shows, in one response. */
export interface CheckpointDetail {
  checkpoint: CheckpointView
  permissions: Permissions
  timeline: Array<Omit<AuditEntry, 'prev' | 'kid'>>
  chain: ChainCheck
  /** The viewer's own actor id, so the page can tell "you" from others. */
  you: { channel: string; actor: string }
  /** The checkpoint's verification settings the page shows ("attempt n of max"), or null. */
  verify: { maxAttempts: number } | null
  /** Whether "Answer in words" is offered: a model is configured to read free text. */
  freeText: boolean
}

export function checkpointDetail(cp: LoadedCheckpoint, audit: AuditEntry[], viewer: Viewer, keyring: Keyring, publicUrl: string, freeText = false): CheckpointDetail {
  const verify = cp.persisted.context.verify
  return {
    checkpoint: toView(cp, publicUrl),
    permissions: permissionsFor(viewer, cp),
    timeline: audit.map(({ prev: _prev, kid: _kid, ...entry }) => entry),
    chain: verifyChain(keyring, audit),
    you: { channel: viewer.actor.channel, actor: viewer.actor.actor },
    verify: verify ? { maxAttempts: verify.maxAttempts } : null,
    freeText,
  }
}
