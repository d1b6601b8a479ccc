// One-use OAuth `state` values, bound to a session and to what they were issued for (a provider,
// a purpose, a company and a user). Only a hash is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.ts';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export type StatePurpose = 'admin_consent' | 'connect';

export class OAuthStateError extends Error {
  readonly code: 'state_invalid' | 'state_expired' | 'state_used' | 'state_wrong_session';
  constructor(code: OAuthStateError['code'], message: string) {
    super(message);
    this.name = 'OAuthStateError';
    this.code = code;
  }
}

/** A new one-use state; only its hash is stored. */
export async function issueState(db: Db, args: { provider: string; purpose: StatePurpose; organisationId: string; userId: string; sessionHash: string; codeVerifier?: string; returnTo?: string; ttlMs: number; now: Date }): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: sha256(state), provider: args.provider, purpose: args.purpose, organisation_id: args.organisationId, user_id: args.userId,
      session_hash: args.sessionHash, code_verifier: args.codeVerifier ?? null, return_to: args.returnTo ?? null,
      expires_at: new Date(args.now.getTime() + args.ttlMs), used_at: null,
    })
    .execute();
  return state;
}

/**
 * Consumes a state: it must exist, be of this provider and purpose, unexpired, unused and (when
 * `sessionHash` is given) issued to this session. A replay finds it used.
 */
export async function consumeState(db: Db, state: string, expected: { provider: string; purpose: StatePurpose }, now: Date, sessionHash?: string) {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('oauth_states').selectAll().where('state_hash', '=', sha256(state)).forUpdate().executeTakeFirst();
    if (!row || row.purpose !== expected.purpose || row.provider !== expected.provider) throw new OAuthStateError('state_invalid', 'state: unknown');
    if (row.used_at) throw new OAuthStateError('state_used', 'state: already used');
    if (new Date(row.expires_at) <= now) throw new OAuthStateError('state_expired', 'state: expired');
    if (sessionHash !== undefined && row.session_hash !== sessionHash) throw new OAuthStateError('state_wrong_session', 'state: issued to another session');
    await tx.updateTable('oauth_states').set({ used_at: now }).where('state_hash', '=', row.state_hash).execute();
    return row;
  });
}
