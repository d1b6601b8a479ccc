import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist (never committed); the product's server serves it (src/http/web-app.ts).
// `npm run dev:web` proxies the API to a running `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 400,
    // Each screen other than log-in and home is a chunk of its own (React.lazy in App.tsx), with
    // the parts of the libraries only it uses. React goes in a chunk of its own, so a release that
    // changes only the app's code leaves it in the browser's cache.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 3 },
          ],
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(['/api', '/oauth', '/dev/api'].map((p) => [p, 'http://localhost:3000'])),
  },
});
