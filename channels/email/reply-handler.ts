import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { toView } from '../../engine/checkpoint-view.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import type { Keyring } from '../../engine/keyring.js'
import { isTerminal } from '../../machine/types.js'
import { VerifierMisconfigured, type FreeTextReader } from '../../plugins/free-text-reader.js'
import type { KeySpace } from '../../plugins/plugin.js'
import type { ProposalStore } from '../common/proposals.js'
import { emailActor } from './email-actor.js'
import { linksFor } from './email-links.js'
import type { ComposedMail } from './email-message.js'
import { MessageTooLarge, parseInbound, type InboundMail } from './inbound-mail.js'
import { linkTtlSeconds, mintMagicLink, newNonce } from './magic-link.js'
import type { ReplyAddresses, ReplyBinding } from './reply-address.js'
import { composeAlreadyDecidedMail, composeProposalMail, composeUnreadableMail, proposalAuthor } from './reply-mail.js'
import { readReply } from './reply-reading.js'
import { stripQuoted } from './reply-text.js'
import { checkSender, type AuthSummary, type DnsLookup } from './sender-auth.js'
import type { OutgoingMail, SmtpMailer } from './smtp-mailer.js'

/**
 * One inbound message, start to end: machine mail is dropped; the sub-address must verify,
 * From must be the bound recipient, and DMARC must not fail, or the refusal is audited and
 * nothing changes; then the words are read (rules, else a model's proposal to confirm) and
 * the answer goes through Engine.answer like any click. Returns what happened, for the job
 * (never an address, a token or the words). Throws only for what a retry can fix.
 */
export interface ReplyHandlerDeps {
  engine: Engine
  directory: Directory
  keyring: Keyring
  keys: KeySpace
  publicUrl: string
  replies: ReplyAddresses
  proposals: ProposalStore
  extractor: FreeTextReader
  mailer: SmtpMailer
  /** Domain of Holdpoint's own Message-IDs. */
  domain: string
  dns: DnsLookup
  /** Replies one sender may send per hour before they are refused. */
  perHour: number
  logger: Logger
}

const VIA = 'email-reply'
const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24)

export function createReplyHandler(deps: ReplyHandlerDeps): (raw: Buffer) => Promise<string> {
  const log = deps.logger.child({ component: 'email-replies' })
  const redis = deps.keys.redis

  async function refuse(cpId: string, from: string | null, reason: string, mail: InboundMail, auth?: AuthSummary): Promise<string> {
    await deps.engine.note(cpId, {
      kind: 'refused',
      actor: { channel: 'email', actor: from ?? 'unknown' },
      data: { attempted: 'answered', reason, via: VIA, ...(mail.messageId !== null && { messageId: mail.messageId }), ...(auth && { auth }) },
    })
    return `refused: ${reason}`
  }

  /** A mail to the reply's author, once per reply and kind, threaded under their message. */
  async function mailBack(to: string, mail: InboundMail, kind: string, composed: ComposedMail, replyTo?: string): Promise<void> {
    const tag = digest(`${mail.messageId ?? ''}\n${kind}\n${to}`)
    const sent = deps.keys.key('email', 'reply-sent', tag)
    if ((await redis.exists(sent)) === 1) return
    const out: OutgoingMail = {
      to,
      ...composed,
      messageId: `<reply.${tag}@${deps.domain}>`,
      autoSubmitted: 'auto-replied',
      ...(mail.messageId !== null && { inReplyTo: mail.messageId, references: [mail.messageId] }),
      ...(replyTo !== undefined && { replyTo }),
    }
    await deps.mailer.send(out)
    await redis.set(sent, '1', 'EX', 7 * 24 * 60 * 60)
  }

  /** Rate per sender per hour; the first refusal past the limit is audited, the flood after it is not. */
  async function overLimit(from: string): Promise<'ok' | 'first' | 'again'> {
    const key = deps.keys.key('email', 'reply-rate', digest(from), String(Math.floor(Date.now() / 3_600_000)))
    const count = await redis.incr(key)
    if (count === 1) await redis.expire(key, 3600)
    return count <= deps.perHour ? 'ok' : count === deps.perHour + 1 ? 'first' : 'again'
  }

  async function alreadyDecided(cp: LoadedCheckpoint, from: string, mail: InboundMail): Promise<string> {
    const by = cp.persisted.context.respondedBy
    // Their own answer (or a retried job that recorded it) needs no "already decided" mail.
    if (by?.channel === 'email' && by.actor === from) return 'finished'
    const once = deps.keys.key('email', 'decided-sent', cp.id, digest(from))
    if ((await redis.set(once, '1', 'EX', 100 * 24 * 60 * 60, 'NX')) !== 'OK') return 'finished (told before)'
    await mailBack(from, mail, 'decided', composeAlreadyDecidedMail(toView(cp, deps.publicUrl), mail.subject))
    return 'finished (told)'
  }

  async function unreadable(cp: LoadedCheckpoint, binding: ReplyBinding, mail: InboundMail, why: string): Promise<string> {
    const view = toView(cp, deps.publicUrl)
    const links = await linksFor(deps, view, binding.to)
    const replyTo = await deps.replies.mint(binding, linkTtlSeconds(view.expiresAt))
    await mailBack(binding.to, mail, 'unreadable', composeUnreadableMail(view, mail.subject, why, links), replyTo)
    return 'unreadable'
  }

  async function propose(cp: LoadedCheckpoint, binding: ReplyBinding, mail: InboundMail, text: string, why: string): Promise<string> {
    let proposal
    try {
      proposal = await deps.extractor.extract(cp, text)
    } catch (error) {
      // An outage throws on, so the job retries; a missing model is the same as none.
      if (!(error instanceof VerifierMisconfigured)) throw error
      return unreadable(cp, binding, mail, why)
    }
    if (!proposal.valid) return unreadable(cp, binding, mail, proposal.reason.replace(/\.$/, '').slice(0, 300) || why)
    const id = await deps.proposals.save({ checkpointId: cp.id, author: proposalAuthor(binding.to), answer: proposal.answer })
    const view = toView(cp, deps.publicUrl)
    const confirmUrl = mintMagicLink({
      keyring: deps.keyring,
      publicUrl: deps.publicUrl,
      claims: { cp: cp.id, to: binding.to, a: 'p', n: newNonce(), p: id, ...(mail.messageId !== null && { m: mail.messageId }) },
      ttlSeconds: linkTtlSeconds(view.expiresAt),
    })
    await deps.engine.note(cp.id, { kind: 'reply.read', actor: { channel: 'email', actor: binding.to }, data: { via: VIA, proposed: true, ...(proposal.model !== null && { model: proposal.model }), ...(mail.messageId !== null && { messageId: mail.messageId }) } })
    await mailBack(binding.to, mail, 'proposal', composeProposalMail(view, mail.subject, { answer: proposal.answer, reason: proposal.reason, confirmUrl }))
    return 'proposed'
  }

  return async function handle(raw: Buffer): Promise<string> {
    let mail: InboundMail
    try {
      mail = await parseInbound(raw)
    } catch (error) {
      return error instanceof MessageTooLarge ? 'ignored: too large' : 'ignored: unparseable'
    }
    if (mail.automated !== null) return `ignored: ${mail.automated}`
    const check = await deps.replies.check(mail.recipients)
    if (check.status === 'none') return 'ignored: not a reply to Holdpoint'
    if (check.status === 'unknown') {
      log.warn({ messageKey: mail.messageId === null ? null : digest(mail.messageId) }, 'email reply to an unknown or expired reply address')
      return 'refused: unknown address'
    }
    const binding = check.binding
    const cp = await deps.engine.get(binding.cp)
    if (!cp) return 'ignored: checkpoint gone'
    // Counted by the claimed sender before any other check, so a flood of forgeries costs one audit entry, not one each.
    const rate = await overLimit(mail.from ?? '')
    if (rate === 'first') return refuse(cp.id, mail.from, 'rate_limited', mail)
    if (rate === 'again') return 'ignored: rate limited'
    if (check.status === 'tampered') return refuse(cp.id, mail.from, 'tampered_address', mail)
    if (mail.from !== binding.to) return refuse(cp.id, mail.from, 'wrong_sender', mail)

    const auth = await checkSender(raw, deps.dns)
    if (auth.dmarc === 'fail') return refuse(cp.id, mail.from, 'dmarc_fail', mail, auth)
    if (isTerminal(cp.state)) return alreadyDecided(cp, binding.to, mail)

    const view = toView(cp, deps.publicUrl)
    const text = stripQuoted(mail.text)
    const reading = readReply(view.responseSchema, text)
    if (reading.kind === 'unclear') {
      return deps.extractor.availableFor(cp) && text !== '' ? propose(cp, binding, mail, text, reading.why) : unreadable(cp, binding, mail, reading.why)
    }
    const by = await emailActor(deps.directory, binding.to, view.assignTo)
    const outcome = await deps.engine.answer({ id: cp.id, by, response: reading.response, via: VIA, data: { ...(mail.messageId !== null && { messageId: mail.messageId }), auth }, loaded: cp })
    switch (outcome.status) {
      case 'recorded':
        return 'answered'
      case 'invalid':
        return unreadable(outcome.checkpoint, binding, mail, 'it does not fit what the request asks for')
      case 'refused':
        return `refused: ${outcome.refusal.code}`
      case 'finished':
        return alreadyDecided(outcome.checkpoint, binding.to, mail)
      case 'not_found':
        return 'ignored: checkpoint gone'
      case 'busy':
        throw new Error('checkpoint busy; retrying')
    }
  }
}
