import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * SSRF guard for URLs Holdpoint calls on an agent's behalf (resume and verifier webhooks).
 * A create body is attacker-controlled as far as the network is concerned: without this, an
 * agent token (or a leaked one) turns the worker into a proxy into the operator's private
 * network and cloud metadata endpoints. Checked twice: statically at create time (literal
 * addresses and well-known internal names) and after DNS resolution at send time.
 */

const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches localhost on most stacks
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT, often internal in clouds
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  blocked.addSubnet(net, bits, 'ipv4')
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10], // link-local
  ['fc00::', 7], // unique-local (incl. fd00:ec2::254 metadata)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, bits, 'ipv6')
}

/** Names that resolve inside the operator's network whatever public DNS says. */
const INTERNAL_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data'])
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.intranet', '.lan']

/** An IPv6 address that carries an IPv4 one (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::`), as that IPv4. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase()
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (dotted?.[1]) return dotted[1]
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hex?.[1] && hex[2]) {
    const hi = parseInt(hex[1], 16)
    const lo = parseInt(hex[2], 16)
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return null
}

/** True for loopback, private, link-local, unique-local, unspecified, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) {
    const v4 = embeddedIpv4(address)
    return v4 !== null ? blocked.check(v4, 'ipv4') : blocked.check(address, 'ipv6')
  }
  return true // not an address at all: refuse rather than guess
}

/**
 * Why a URL may not be called when private destinations are not allowed, or null when it
 * may. Static only: a public-looking name can still resolve to a private address, which
 * `assertPublicDestination` catches at send time.
 */
export function privateUrlProblem(raw: string): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https'
  // WHATWG parsing has already normalised 0x7f.1, 2130706433 and friends to dotted form.
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()
  if (host === '') return 'has no host'
  if (isIP(host) !== 0) return isPrivateAddress(host) ? 'points at a private, loopback or link-local address' : null
  if (INTERNAL_NAMES.has(host) || INTERNAL_SUFFIXES.some((s) => host.endsWith(s))) return 'points at an internal host name'
  if (!host.includes('.')) return 'points at a single-label (internal) host name'
  return null
}

function hostOf(raw: string): string {
  try {
    return new URL(raw).host
  } catch {
    return 'an invalid URL'
  }
}

export class PrivateDestinationError extends Error {
  constructor(readonly url: string, reason: string) {
    super(`refusing to call ${hostOf(url)}: ${reason} (set HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS=true to allow)`)
    this.name = 'PrivateDestinationError'
  }
}

export type Resolver = (host: string) => Promise<Array<{ address: string }>>

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true })

/**
 * Send-time check: the URL passes the static check and every address its host resolves to
 * is public. (The HTTP client resolves again when it connects, so a DNS answer that changes
 * within that instant is not covered; the static check still stops literal addresses.)
 */
export async function assertPublicDestination(raw: string, resolve: Resolver = systemResolver): Promise<void> {
  const problem = privateUrlProblem(raw)
  if (problem) throw new PrivateDestinationError(raw, problem)
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0) return
  const addresses = await resolve(host)
  const bad = addresses.find((a) => isPrivateAddress(a.address))
  if (bad) throw new PrivateDestinationError(raw, `its host resolves to a private address (${bad.address})`)
}
