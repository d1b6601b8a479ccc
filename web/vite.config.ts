import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist (never committed); the product's server serves it (src/http/web-app.ts).
// `npm run dev:web` proxies the API to a running `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: Object.fromEntries(['/api', '/oauth', '/dev/api'].map((p) => [p, 'http://localhost:3000'])),
  },
});
