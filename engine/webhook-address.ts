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

/** Names that resolve inside the operator's network whatever public DNS says. */
const INTERNAL_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data'])
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.intranet', '.lan']

/**
 * The eight 16-bit groups of an IPv6 address (`::`, a trailing dotted IPv4 and a `%zone`
 * accepted), or null when it is not one.
 */
export function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().replace(/^\[|\]$/g, '')
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  if (isIP(text) !== 6) return null
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : [])
  const head = part(halves[0])
  const tail = part(halves[1])
  const groups = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`

/**
 * The IPv4 address an IPv6 one carries, as dotted text, for every form that reaches an IPv4
 * host: IPv4-mapped `::ffff:a.b.c.d`, SIIT `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d`, and 6to4 `2002:aabb:ccdd::`. Null when it carries none.
 */
export function embeddedIpv4(groups: readonly number[]): string | null {
  const g = (i: number) => groups[i] ?? 0
  const zeroUpTo = (n: number) => groups.slice(0, n).every((x) => x === 0)
  if (zeroUpTo(5) && g(5) === 0xffff) return v4Of(g(6), g(7)) // ::ffff:a.b.c.d
  if (zeroUpTo(4) && g(4) === 0xffff && g(5) === 0) return v4Of(g(6), g(7)) // ::ffff:0:a.b.c.d
  if (zeroUpTo(6)) return v4Of(g(6), g(7)) // ::a.b.c.d (and ::, ::1, refused as 0.0.0.x)
  if (g(0) === 0x64 && g(1) === 0xff9b && g(2) === 0 && g(3) === 0 && g(4) === 0 && g(5) === 0) return v4Of(g(6), g(7)) // 64:ff9b::/96
  if (g(0) === 0x2002) return v4Of(g(1), g(2)) // 6to4
  return null
}

/** IPv6 ranges that never belong to a public destination (beyond those carrying an IPv4 address). */
function privateIpv6Range(groups: readonly number[]): boolean {
  const g = (i: number) => groups[i] ?? 0
  if ((g(0) & 0xffc0) === 0xfe80) return true // link-local fe80::/10
  if ((g(0) & 0xffc0) === 0xfec0) return true // site-local fec0::/10 (deprecated, still routed internally)
  if ((g(0) & 0xfe00) === 0xfc00) return true // unique-local fc00::/7 (incl. fd00:ec2::254 metadata)
  if ((g(0) & 0xff00) === 0xff00) return true // multicast
  if (g(0) === 0x64 && g(1) === 0xff9b && g(2) === 1) return true // 64:ff9b:1::/48, local-use NAT64 (RFC 8215)
  if (g(0) === 0x2001 && g(1) === 0) return true // Teredo 2001::/32: the client address is obfuscated; refuse outright
  if (g(0) === 0x2001 && g(1) === 0xdb8) return true // documentation
  if (g(0) === 0x100 && g(1) === 0 && g(2) === 0 && g(3) === 0) return true // discard-only 100::/64
  return false
}

/** True for loopback, private, link-local, unique-local, unspecified, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) {
    const groups = ipv6Groups(address)
    if (!groups) return true
    const v4 = embeddedIpv4(groups)
    // An address that carries an IPv4 one reaches that host: judge it by the IPv4 rules.
    if (v4 !== null) return blocked.check(v4, 'ipv4')
    return privateIpv6Range(groups)
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
