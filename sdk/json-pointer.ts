// The server reports failing paths as JSON pointers (RFC 6901); the SDK's local checks use
// the same notation so an agent handles both kinds of validation error the same way.
export function toJsonPointer(path: readonly PropertyKey[]): string {
  if (path.length === 0) return ''
  return path.map((part) => '/' + String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('')
}
