// The Outlook provider's settings: the Entra app registration, and where Entra ID and Graph are.
// Read from the environment tripcal started with (src/config/settings.ts), with its readers, so a
// bad value stops start-up naming the variable.
import { readUrl, SettingsError, type Env } from '../../config/settings.ts';

export interface MicrosoftSettings {
  clientId: string;
  clientSecret: string;
  /** Identity host root, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Graph host root, e.g. https://graph.microsoft.com */
  graphUrl: string;
  /** An extra CA certificate file to trust for those hosts (the sandbox's). */
  caFile: string | undefined;
}

/** MICROSOFT_CLIENT_ID and the rest; undefined when no app is configured. */
export function readMicrosoftSettings(env: Readonly<Env>): MicrosoftSettings | undefined {
  const clientId = env.MICROSOFT_CLIENT_ID;
  if (!clientId) return undefined;
  const clientSecret = env.MICROSOFT_CLIENT_SECRET;
  if (!clientSecret) throw new SettingsError('MICROSOFT_CLIENT_SECRET', 'is required with MICROSOFT_CLIENT_ID');
  if (!/^[0-9a-f-]{36}$/i.test(clientId)) throw new SettingsError('MICROSOFT_CLIENT_ID', 'must be the application (client) id, a GUID');
  return {
    clientId,
    clientSecret,
    authorityHost: (readUrl(env, 'MICROSOFT_AUTHORITY_HOST', ['https:']) ?? 'https://login.microsoftonline.com').replace(/\/$/, ''),
    graphUrl: (readUrl(env, 'MICROSOFT_GRAPH_URL', ['https:']) ?? 'https://graph.microsoft.com').replace(/\/$/, ''),
    caFile: env.MICROSOFT_CA_FILE || undefined,
  };
}
