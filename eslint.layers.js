// @ts-check
import { readdirSync } from 'node:fs'
/**
 * The layers, lowest first. A file may import from its own layer and the layers below it,
 * never above: machine ← engine ← plugins (contracts) ← features ← surfaces ← ops.
 * `sdk/` is the agent's package and stands apart: it imports nothing of the server.
 */
export const LAYERS = [
  ['machine'],
  ['engine'],
  ['plugins'],
  ['channels', 'verify', 'resume'],
  ['http', 'queues', 'mcp'],
  ['ops'],
]

const SERVER = LAYERS.flat()

/** `import-x/no-restricted-paths` zones: each folder may not import from any layer above its own. */
export function layerZones() {
  const zones = []
  LAYERS.forEach((layer, i) => {
    const above = LAYERS.slice(i + 1).flat()
    for (const folder of layer) {
      if (above.length > 0) zones.push({ target: `./${folder}`, from: above.map((f) => `./${f}`), message: `${folder}/ is below ${above.join(', ')}: depend on a contract in a lower layer instead.` })
    }
  })
  // Features are siblings: a channel does not reach into verification or another channel's folder.
  for (const feature of ['verify', 'resume']) {
    zones.push({ target: './channels', from: `./${feature}`, message: 'channels depend on the plugin contracts (plugins/), not on another feature.' })
  }
  // A channel is one folder: it may share channels/common, never reach into another channel.
  const channels = readdirSync(new URL('./channels', import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'common')
    .map((d) => d.name)
  for (const channel of channels) {
    const others = channels.filter((c) => c !== channel).map((c) => `./channels/${c}`)
    zones.push({ target: `./channels/${channel}`, from: others, message: `a channel is one folder: share code through channels/common, not channels/${channel} → another channel.` })
  }
  zones.push({ target: './sdk', from: SERVER.map((f) => `./${f}`), message: 'the SDK is the agent’s package: it imports nothing of the server.' })
  return zones
}
