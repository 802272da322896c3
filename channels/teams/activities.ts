import { TeamsInfo, TurnContext, type Activity } from 'botbuilder'
import type { Logger } from 'pino'
import type { CardActions } from './card-actions.js'
import type { Conversations } from './conversations.js'

/**
 * One authenticated activity. Installs and membership changes keep the conversation
 * references proactive messages need (and forget them when the app is removed); card
 * actions are answered with the refreshed card. Messages people type are not read.
 */
export interface ActivityDeps {
  conversations: Conversations
  actions: CardActions
  logger: Logger
}

const INSTALLED = new Set(['add', 'add-upgrade'])
const REMOVED = new Set(['remove', 'remove-upgrade'])

async function remember(deps: ActivityDeps, turn: TurnContext): Promise<void> {
  const activity = turn.activity
  await deps.conversations.remember(TurnContext.getConversationReference(activity))
  const aad = activity.from.aadObjectId
  if (activity.conversation.conversationType !== 'personal' || !aad) return
  let upn: string | undefined
  try {
    upn = (await TeamsInfo.getMember(turn, activity.from.id)).userPrincipalName
  } catch (error) {
    // Reachable by object id regardless; the principal name is a convenience.
    deps.logger.warn({ err: (error as Error).message }, 'could not read the installing member of a personal chat')
  }
  await deps.conversations.rememberPerson(activity.conversation.id, aad, upn)
}

function botIn(members: Activity['membersAdded'], turn: TurnContext): boolean {
  return (members ?? []).some((m) => m.id === turn.activity.recipient.id)
}

export async function onActivity(deps: ActivityDeps, turn: TurnContext, replay: boolean): Promise<void> {
  const activity = turn.activity
  switch (activity.type) {
    case 'invoke': {
      const body = activity.name === 'adaptiveCard/action' ? await deps.actions.handle(turn, replay) : {}
      await turn.sendActivity({ type: 'invokeResponse', value: { status: 200, body } })
      return
    }
    case 'installationUpdate':
      if (INSTALLED.has(activity.action ?? '')) await remember(deps, turn)
      else if (REMOVED.has(activity.action ?? '')) await deps.conversations.forget(activity.conversation.id)
      return
    case 'conversationUpdate':
      if (botIn(activity.membersRemoved, turn)) await deps.conversations.forget(activity.conversation.id)
      else await remember(deps, turn)
      return
    case 'message':
      // Keeps the reference fresh (service URLs move); the text itself is not read.
      await deps.conversations.remember(TurnContext.getConversationReference(activity))
      return
    default:
      return
  }
}
