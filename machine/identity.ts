import type { Actor, CheckpointContext, RespondedBy } from './types.js'

/**
 * Who may act on a checkpoint. A service holding an agent token is trusted (and audited as
 * acting for someone); the system acts for timers; a standing rule (`rule`) was put in place
 * by an operator (a policy file) or by a person who answered (a remembered decision), so it
 * answers the way a service does; a person must match `assignTo` through one of the
 * identities the caller resolved for them.
 */
export function mayAct(context: Pick<CheckpointContext, 'assignTo'>, by: Actor): boolean {
  if (by.channel === 'api' || by.channel === 'system' || by.channel === 'rule') return true
  const identities = by.identities ?? []
  return context.assignTo.some((target) => identities.includes(target))
}

export function respondedBy(by: Actor): RespondedBy {
  const out: RespondedBy = { channel: by.channel, actor: by.actor }
  if (by.name !== undefined) out.name = by.name
  if (by.via !== undefined) out.via = by.via
  return out
}
