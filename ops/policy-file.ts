import { readFile, stat } from 'node:fs/promises'
import { unwatchFile, watchFile, type Stats } from 'node:fs'
import type { Logger } from 'pino'
import { parsePolicies, type Policy } from '../engine/rules/policy.js'

export interface PolicyFileOptions {
  logger: Logger
  /** How often the file's mtime is polled; polling (not fs.watch) also sees editors that replace the file. */
  intervalMs?: number
}

/**
 * `HOLDPOINT_POLICY_FILE`, kept current. A bad file at start stops the process; a bad file
 * on reload is logged and the previous policies stay in force, so a typo never silently
 * turns every policy off.
 */
export class PolicyFile {
  private current: readonly Policy[]
  private reloading: Promise<void> = Promise.resolve()

  private constructor(
    readonly path: string,
    initial: readonly Policy[],
    private readonly logger: Logger,
  ) {
    this.current = initial
  }

  static async open(path: string, options: PolicyFileOptions): Promise<PolicyFile> {
    const file = new PolicyFile(path, await PolicyFile.read(path), options.logger)
    watchFile(path, { interval: options.intervalMs ?? 1000, persistent: false }, (now: Stats, before: Stats) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return
      // One reload at a time, in order: the last write wins.
      file.reloading = file.reloading.then(() => file.reload())
    })
    options.logger.info({ count: file.current.length, path }, 'policies loaded from HOLDPOINT_POLICY_FILE')
    return file
  }

  policies(): readonly Policy[] {
    return this.current
  }

  async reload(): Promise<void> {
    try {
      await stat(this.path)
      this.current = await PolicyFile.read(this.path)
      this.logger.info({ count: this.current.length, path: this.path }, 'policies reloaded')
    } catch (error) {
      this.logger.error({ err: (error as Error).message, path: this.path }, 'policy file not reloaded; the previous policies stay in force')
    }
  }

  close(): void {
    unwatchFile(this.path)
  }

  private static async read(path: string): Promise<Policy[]> {
    return parsePolicies(await readFile(path, 'utf8'), `HOLDPOINT_POLICY_FILE ${path}`)
  }
}
