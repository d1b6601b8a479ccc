import { useEffect, useState } from 'react';

/** Whether the server runs with its development pages (never in production). */
export function useDevTools(): boolean {
  const [dev, setDev] = useState(false);
  useEffect(() => {
    let live = true;
    fetch('/dev/api/info', { credentials: 'same-origin' }).then(
      (r) => live && setDev(r.ok),
      () => live && setDev(false),
    );
    return () => {
      live = false;
    };
  }, []);
  return dev;
}

/** Whether the server runs the seeded demo, whose documented password the log-in page may show. */
export function useDemo(): boolean {
  const [demo, setDemo] = useState(false);
  useEffect(() => {
    let live = true;
    fetch('/dev/api/info', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<{ demo?: boolean }>) : ({} as { demo?: boolean })))
      .then((info) => live && setDemo(info.demo === true), () => live && setDemo(false));
    return () => {
      live = false;
    };
  }, []);
  return demo;
}
