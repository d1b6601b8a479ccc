// The signed-in user, shared by every screen. null: signed out; undefined: not known yet.
import { createContext, useContext } from 'react';
import type { Locale, Me } from './api.ts';

export interface Session {
  me: Me;
  setMe(me: Me | null): void;
  changeLocale(locale: Locale): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in screen');
  return s;
}
