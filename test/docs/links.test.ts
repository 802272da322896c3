import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The documentation's links are checked like code: every relative link and image in the
// Markdown resolves, every #anchor into a Markdown file names one of its headings, and every
// page of docs/ that the source code mentions (doctor hints, "channel off" messages) exists.

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)))
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.data', '.venv', 'test-results', 'bench-results'])
const README_MAX_LINES = 300

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isSymbolicLink() || SKIP_DIRS.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, keep, out)
    else if (entry.isFile() && keep(path)) out.push(path)
  }
  return out
}

/** The Markdown with fenced code blocks blanked out (line numbers kept) and inline code removed. */
function prose(markdown: string): string[] {
  let fence: string | null = null
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== null) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = null
      return ''
    }
    if (marker !== undefined) {
      fence = marker
      return ''
    }
    return line.replace(/(`+)(?:(?!\1).)+?\1/g, '')
  })
}

/** GitHub's heading anchor: lower-case, punctuation dropped, spaces to '-', repeats numbered. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images keep their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

export function anchors(markdown: string): Set<string> {
  const found = new Set<string>()
  const seen = new Map<string, number>()
  let fence: string | null = null
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== null) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = null
      continue
    }
    if (marker !== undefined) {
      fence = marker
      continue
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading !== undefined) {
      const base = slug(heading)
      const n = seen.get(base) ?? 0
      seen.set(base, n + 1)
      found.add(n === 0 ? base : `${base}-${n}`)
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) found.add(m[1]!)
  }
  return found
}

/** Relative link and image targets: `[text](target)`, `![alt](target)`, `[ref]: target`. */
export function linkTargets(markdown: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = []
  prose(markdown).forEach((text, i) => {
    const inline = /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g
    const reference = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/
    const targets = [...text.matchAll(inline)].map((m) => m[1]!)
    const ref = reference.exec(text)?.[1]
    if (ref !== undefined) targets.push(ref)
    for (const raw of targets) {
      const target = raw.replace(/^<|>$/g, '')
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:, …
      out.push({ target, line: i + 1 })
    }
  })
  return out
}

/** Every broken link of one Markdown file, as "file:line: target (why)". */
export function brokenLinks(file: string, read: (path: string) => string | undefined, exists: (path: string) => boolean = existsSync): string[] {
  const markdown = read(file)
  if (markdown === undefined) return [`${file}: missing`]
  const problems: string[] = []
  for (const { target, line } of linkTargets(markdown)) {
    const hash = target.indexOf('#')
    const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash))
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1))
    const where = `${relative(root, file)}:${line}: ${target}`
    const linked = pathPart === '' ? file : resolve(dirname(file), pathPart)
    if (pathPart !== '' && !exists(linked)) {
      problems.push(`${where} (no such file)`)
      continue
    }
    if (anchor === undefined || anchor === '' || !linked.endsWith('.md')) continue
    const text = read(linked)
    if (text === undefined || !anchors(text).has(anchor)) problems.push(`${where} (no heading #${anchor} in ${relative(root, linked)})`)
  }
  return problems
}

const readIfExists = (path: string): string | undefined => (existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined)

const markdownFiles = [
  join(root, 'README.md'),
  join(root, 'ARCHITECTURE.md'),
  join(root, 'SECURITY.md'),
  join(root, 'python', 'README.md'),
  ...walk(join(root, 'docs'), (f) => f.endsWith('.md')),
]

describe('documentation links', () => {
  it.each(markdownFiles.map((f) => [relative(root, f), f]))('%s: every relative link, image and anchor resolves', (_name, file) => {
    expect(brokenLinks(file, readIfExists)).toEqual([])
  })

  it('covers the docs/ pages', () => {
    expect(markdownFiles.length).toBeGreaterThan(10)
  })

  it('every docs/ page the source code mentions exists', () => {
    const sources = walk(root, (f) => f.endsWith('.ts'))
    const mentioned = new Map<string, string>()
    for (const source of sources) {
      for (const m of readFileSync(source, 'utf8').matchAll(/docs\/[\w-]+\.md/g)) mentioned.set(m[0], relative(root, source))
    }
    expect(mentioned.size).toBeGreaterThanOrEqual(3) // the doctor's slack, email and telegram hints at least
    const missing = [...mentioned].filter(([page]) => !existsSync(join(root, page))).map(([page, source]) => `${page} (named in ${source})`)
    expect(missing).toEqual([])
  })

  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n')
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES)
  })
})

describe('the link checker', () => {
  it('slugs headings the way GitHub does', () => {
    expect(slug('Free text → typed answer')).toBe('free-text--typed-answer')
    expect(slug('Bull Board — `/admin/queues`')).toBe('bull-board--adminqueues')
    expect(slug("The agent's own verifier (`webhook`)")).toBe('the-agents-own-verifier-webhook')
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1'])
  })

  it('finds a missing file, a missing anchor and ignores code and external links', () => {
    const files: Record<string, string> = {
      [join(root, 'fixture', 'a.md')]: [
        '# Page A',
        'See [b](b.md#there), [gone](gone.md), [self](#page-a), [bad](#nowhere).',
        '![pic](img/none.png) and [web](https://example.com/x.md) and `[code](code.md)`',
        '```',
        '[fenced](fenced.md)',
        '```',
      ].join('\n'),
      [join(root, 'fixture', 'b.md')]: '# B\n## Here\n',
    }
    const problems = brokenLinks(join(root, 'fixture', 'a.md'), (p) => files[p] ?? readIfExists(p), (p) => p in files || existsSync(p))
    expect(problems).toEqual([
      'fixture/a.md:2: b.md#there (no heading #there in fixture/b.md)',
      'fixture/a.md:2: gone.md (no such file)',
      'fixture/a.md:2: #nowhere (no heading #nowhere in fixture/a.md)',
      'fixture/a.md:3: img/none.png (no such file)',
    ])
  })
})
