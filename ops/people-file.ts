import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { Directory } from '../engine/directory.js'

/**
 * `HOLDPOINT_PEOPLE_FILE`: people and their groups as configuration (JSON array of
 * `{ id, name, role?, email?, groups?, …each channel's handle field }`), upserted into the
 * directory at start, so groups can live in version control next to the deployment.
 */
export async function loadPeopleFile(path: string, directory: Directory, label = `HOLDPOINT_PEOPLE_FILE ${path}`): Promise<number> {
  const parsed = z.array(directory.personSchema).safeParse(JSON.parse(await readFile(path, 'utf8')))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')
    throw new Error(`${label} is invalid: ${problems}`)
  }
  for (const person of parsed.data) await directory.upsert(person)
  return parsed.data.length
}
