import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { checkpointMachine } from '../machine/checkpoint-machine.js'

export const DEFAULT_MACHINE_FILE = 'checkpoint-machine.json'

/**
 * The checkpoint machine's definition as JSON, the form Stately's editor imports
 * (stately.ai/registry/new → Import → JSON) and the inspector draws.
 */
export function machineDefinition(): string {
  return `${JSON.stringify(checkpointMachine.toJSON(), null, 2)}\n`
}

export async function exportMachine(file = DEFAULT_MACHINE_FILE): Promise<string> {
  const path = resolve(file)
  await writeFile(path, machineDefinition())
  return path
}

// `npm run machine:export [-- file]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = await exportMachine(process.argv[2])
  process.stdout.write(`machine definition written to ${path}\n`)
}
