import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const root = new URL('.', import.meta.url).pathname

// Built by `npm run build` (and so by `npm ci` and `npm start`); Koa serves ui/dist.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
})
