import { main } from './main.js'

await main({ server: true, worker: true })
