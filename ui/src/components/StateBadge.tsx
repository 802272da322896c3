import { stateLabel } from '../format'

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{stateLabel(state)}</span>
}
