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
