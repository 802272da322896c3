import { createContext, useContext } from 'react'
import type { Session } from './api'

export type SignedIn = Extract<Session, { signedIn: true }>

export interface SessionState {
  session: SignedIn
  setSession: (session: Session) => void
}

export const SessionContext = createContext<SessionState | null>(null)

export function useSession(): SessionState {
  const value = useContext(SessionContext)
  if (!value) throw new Error('useSession outside a signed-in page')
  return value
}
