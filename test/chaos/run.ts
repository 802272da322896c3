/** `npm run chaos [-- --checkpoints N]`: the full chaos run, printed as a table. */
import { formatReport, runChaos } from './chaos.js'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

const report = await runChaos({
  checkpoints: arg('checkpoints', 300),
  servers: 2,
  workers: 2,
  maxChaosMs: arg('seconds', 60) * 1000,
  log: (line) => process.stderr.write(`${line}\n`),
})
process.stdout.write(`\n${formatReport(report)}\n`)
if (report.violations.length > 0) {
  process.stdout.write(`\nViolations:\n${report.violations.map((v) => `- ${v}`).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write('\nEvery invariant held.\n')
