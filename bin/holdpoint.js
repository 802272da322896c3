#!/usr/bin/env node
// `npx holdpoint …`: runs the compiled CLI (npm run build writes dist/).
import '../dist/ops/cli.js'
