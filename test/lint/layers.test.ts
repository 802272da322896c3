import { ESLint } from 'eslint'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import { importX } from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'
import { layerZones } from '../../eslint.layers.js'

/** The layer rule alone, as eslint.config.js applies it, on source text placed in a folder. */
async function lint(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { 'import-x': importX },
        settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
        rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones() }] },
      },
    ],
  })
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).map((m) => m.message)
}

describe('layers: machine ← engine ← plugins ← features ← http/queues ← ops', () => {
  it('fails an upward import: the engine may not reach into a channel', async () => {
    const messages = await lint('engine/fixture.ts', "import { slackPlugin } from '../channels/slack/plugin.js'\nexport const x = slackPlugin\n")
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(/restricted zone/)
  })

  it('fails a feature reaching into a sibling feature or the ops layer', async () => {
    expect(await lint('channels/email/fixture.ts', "import { verifyPlugin } from '../../verify/plugin.js'\nexport const x = verifyPlugin\n")).toHaveLength(1)
    expect(await lint('http/fixture.ts', "import { PLUGINS } from '../ops/plugins.js'\nexport const x = PLUGINS\n")).toHaveLength(1)
    expect(await lint('channels/telegram/fixture.ts', "import { mintMagicLink } from '../email/magic-link.js'\nexport const x = mintMagicLink\n")).toHaveLength(1)
  })

  it('lets a channel depend on the contracts and the engine below it', async () => {
    const code = "import { definePlugin } from '../../plugins/plugin.js'\nimport type { Engine } from '../../engine/engine.js'\nexport const x: [typeof definePlugin, Engine | null] = [definePlugin, null]\n"
    expect(await lint('channels/email/fixture.ts', code)).toEqual([])
  })
})
