import { constants as fsConstants } from 'node:fs'
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises'
import { basename, isAbsolute, join } from 'node:path'
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib'
import type { ArchiveLine } from './archive-line.js'

/**
 * The archive directory: `checkpoints-YYYY-MM-DD-NNNN.jsonl.gz`, one gzip member per batch
 * appended. A writer never appends to a file it did not create itself, and drops its file
 * after any failed write: a crash mid-append can only leave a truncated last member, which
 * readers skip (those checkpoints were never deleted from Redis, so they reappear in a later
 * file).
 */
export const ARCHIVE_FILE_PATTERN = /^checkpoints-(\d{4}-\d{2}-\d{2})-(\d{4,})\.jsonl\.gz$/

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024

export class ArchiveWriter {
  private current: { name: string; day: string; bytes: number } | null = null

  constructor(
    readonly dir: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {}

  /**
   * Appends the lines as one gzip member and returns the file name once the data and the
   * directory entry are fsync'd: only then may the caller delete the originals.
   */
  async append(lines: readonly ArchiveLine[], now = Date.now()): Promise<string> {
    const member = gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)
    const day = new Date(now).toISOString().slice(0, 10)
    try {
      let created = false
      if (!this.current || this.current.day !== day || this.current.bytes >= this.maxBytes) {
        this.current = await this.create(day)
        created = true
      }
      const handle = await open(join(this.dir, this.current.name), fsConstants.O_WRONLY | fsConstants.O_APPEND)
      try {
        await handle.write(member)
        await handle.sync()
      } finally {
        await handle.close()
      }
      if (created) await syncDir(this.dir)
      this.current.bytes += member.length
      return this.current.name
    } catch (error) {
      this.current = null
      throw error
    }
  }

  private async create(day: string): Promise<{ name: string; day: string; bytes: number }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    let seq = 1 + Math.max(0, ...(await listArchive(this.dir)).filter((f) => f.day === day).map((f) => f.seq))
    for (;;) {
      const name = `checkpoints-${day}-${String(seq).padStart(4, '0')}.jsonl.gz`
      try {
        // O_EXCL: two writers (a lease that changed hands mid-batch) never share a file.
        const handle = await open(join(this.dir, name), 'wx', 0o600)
        await handle.close()
        return { name, day, bytes: 0 }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        seq++
      }
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export interface ArchiveFileInfo {
  name: string
  day: string
  seq: number
  bytes: number
}

/** Archive files, oldest first. A directory that does not exist yet is an empty archive. */
export async function listArchive(dir: string): Promise<ArchiveFileInfo[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const files: ArchiveFileInfo[] = []
  for (const name of names) {
    const match = ARCHIVE_FILE_PATTERN.exec(name)
    if (!match) continue
    files.push({ name, day: match[1]!, seq: Number(match[2]), bytes: (await stat(join(dir, name))).size })
  }
  return files.sort((a, b) => a.day.localeCompare(b.day) || a.seq - b.seq)
}

export interface ArchiveFileContent {
  lines: ArchiveLine[]
  /** The last member was cut short (a crash while writing); its lines were skipped. */
  truncated: boolean
}

/** A file name in the archive directory, or a path of its own (a copy elsewhere). */
export function archivePath(dir: string, file: string): string {
  return isAbsolute(file) || file.includes('/') ? file : join(dir, basename(file))
}

/**
 * Reads a whole file. Z_SYNC_FLUSH makes gunzip return what it could decode from a
 * truncated last member instead of failing; a partial last line is dropped. Lines that are
 * not JSON are an error: that is damage, not a crash.
 */
export async function readArchiveFile(path: string): Promise<ArchiveFileContent> {
  const text = gunzipSync(await readFile(path), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8')
  const parts = text.split('\n')
  const tail = parts.pop() ?? ''
  const lines = parts.filter((p) => p !== '').map((p, i) => {
    try {
      return JSON.parse(p) as ArchiveLine
    } catch {
      throw new Error(`${basename(path)}: line ${i + 1} is not JSON`)
    }
  })
  return { lines, truncated: tail !== '' }
}
