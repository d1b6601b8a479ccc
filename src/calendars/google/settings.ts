// The Google provider's settings: the service account (domain-wide delegation), the OAuth client
// (per-user sign-in), and where Google's hosts are. Read from the environment tripcal started with
// (src/config/settings.ts), with its readers, so a bad value stops start-up naming the variable.
import fs from 'node:fs';
import { readUrl, SettingsError, type Env } from '../../config/settings.ts';
import { GOOGLE_ACCOUNTS_URL, GOOGLE_API_URL, GOOGLE_OAUTH_URL } from './constants.ts';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  /** The service account's unique id: the client id a Workspace admin authorizes. */
  client_id: string;
}

export interface GoogleSettings {
  /** The service account's JSON key (domain-wide delegation); absent: no delegation mode. */
  serviceAccountKey?: ServiceAccountKey;
  /** The OAuth client of type "Web application" (per-user sign-in); absent: no per-user mode. */
  clientId?: string;
  clientSecret?: string;
  accountsUrl: string;
  oauthUrl: string;
  apiUrl: string;
  caFile: string | undefined;
}

function readKeyFile(path: string): ServiceAccountKey {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new SettingsError('GOOGLE_SERVICE_ACCOUNT_KEY_FILE', `cannot be read as JSON (${(e as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
  }
  const { type, client_email, private_key, client_id } = parsed;
  if (type !== 'service_account' || typeof client_email !== 'string' || typeof private_key !== 'string' || typeof client_id !== 'string') {
    throw new SettingsError('GOOGLE_SERVICE_ACCOUNT_KEY_FILE', 'must be a service account\'s JSON key (type "service_account" with client_email, private_key and client_id)');
  }
  return { client_email, private_key, client_id };
}

/** GOOGLE_SERVICE_ACCOUNT_KEY_FILE and/or GOOGLE_CLIENT_ID with the rest; undefined when neither is configured. */
export function readGoogleSettings(env: Readonly<Env>): GoogleSettings | undefined {
  const keyFile = env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE;
  const clientId = env.GOOGLE_CLIENT_ID;
  if (!keyFile && !clientId) return undefined;
  if (clientId && !env.GOOGLE_CLIENT_SECRET) throw new SettingsError('GOOGLE_CLIENT_SECRET', 'is required with GOOGLE_CLIENT_ID');
  if (clientId && !/\.apps\.googleusercontent\.com$/.test(clientId)) throw new SettingsError('GOOGLE_CLIENT_ID', 'must be an OAuth client id ending in .apps.googleusercontent.com');
  return {
    ...(keyFile ? { serviceAccountKey: readKeyFile(keyFile) } : {}),
    ...(clientId ? { clientId, clientSecret: env.GOOGLE_CLIENT_SECRET } : {}),
    accountsUrl: (readUrl(env, 'GOOGLE_ACCOUNTS_URL', ['https:']) ?? GOOGLE_ACCOUNTS_URL).replace(/\/$/, ''),
    oauthUrl: (readUrl(env, 'GOOGLE_OAUTH_URL', ['https:']) ?? GOOGLE_OAUTH_URL).replace(/\/$/, ''),
    apiUrl: (readUrl(env, 'GOOGLE_API_URL', ['https:']) ?? GOOGLE_API_URL).replace(/\/$/, ''),
    caFile: env.GOOGLE_CA_FILE || undefined,
  };
}
