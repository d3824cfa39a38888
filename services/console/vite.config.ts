import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const page = (name: string) => fileURLToPath(new URL(`./${name}.html`, import.meta.url));

/**
 * Two pages, one build: the privacy centre and the DPO console share React, urql and the login. The vault serves the
 * HTML at /privacy and /console and the assets under /ui/assets/ (api/routes/console.ts).
 */
export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The CSP allows no inline script: never inline the module preload polyfill or small assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: { input: { privacy: page('privacy'), console: page('console') } },
  },
});
