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
    rollupOptions: {
      input: { index: `${root}index.html`, sw: `${root}src/sw/sw.ts` },
      output: {
        // The service worker must sit at the root (its scope is the whole dashboard) under a
        // name that does not change, so browsers find the new version at the same URL.
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  logLevel: 'warn',
})
