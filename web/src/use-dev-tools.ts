import { useEffect, useState } from 'react';

/**
 * Whether the server runs with its development pages (never in production). The server says so in
 * index.html (src/http/web-app.ts), so the app asks nothing that a production server would answer
 * with a 404.
 */
export function useDevTools(): boolean {
  return document.querySelector('meta[name="tripcal-dev-tools"]')?.getAttribute('content') === 'on';
}

/** Whether the server runs the seeded demo, whose documented password the log-in page may show. */
export function useDemo(): boolean {
  const devTools = useDevTools();
  const [demo, setDemo] = useState(false);
  useEffect(() => {
    // The demo runs only with the development pages; without them the question would be a 404.
    if (!devTools) return;
    let live = true;
    fetch('/dev/api/info', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<{ demo?: boolean }>) : ({} as { demo?: boolean })))
      .then((info) => live && setDemo(info.demo === true), () => live && setDemo(false));
    return () => {
      live = false;
    };
  }, [devTools]);
  return demo;
}
