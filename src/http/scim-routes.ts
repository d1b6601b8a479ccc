// SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2: a company's identity provider (Microsoft Entra ID,
// Okta) provisions its travelers. Users only: create, get, list (filter `userName eq "…"`,
// `externalId eq "…"`, `id eq "…"`; paging), replace (PUT), PATCH, DELETE; and the discovery
// resources. Authenticated with the company's SCIM token: every request sees that company's users
// and no other's. Requests are taken as the identity providers actually send them: PATCH
// operation names in any case ("Replace"), booleans as strings ("False"), attributes we do not
// keep (title, phone numbers, the enterprise extension) accepted and left aside.
// `active: false` deprovisions (store/users.ts setActive): sessions end, calendar connections
// close, no emails or calendar writes; `active: true` restores log-in and emails.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../domain/types.ts';
import { isValidTimeZone } from '../domain/zoned-time.ts';
import { organisationForCredential } from '../store/company-credentials.ts';
import type { Store } from '../store/database.ts';
import { enqueueSyncs, reconcileAfterCommit } from '../sync/sync-jobs.ts';
import { REMOVING_EVENTS, transition } from '../store/calendar-connections.ts';
import { companySettings } from '../store/organisations.ts';
import {
  connectedConnectionIds, createDirectoryUser, deleteDirectoryUser, emailTakenByOther, findDirectoryUser, listDirectoryUsers, setActive, updateDirectoryUser,
  type DirectoryAttributes, type DirectoryFilter, type DirectoryUser,
} from '../store/users.ts';

export interface ScimRoutesOptions {
  store: Store;
  publicUrl: string;
  now?: () => Date;
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';

/** The most users one page holds (ServiceProviderConfig filter.maxResults). */
export const MAX_PAGE = 200;

type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'uniqueness' | 'mutability' | 'tooMany';

/** A SCIM error (RFC 7644 §3.12): answered with the SCIM error body. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType?: ScimType;
  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
  }
}

function sendError(reply: FastifyReply, error: ScimError) {
  return reply.code(error.status).type(SCIM_TYPE).send({ schemas: [ERROR_SCHEMA], status: String(error.status), ...(error.scimType ? { scimType: error.scimType } : {}), detail: error.message });
}

// ---- reading what the identity provider sends ----

/** A boolean as sent: true/false, or Entra's "True"/"False". */
function toBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new ScimError(400, `${path}: must be true or false`, 'invalidValue');
}

function toText(value: unknown, path: string, max = 254): string {
  if (typeof value !== 'string' || !value.trim() || value.length > max) throw new ScimError(400, `${path}: must be a non-empty string of at most ${max} characters`, 'invalidValue');
  return value.trim();
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function toEmail(value: unknown, path: string): string {
  const text = toText(value, path);
  if (!EMAIL.test(text)) throw new ScimError(400, `${path}: must be an email address (it is what the user logs in with)`, 'invalidValue');
  return text;
}

/** "ja", "ja-JP", "en-US" → ja or en; anything else is English. */
function toLocale(value: unknown, path: string): Locale {
  const text = toText(value, path, 35);
  return /^ja\b/i.test(text) ? 'ja' : 'en';
}

function toZone(value: unknown, path: string): string {
  const text = toText(value, path, 64);
  if (!isValidTimeZone(text)) throw new ScimError(400, `${path}: "${text}" is not an IANA time zone (e.g. Asia/Tokyo)`, 'invalidValue');
  return text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Attribute names are case-insensitive (RFC 7643 §2.1): the object's keys, lower-cased. */
function lowerKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

function primaryEmail(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const entries = value.filter(isObject).map(lowerKeys);
  const chosen = entries.find((e) => e.primary === true || e.primary === 'True' || e.primary === 'true') ?? entries.find((e) => e.type === 'work') ?? entries[0];
  return typeof chosen?.value === 'string' ? chosen.value : undefined;
}

interface Defaults {
  locale: Locale;
  timeZone: string;
}

/** A whole User resource (POST, PUT) → our attributes. */
function readUser(body: unknown, defaults: Defaults): DirectoryAttributes {
  if (!isObject(body)) throw new ScimError(400, 'body: must be a SCIM User object', 'invalidSyntax');
  const b = lowerKeys(body);
  if (b.username === undefined) throw new ScimError(400, 'userName: is required', 'invalidValue');
  const email = toEmail(b.username, 'userName');
  const name = isObject(b.name) ? lowerKeys(b.name) : {};
  const composed = [name.givenname, name.familyname].filter((x): x is string => typeof x === 'string' && !!x.trim()).join(' ');
  const displayName = b.displayname !== undefined ? toText(b.displayname, 'displayName', 200)
    : name.formatted !== undefined ? toText(name.formatted, 'name.formatted', 200)
      : composed || email;
  return {
    email,
    displayName,
    locale: b.preferredlanguage !== undefined ? toLocale(b.preferredlanguage, 'preferredLanguage') : b.locale !== undefined ? toLocale(b.locale, 'locale') : defaults.locale,
    timeZone: b.timezone !== undefined ? toZone(b.timezone, 'timezone') : defaults.timeZone,
    active: b.active === undefined ? true : toBoolean(b.active, 'active'),
    externalId: b.externalid === undefined || b.externalid === null ? null : toText(b.externalid, 'externalId'),
  };
}

/** One attribute (by its path, lower-cased) set to a value; attributes we do not keep are left aside. */
function applyAttribute(target: Partial<DirectoryAttributes>, path: string, value: unknown, remove: boolean): void {
  switch (path) {
    case 'username':
      if (remove) throw new ScimError(400, 'userName: is required and cannot be removed', 'mutability');
      target.email = toEmail(value, 'userName');
      return;
    case 'displayname':
    case 'name.formatted':
      if (!remove) target.displayName = toText(value, path === 'displayname' ? 'displayName' : 'name.formatted', 200);
      return;
    case 'name':
      if (!remove && isObject(value)) {
        const n = lowerKeys(value);
        if (n.formatted !== undefined) target.displayName = toText(n.formatted, 'name.formatted', 200);
      }
      return;
    case 'active':
      target.active = remove ? false : toBoolean(value, 'active');
      return;
    case 'externalid':
      target.externalId = remove || value === null ? null : toText(value, 'externalId');
      return;
    case 'preferredlanguage':
    case 'locale':
      if (!remove) target.locale = toLocale(value, path === 'locale' ? 'locale' : 'preferredLanguage');
      return;
    case 'timezone':
      if (!remove) target.timeZone = toZone(value, 'timezone');
      return;
    case 'emails':
      // The login email is userName; the list is accepted and left aside.
      return;
    default:
      // name.givenName, title, phoneNumbers, addresses, the enterprise extension's attributes…
      return;
  }
}

/** A PATCH path: an attribute, a sub-attribute, or a filtered multi-valued one (emails[type eq "work"].value). */
const PATH = /^(?:urn:[a-z0-9:._-]+:)?([a-z][a-z0-9_$-]*)(?:\[[^\]]+\])?(?:\.([a-z][a-z0-9_$-]*))?$/i;

function normalisePath(path: unknown): string {
  if (typeof path !== 'string' || !PATH.test(path.trim())) throw new ScimError(400, `path: "${String(path)}" is not an attribute path`, 'invalidPath');
  const m = PATH.exec(path.trim())!;
  if (/^urn:/i.test(path) && path.toLowerCase().startsWith(ENTERPRISE_SCHEMA.toLowerCase())) return `enterprise.${m[1]!.toLowerCase()}`;
  const base = m[1]!.toLowerCase();
  if (path.includes('[')) return base;
  return m[2] ? `${base}.${m[2].toLowerCase()}` : base;
}

/** A PatchOp body (RFC 7644 §3.5.2) → the attributes it changes. */
function readPatch(body: unknown): Partial<DirectoryAttributes> {
  if (!isObject(body)) throw new ScimError(400, 'body: must be a SCIM PatchOp object', 'invalidSyntax');
  const b = lowerKeys(body);
  const ops = b.operations;
  if (!Array.isArray(ops) || ops.length === 0) throw new ScimError(400, 'Operations: must be a non-empty array', 'invalidSyntax');
  if (Array.isArray(b.schemas) && !b.schemas.includes(PATCH_SCHEMA)) throw new ScimError(400, `schemas: must include ${PATCH_SCHEMA}`, 'invalidSyntax');
  const changes: Partial<DirectoryAttributes> = {};
  ops.forEach((raw, i) => {
    if (!isObject(raw)) throw new ScimError(400, `Operations[${i}]: must be an object`, 'invalidSyntax');
    const op = lowerKeys(raw);
    const kind = typeof op.op === 'string' ? op.op.toLowerCase() : '';
    if (!['add', 'replace', 'remove'].includes(kind)) throw new ScimError(400, `Operations[${i}].op: must be add, replace or remove`, 'invalidSyntax');
    const remove = kind === 'remove';
    if (op.path === undefined || op.path === '') {
      if (remove) throw new ScimError(400, `Operations[${i}].path: remove needs a path`, 'noTarget');
      if (!isObject(op.value)) throw new ScimError(400, `Operations[${i}].value: without a path, must be an object of attributes`, 'invalidValue');
      // Entra sends sub-attributes flattened as keys ("name.givenName").
      for (const [key, value] of Object.entries(op.value)) applyAttribute(changes, normalisePath(key), value, false);
      return;
    }
    if (!remove && op.value === undefined) throw new ScimError(400, `Operations[${i}].value: is required for ${kind}`, 'invalidValue');
    applyAttribute(changes, normalisePath(op.path), Array.isArray(op.value) && op.value.length === 1 && isObject(op.value[0]) && 'value' in op.value[0] ? (op.value[0] as { value: unknown }).value : op.value, remove);
  });
  return changes;
}

/** `userName eq "…"` and the like (RFC 7644 §3.4.2.2), only equality on the attributes we can look up. */
function readFilter(filter: string | undefined): DirectoryFilter | undefined {
  if (filter === undefined || filter.trim() === '') return undefined;
  const m = /^\s*([A-Za-z][\w.:\[\] "-]*?)\s+(eq)\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) throw new ScimError(400, `filter: only "<attribute> eq \\"value\\"" is supported (userName, externalId, id, emails.value); got ${JSON.stringify(filter)}`, 'invalidFilter');
  const attribute = m[1]!.trim().toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:user:/, '');
  const value = m[3]!.replace(/\\(.)/g, '$1');
  if (attribute === 'username' || attribute === 'emails.value' || attribute === 'emails[type eq "work"].value') return { attribute: 'email', value };
  if (attribute === 'externalid') return { attribute: 'externalId', value };
  if (attribute === 'id') return { attribute: 'id', value };
  throw new ScimError(400, `filter: cannot filter on "${m[1]!.trim()}" (userName, externalId, id and emails.value can be)`, 'invalidFilter');
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ScimError(400, `${name}: must be an integer`, 'invalidValue');
  return n;
}

// ---- what we answer ----

function resource(user: DirectoryUser, base: string) {
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.email,
    name: { formatted: user.displayName },
    displayName: user.displayName,
    preferredLanguage: user.locale,
    timezone: user.timeZone,
    active: user.active,
    emails: [{ value: user.email, type: 'work', primary: true }],
    meta: { resourceType: 'User', created: user.createdAt.toISOString(), location: `${base}/Users/${user.id}` },
  };
}

export async function scimRoutes(app: FastifyInstance, opts: ScimRoutesOptions): Promise<void> {
  const { store } = opts;
  const db = store.db;
  const now = opts.now ?? (() => new Date());
  const base = `${opts.publicUrl}/scim/v2`;

  for (const type of ['application/scim+json']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch {
        done(new ScimError(400, 'body: not valid JSON', 'invalidSyntax'), undefined);
      }
    });
  }

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof ScimError) return sendError(reply, error);
    const fe = error as FastifyError;
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return sendError(reply, new ScimError(400, 'body: not valid JSON', 'invalidSyntax'));
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, new ScimError(415, 'content-type: send application/scim+json or application/json'));
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, new ScimError(413, 'body: larger than the 1 MB limit'));
    if (fe.statusCode && fe.statusCode < 500) return sendError(reply, new ScimError(fe.statusCode, fe.message));
    request.log.error({ err: { name: error.name, message: error.message, stack: error.stack } }, 'SCIM request failed');
    return sendError(reply, new ScimError(500, 'Something went wrong on our side; nothing was changed.'));
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const organisationId = m ? await organisationForCredential(db, m[1]!, 'scim') : undefined;
    if (!organisationId) throw new ScimError(401, m ? 'Authorization: the SCIM token is not valid' : 'Authorization: a SCIM token is required (Authorization: Bearer <token>)');
    request.organisationId = organisationId;
  });

  const orgOf = (request: FastifyRequest) => request.organisationId!;
  const send = (reply: FastifyReply, code: number, body: unknown) => reply.code(code).type(SCIM_TYPE).send(body);
  /** A new user's language and zone when the identity provider sends none: the company's first admin's. */
  async function defaultsOf(organisationId: string): Promise<Defaults> {
    const admin = await db.selectFrom('users').select(['locale', 'time_zone']).where('organisation_id', '=', organisationId).where('role', '=', 'admin').orderBy('created_at').executeTakeFirst();
    return { locale: admin?.locale ?? 'en', timeZone: admin?.time_zone ?? 'UTC' };
  }
  async function userOr404(organisationId: string, id: string) {
    const user = await findDirectoryUser(db, organisationId, id);
    if (!user) throw new ScimError(404, `id: no user "${id}"`);
    return user;
  }
  /**
   * Applies an activity change with what it brings. Deprovisioned where the company chose removal:
   * each connected calendar's removal is that connection's own sync job, as a traveler's own
   * disconnect with removal is (src/sync/remove-connection-events.ts): it runs after any reconcile
   * in flight, finds the creates whose answers were not recorded, and leaves the connection closed
   * as deprovisioned. The identity provider's request is answered at once.
   */
  async function changeActivity(organisationId: string, user: DirectoryUser, active: boolean | undefined) {
    if (active === undefined || active === user.active) return;
    const remove = !active && (await companySettings(db, organisationId))?.removeEventsOnDeprovision === true;
    await db.transaction().execute(async (tx) => {
      if (remove) {
        const ids = await connectedConnectionIds(tx, user.id);
        for (const id of ids) await transition(tx, id, 'removingEvents', REMOVING_EVENTS, now());
        await reconcileAfterCommit(store, tx, ids);
      }
      await setActive(tx, organisationId, user.id, active, now());
    });
    // Reactivated: the calendars that came back catch up on what changed meanwhile.
    if (active) await enqueueSyncs(store, undefined, await connectedConnectionIds(db, user.id));
  }
  async function update(organisationId: string, user: DirectoryUser, changes: Partial<DirectoryAttributes>) {
    if (changes.email !== undefined && changes.email.toLowerCase() !== user.email.toLowerCase() && (await emailTakenByOther(db, changes.email, user.id))) {
      throw new ScimError(409, 'userName: another user has this userName', 'uniqueness');
    }
    const { active, ...rest } = changes;
    await changeActivity(organisationId, user, active);
    return (await updateDirectoryUser(db, organisationId, user.id, rest))!;
  }

  app.get('/ServiceProviderConfig', async (_request, reply) => send(reply, 200, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${opts.publicUrl}/openapi.json`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer token', description: 'The SCIM token the operator issued for the company', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  }));

  const userResourceType = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'User', name: 'User', endpoint: '/Users', description: 'A traveler of the company', schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
  };
  app.get('/ResourceTypes', async (_request, reply) => send(reply, 200, { schemas: [LIST_SCHEMA], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [userResourceType] }));
  app.get<{ Params: { id: string } }>('/ResourceTypes/:id', async (request, reply) => {
    if (request.params.id !== 'User') throw new ScimError(404, `id: no resource type "${request.params.id}"`);
    return send(reply, 200, userResourceType);
  });

  const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
    name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra,
  });
  const userSchema = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: USER_SCHEMA, name: 'User', description: 'A traveler',
    attributes: [
      attr('userName', 'string', { required: true, uniqueness: 'server', description: 'The email the user logs in with and gets itinerary emails at' }),
      attr('displayName', 'string'),
      attr('name', 'complex', { subAttributes: [attr('formatted', 'string'), attr('givenName', 'string'), attr('familyName', 'string')] }),
      attr('preferredLanguage', 'string', { description: 'ja or en (ja-JP, en-US are read as such)' }),
      attr('timezone', 'string', { description: 'IANA time zone' }),
      attr('active', 'boolean', { description: 'false deprovisions: sessions end, calendar connections close, no emails' }),
      attr('emails', 'complex', { multiValued: true, subAttributes: [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean')] }),
    ],
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${USER_SCHEMA}` },
  };
  app.get('/Schemas', async (_request, reply) => send(reply, 200, { schemas: [LIST_SCHEMA], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [userSchema] }));
  app.get<{ Params: { id: string } }>('/Schemas/:id', async (request, reply) => {
    if (request.params.id !== USER_SCHEMA) throw new ScimError(404, `id: no schema "${request.params.id}"`);
    return send(reply, 200, userSchema);
  });

  app.get<{ Querystring: Record<string, string> }>('/Users', async (request, reply) => {
    const filter = readFilter(request.query.filter);
    const startIndex = Math.max(1, positiveInt(request.query.startIndex, 'startIndex', 1));
    const count = Math.min(MAX_PAGE, Math.max(0, positiveInt(request.query.count, 'count', 100)));
    const { total, users } = await listDirectoryUsers(db, orgOf(request), { ...(filter ? { filter } : {}), offset: startIndex - 1, limit: count });
    return send(reply, 200, { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: users.length, Resources: users.map((u) => resource(u, base)) });
  });

  app.get<{ Params: { id: string } }>('/Users/:id', async (request, reply) => send(reply, 200, resource(await userOr404(orgOf(request), request.params.id), base)));

  app.post('/Users', async (request, reply) => {
    const organisationId = orgOf(request);
    const attrs = readUser(request.body, await defaultsOf(organisationId));
    const created = await createDirectoryUser(db, organisationId, { ...attrs, active: true });
    if ('problem' in created) throw new ScimError(409, `userName: a user with this userName exists already`, 'uniqueness');
    const user = attrs.active === false ? await update(organisationId, created.user, { active: false }) : created.user;
    // A user the identity provider deleted and creates again is reactivated: their calendars catch up.
    if (user.active) await enqueueSyncs(store, undefined, await connectedConnectionIds(db, user.id));
    return reply.header('location', `${base}/Users/${user.id}`).code(201).type(SCIM_TYPE).send(resource(user, base));
  });

  app.put<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
    const organisationId = orgOf(request);
    const user = await userOr404(organisationId, request.params.id);
    const attrs = readUser(request.body, { locale: user.locale, timeZone: user.timeZone });
    return send(reply, 200, resource(await update(organisationId, user, attrs), base));
  });

  app.patch<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
    const organisationId = orgOf(request);
    const user = await userOr404(organisationId, request.params.id);
    const changes = readPatch(request.body);
    return send(reply, 200, resource(await update(organisationId, user, changes), base));
  });

  app.delete<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
    const organisationId = orgOf(request);
    const user = await userOr404(organisationId, request.params.id);
    await changeActivity(organisationId, user, false);
    await deleteDirectoryUser(db, organisationId, user.id, now());
    return reply.code(204).send();
  });
}
