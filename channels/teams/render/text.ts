/**
 * Adaptive Cards' TextBlock markdown is a small CommonMark subset (emphasis, links, lists)
 * and Teams also expands `{{DATE(…)}}`/`{{TIME(…)}}` functions. Agent and person strings are
 * shown literally: the characters that format (inline, or as a line's first mark) are
 * backslash-escaped, and `{{` is broken
 * with a zero-width joiner so no text can become a function or a link.
 */
const INLINE = /[\\`*_[\]~<>]/g
// Block markers only count at the start of a line: lists, quotes, headings.
const LINE_START = /^(\s*)([-+#>]|\d+\.)/gm

export function escapeMarkdown(text: string): string {
  return text
    .replace(INLINE, (c) => `\\${c}`)
    // A digit cannot be escaped: an ordered-list marker loses its meaning at the dot instead.
    .replace(LINE_START, (_m, space: string, marker: string) => (marker.endsWith('.') ? `${space}${marker.slice(0, -1)}\\.` : `${space}\\${marker}`))
    .replace(/\{\{/g, '{\u200d{')
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}

export { humanDuration } from '../../common/human-duration.js'

/** Teams renders these in each reader's own time zone. */
export function teamsDate(iso: string): string {
  return `{{DATE(${iso}, SHORT)}} {{TIME(${iso})}}`
}
