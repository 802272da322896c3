import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ImapFlow } from 'imapflow'
import { freePort } from '../../support/free-port.js'

/**
 * A real IMAP server for tests: Debian's Dovecot, started in the foreground on a spare port
 * with a throwaway configuration (no system config), one passwd-file user and a maildir in a
 * temp dir. Dovecot refuses to run its login and mail processes as root, so under root (CI)
 * they run as `nobody`, who then owns the temp dir.
 */
export interface Dovecot {
  url: string
  user: string
  pass: string
  port: number
  /** IMAP APPEND of a raw message to INBOX; returns its UID. */
  append(raw: Buffer | string): Promise<number>
  /** A logged-in client (the caller logs out). */
  client(): Promise<ImapFlow>
  close(): Promise<void>
}

const BINARY = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p)) ?? 'dovecot'

export async function startDovecot(): Promise<Dovecot> {
  const dir = await mkdtemp(join(tmpdir(), 'hp-dovecot-'))
  const port = await freePort()
  const user = 'approvals'
  const pass = `pw-${Math.random().toString(36).slice(2)}`
  const root = process.getuid?.() === 0
  const runAs = root ? { name: 'nobody', group: 'nogroup', uid: 65534, gid: 65534 } : { name: userInfo().username, group: '', uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  await mkdir(join(dir, 'mail'))
  await mkdir(join(dir, 'run'))
  await writeFile(join(dir, 'passwd'), `${user}:{PLAIN}${pass}\n`)
  const conf = [
    'protocols = imap',
    'listen = 127.0.0.1',
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `instance_name = hp-test-${port}`,
    `log_path = ${dir}/dovecot.log`,
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    `default_internal_user = ${runAs.name}`,
    ...(runAs.group ? [`default_internal_group = ${runAs.group}`] : []),
    `default_login_user = ${runAs.name}`,
    `mail_location = maildir:${dir}/mail/%u`,
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${dir}/passwd\n}`,
    `userdb {\n  driver = static\n  args = uid=${runAs.uid} gid=${runAs.gid} home=${dir}/mail/%u\n}`,
    `service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    'service anvil {\n  chroot =\n}',
    'service stats {\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}',
    '',
  ].join('\n')
  await writeFile(join(dir, 'dovecot.conf'), conf)
  if (root) {
    await chmod(dir, 0o755)
    await chown(join(dir, 'mail'), runAs.uid, runAs.gid)
  }
  const child: ChildProcess = spawn(BINARY, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))

  const connect = async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass }, logger: false })
    client.on('error', () => undefined)
    await client.connect()
    return client
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      const probe = await connect()
      await probe.logout()
      break
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dovecot did not start: ${(error as Error).message}\n${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  return {
    url: `imap://${user}:${encodeURIComponent(pass)}@127.0.0.1:${port}/INBOX`,
    user,
    pass,
    port,
    async append(raw) {
      const client = await connect()
      try {
        const result = await client.append('INBOX', typeof raw === 'string' ? Buffer.from(raw) : raw)
        return result && typeof result === 'object' && typeof result.uid === 'number' ? result.uid : 0
      } finally {
        await client.logout()
      }
    },
    client: connect,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
