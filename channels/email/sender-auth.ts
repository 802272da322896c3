import { Resolver } from 'node:dns/promises'
import { authenticate, type DNSResolver } from 'mailauth'

/**
 * DKIM, SPF and DMARC of an inbound reply, as facts for the audit and one rule: a DMARC
 * `fail` (the From domain publishes a policy and nothing aligned with it passed) is refused.
 * SPF needs the client address, which only the receiving server saw: it is taken from the
 * topmost Received header, the one the mailbox provider itself added.
 */
export interface AuthSummary {
  dkim: Array<{ domain: string; result: string }>
  spf: string
  dmarc: string
  /** The domain DMARC was evaluated for (the From domain). */
  dmarcDomain?: string
}

export type DnsLookup = DNSResolver

/** A resolver on the given servers (`1.2.3.4`, `127.0.0.1:5353`), or the system's. */
export function dnsLookup(servers: readonly string[]): DnsLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 })
  if (servers.length > 0) resolver.setServers([...servers])
  return async (name, rrtype) => (await resolver.resolve(name, rrtype)) as string[][] | string[]
}

export async function checkSender(raw: Buffer, resolver: DnsLookup): Promise<AuthSummary> {
  const result = await authenticate(raw, { resolver, trustReceived: true, disableArc: true, disableBimi: true, mta: 'holdpoint' })
  const dmarc = result.dmarc
  return {
    dkim: (result.dkim.results ?? []).map((r) => ({ domain: r.signingDomain ?? '', result: r.status.result })),
    spf: result.spf ? result.spf.status.result : 'none',
    dmarc: dmarc ? dmarc.status.result : 'none',
    ...(dmarc && typeof dmarc.domain === 'string' && { dmarcDomain: dmarc.domain }),
  }
}
