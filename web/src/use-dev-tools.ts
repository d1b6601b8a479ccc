/**
 * Whether the server runs with its development pages (never in production). The server says so in
 * index.html (src/http/web-app.ts), so the app asks nothing that a production server would answer
 * with a 404.
 */
export function useDevTools(): boolean {
  return document.querySelector('meta[name="tripcal-dev-tools"]')?.getAttribute('content') === 'on';
}
