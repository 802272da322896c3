import { useEffect, useRef, useState } from 'react'

/**
 * One EventSource per tab, shared by every component that wants live changes. The server
 * sends `change` events naming a checkpoint; components refetch what they show.
 */
export interface Change {
  id: string
  state: string
  version: number
}

type Status = 'connecting' | 'live' | 'offline'
const subscribers = new Set<(c: Change) => void>()
const statusListeners = new Set<(s: Status) => void>()
let source: EventSource | null = null
let status: Status = 'connecting'

function setStatus(next: Status) {
  status = next
  statusListeners.forEach((l) => l(next))
}

function connect() {
  if (source) return
  source = new EventSource('/ui/api/events')
  source.addEventListener('ready', () => setStatus('live'))
  source.addEventListener('change', (e) => {
    const change = JSON.parse((e as MessageEvent<string>).data) as Change
    subscribers.forEach((s) => s(change))
  })
  // EventSource reconnects by itself (the server sets `retry`); we only report the state.
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'offline' : 'connecting')
}

export function disconnectLive(): void {
  source?.close()
  source = null
  setStatus('connecting')
}

export function useLiveChanges(handler: (change: Change) => void): void {
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => {
    connect()
    const s = (c: Change) => ref.current(c)
    subscribers.add(s)
    return () => {
      subscribers.delete(s)
    }
  }, [])
}

export function useLiveStatus(): Status {
  const [s, set] = useState(status)
  useEffect(() => {
    statusListeners.add(set)
    return () => {
      statusListeners.delete(set)
    }
  }, [])
  return s
}

/** Re-renders every `ms` so relative times and countdowns stay current. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}
