import { main } from './main.js'

await main({ server: false, worker: true })
