import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Served by the county binary under /console/ (embedded, no network at run time).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
})
