import { readFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { archivePath, listArchive, readArchiveFile } from '../engine/archive/archive-dir.js'
import { openLine, sealedAudit, verifyLine, type ArchiveLine } from '../engine/archive/archive-line.js'
import { FieldCipher } from '../engine/field-cipher.js'
import { Keyring, parseSecretKeys } from '../engine/keyring.js'
import type { Config } from './config.js'
import { devFilePath, type DevFile } from './dev-secrets.js'

/**
 * `holdpoint archive …`: reads the archive directory on this machine with the configured
 * HOLDPOINT_SECRET_KEYS (or dev mode's generated ones). It never talks to Redis or the API:
 * the archive is for after the data left both.
 */
export interface ArchiveCli {
  dir: string
  keyring: Keyring
  cipher: FieldCipher
}

export async function archiveCli(config: Config): Promise<ArchiveCli> {
  let keys = config.secretKeys
  if (!keys && !config.production) {
    // Dev mode keeps its generated keys in the data directory; do not generate new ones here.
    try {
      const dev = JSON.parse(await readFile(devFilePath(config), 'utf8')) as Partial<DevFile>
      if (dev.secretKeys) keys = parseSecretKeys(dev.secretKeys)
    } catch {
      // No dev file: no keys, reported below.
    }
  }
  if (!keys) throw new Error('HOLDPOINT_SECRET_KEYS is needed to open and verify the archive')
  if (!config.archiveDir) throw new Error('the archive is off (HOLDPOINT_ARCHIVE=off)')
  const keyring = new Keyring(keys)
  return { dir: config.archiveDir, keyring, cipher: new FieldCipher(keyring) }
}

export async function archiveLs(cli: ArchiveCli, out: Writable): Promise<void> {
  const files = await listArchive(cli.dir)
  if (files.length === 0) out.write(`no archive files in ${cli.dir}\n`)
  for (const f of files) {
    const { lines, truncated } = await readArchiveFile(archivePath(cli.dir, f.name))
    out.write(`${f.name}\t${f.bytes} bytes\t${lines.length} checkpoints${truncated ? '\t(truncated tail)' : ''}\n`)
  }
}

/** Prints each line opened (payloads, answers and audit data decrypted), one JSON per line. */
export async function archiveRead(cli: ArchiveCli, file: string, id: string | undefined, out: Writable): Promise<number> {
  const { lines } = await readArchiveFile(archivePath(cli.dir, file))
  const chosen = id === undefined ? lines : lines.filter((l) => l.id === id)
  // The same checkpoint may appear twice (archived again after a crash): the last is newest.
  const last = id === undefined ? chosen : chosen.slice(-1)
  for (const line of last) out.write(`${JSON.stringify(openLine(line, cli.cipher))}\n`)
  return last.length
}

export interface VerifyReport {
  files: number
  checkpoints: number
  broken: Array<{ file: string; id: string; reason: string }>
  truncated: string[]
}

/** Every line's audit chain, in every file (or the named ones). */
export async function archiveVerify(cli: ArchiveCli, files?: readonly string[]): Promise<VerifyReport> {
  const names = files && files.length > 0 ? [...files] : (await listArchive(cli.dir)).map((f) => f.name)
  const report: VerifyReport = { files: names.length, checkpoints: 0, broken: [], truncated: [] }
  for (const name of names) {
    let content: { lines: ArchiveLine[]; truncated: boolean }
    try {
      content = await readArchiveFile(archivePath(cli.dir, name))
    } catch (error) {
      report.broken.push({ file: name, id: '-', reason: `unreadable: ${(error as Error).message}` })
      continue
    }
    if (content.truncated) report.truncated.push(name)
    for (const line of content.lines) {
      report.checkpoints++
      const chain = verifyLine(line, cli.keyring, cli.cipher)
      if (!chain.intact) report.broken.push({ file: name, id: String(line.id), reason: `entry ${chain.brokenAt ?? '?'}: ${chain.reason ?? 'broken'}` })
    }
  }
  return report
}

/**
 * Archived checkpoints' audits, opened, newest line per id (a crash may have archived one
 * twice). A broken chain is exported as stored (sealed) and reported.
 */
export async function* archivedAudits(cli: ArchiveCli): AsyncGenerator<{ checkpointId: string; entries: Array<Record<string, unknown>>; intact: boolean }> {
  const latest = new Map<string, ArchiveLine>()
  for (const f of await listArchive(cli.dir)) {
    for (const line of (await readArchiveFile(archivePath(cli.dir, f.name))).lines) latest.set(line.id, line)
  }
  for (const line of latest.values()) {
    const intact = verifyLine(line, cli.keyring, cli.cipher).intact
    const entries = intact ? openLine(line, cli.cipher).audit : sealedAudit(line)
    yield { checkpointId: line.id, entries: entries.map((e) => ({ ...e })), intact }
  }
}
