import type { Directory } from '../engine/directory.js'
import type { RecipientExpander } from './effect-dispatcher.js'

/**
 * `group:<name>` in `notify` reaches every member on each channel this deployment runs:
 * the handles their channels declared (the dashboard shows it to them anyway). Members
 * come from the people directory (the people file and the dashboard's admin page).
 *
 * Then whatever would reach someone away reaches their delegate instead (a direct handle or
 * a group member alike), decided at dispatch so that reminders and escalations sent during
 * the absence follow it too.
 */
export function groupExpander(directory: Directory, enabledChannels: () => ReadonlySet<string>): RecipientExpander {
  return async (recipients) => {
    const out = new Set<string>()
    const enabled = enabledChannels()
    for (const recipient of recipients) {
      if (!recipient.startsWith('group:')) {
        out.add(recipient)
        continue
      }
      for (const person of await directory.membersOf(recipient.slice('group:'.length))) {
        for (const handle of directory.reachableAt(person, enabled)) out.add(handle)
      }
    }
    return (await directory.redirectAway([...out], enabled)).recipients
  }
}
