// The dashboard's build: a single-page app served by Hedgerow's HTTP service at `/dashboard/`.
// `scripts/build-dashboard.ts` runs it with this folder as the root.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export const dashboardConfig = defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: no source maps shipped, and no inline assets (the service's CSP allows 'self' only).
    sourcemap: false,
    assetsInlineLimit: 0,
  },
});

// Vite's config loader reads the default export; the named one is for anything that imports it.
export default dashboardConfig;
