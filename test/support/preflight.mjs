/* global process */
// Runs before `npm test`: the browser tests need a Chromium binary, and nothing may download
// one. Missing, the suite stops here with one line instead of a wall of launch failures.
import { existsSync } from 'node:fs'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(chromium)) {
  process.stderr.write(
    `npm test: the browser tests need Chromium at ${chromium}: install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH; \`npm run test:quick\` runs without a browser.\n`,
  )
  process.exit(1)
}

// The email-reply tests start their own Dovecot (IMAP); the binary comes from Debian's package.
if (!['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].some((p) => existsSync(p))) {
  process.stderr.write('npm test: the email-reply tests need Dovecot: install Debian\'s package (sudo apt-get install dovecot-imapd); `npm run test:quick` runs without it.\n')
  process.exit(1)
}
