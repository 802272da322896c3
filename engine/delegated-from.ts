import type { Actor } from '../machine/types.js'

/**
 * Whom an act was delegated from: the away people whose lent identities were what let this
 * actor act under `assignTo`. Empty when their own identities were enough, or when anyone
 * may act (no `assignTo`): then the delegation changed nothing and the audit says nothing.
 */
export function delegatedFrom(by: Actor, assignTo: readonly string[]): string[] {
  if (!by.covering?.length || assignTo.length === 0) return []
  const lent = new Set(by.covering.flatMap((c) => c.identities))
  const own = (by.identities ?? []).filter((i) => !lent.has(i))
  if (assignTo.some((t) => own.includes(t))) return []
  return by.covering.filter((c) => c.identities.some((i) => assignTo.includes(i))).map((c) => c.person)
}
