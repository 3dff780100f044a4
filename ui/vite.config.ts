/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Everything is bundled into dist/: the app never loads anything from the network.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  base: './',
  server: { port: 5173, strictPort: true },
  build: { target: 'safari15', chunkSizeWarningLimit: 2000, outDir: 'dist', emptyOutDir: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Element Plus style entries import .css files, which Node cannot load: let Vite handle them.
    server: { deps: { inline: [/element-plus\/es\/components\/[^/]+\/style/] } },
  },
})
