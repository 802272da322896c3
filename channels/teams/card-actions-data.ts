import { z } from 'zod'

/**
 * What an `Action.Execute` on a Holdpoint card carries back. One verb for every button; the
 * data says which act, on which checkpoint. Form inputs arrive merged into the same object.
 */
export const VERB = 'holdpoint'

export const actionData = z.looseObject({
  hp: z.enum(['answer', 'claim', 'release', 'submit', 'open', 'refresh']),
  cp: z.string().min(1).max(100),
  choice: z.number().int().min(0).max(20).optional(),
})

export type ActionData = z.input<typeof actionData>
