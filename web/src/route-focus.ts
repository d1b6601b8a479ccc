// Where keyboard focus goes when the route changes, so that a screen reader announces the new
// screen and a keyboard user goes on from its top: the page's <h1>. A route that closes a dialog
// names the element that opened it instead (`returnFocusTo`), as a dialog closed in place would.
import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

let pendingReturn: string | null = null;

/** After the next route change, focus the element with this id instead of the page's heading. */
export function returnFocusTo(id: string): void {
  pendingReturn = id;
}

function focusWhenThere(find: () => HTMLElement | null, stop: () => boolean): () => void {
  // The element may come with the screen's chunk or its data: look for it for a few seconds. A
  // menu that led here gives focus back to its button as it closes: for a few frames after, focus
  // is taken back from anything outside the page's content.
  let frames = 0;
  let settled = 0;
  let handle = 0;
  const tick = () => {
    if (stop() || ++frames > 300) return;
    const el = find();
    if (el) {
      if (document.activeElement !== el) {
        const active = document.activeElement;
        // Someone has moved on inside the page (typing, a click): leave them there.
        if (settled > 0 && active && active !== document.body && el.closest('main')?.contains(active)) return;
        if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) el.setAttribute('tabindex', '-1');
        el.focus();
      }
      if (++settled > 15) return;
    }
    handle = requestAnimationFrame(tick);
  };
  handle = requestAnimationFrame(tick);
  return () => cancelAnimationFrame(handle);
}

/** In the signed-in layout: moves focus on every route change after the first screen. */
export function useRouteFocus(): void {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const target = pendingReturn;
    pendingReturn = null;
    // A dialog that opens takes focus itself.
    return focusWhenThere(
      () => (target ? document.getElementById(target) : document.querySelector<HTMLElement>('main h1')),
      () => !target && !!document.querySelector('[role=dialog]'),
    );
  }, [pathname]);
}
