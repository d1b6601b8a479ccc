// The operator API (/api/operator/v1): what the platform that runs tripcal calls to onboard a
// company (its first admin, invited by a one-use link), issue and revoke its booking-API keys and
// SCIM tokens, and set how its travelers are provisioned. Authenticated with the operator's bearer
// token; off (404) when the deployment has none.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isValidTimeZone } from '../domain/zoned-time.ts';
import { issueCredential, listCredentials, revokeCredential, type CredentialKind } from '../store/company-credentials.ts';
import type { Store } from '../store/database.ts';
import { companySettings, onboardCompany } from '../store/organisations.ts';
import { changeCompanySettings } from './company-settings.ts';
import { HttpError } from './errors.ts';

export interface OperatorAccess {
  /** The operator's bearer token; undefined turns the operator API off. */
  token: string | undefined;
}

export interface OperatorRoutesOptions {
  store: Store;
  access: OperatorAccess;
  publicUrl: string;
  now?: () => Date;
}

const security = [{ operatorToken: [] }];
const tags = ['operator'];

const errorResponse = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } as const;
const uuid = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const;
const companyParam = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const credentialParams = (name: string) => ({ type: 'object', required: ['id', name], properties: { id: uuid, [name]: uuid } }) as const;
const credentialBody = { type: 'object', additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'What the key is for, e.g. "booking engine (production)"' } } } as const;

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    travelersFromBookings: { type: 'boolean', description: 'A booking naming an unknown traveler creates them (default true)' },
    removeEventsOnDeprovision: { type: 'boolean', description: "A deprovisioned traveler's calendar events are removed (default false: they stay)" },
    keepCancelledEvents: {
      type: 'boolean',
      description: 'A cancelled booking stays in travelers\' calendars as 「キャンセル: …」 / "Canceled: …", free, with no reminder (default false: it is removed). Changing it reconciles every connected calendar of the company.',
    },
  },
} as const;

interface NewCompanyBody {
  name: string;
  admin: { email: string; name: string; locale: 'ja' | 'en'; timeZone: string };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function operatorRoutes(app: FastifyInstance, opts: OperatorRoutesOptions): Promise<void> {
  const { store } = opts;
  const db = store.db;
  const now = opts.now ?? (() => new Date());

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const expected = opts.access.token;
    if (!expected) throw new HttpError(404, 'not_found', 'The operator API is off: set OPERATOR_TOKEN to turn it on');
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    // Compared as digests, in constant time.
    if (!m || !timingSafeEqual(digest(m[1]!), digest(expected))) throw new HttpError(401, 'unauthorized', 'Authorization: the operator token is required (Authorization: Bearer <OPERATOR_TOKEN>)');
  });

  async function requireCompany(id: string) {
    const settings = await companySettings(db, id);
    if (!settings) throw new HttpError(404, 'company_not_found', `id: no company "${id}"`, 'id');
    return settings;
  }

  app.post<{ Body: NewCompanyBody }>('/companies', {
    schema: {
      tags, security,
      summary: 'Onboard a company with its first admin',
      description: 'The admin gets no password: inviteUrl (one use, valid 7 days) lets them set one. Hand it to them.',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'admin'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200 },
          admin: {
            type: 'object', additionalProperties: false, required: ['email', 'name', 'locale', 'timeZone'],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 254 },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              locale: { enum: ['ja', 'en'] },
              timeZone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone' },
            },
          },
        },
      },
      response: {
        201: { type: 'object', required: ['id', 'admin'], properties: { id: { type: 'string' }, admin: { type: 'object', required: ['id', 'inviteUrl'], properties: { id: { type: 'string' }, inviteUrl: { type: 'string' } } } } },
        400: errorResponse, 401: errorResponse, 409: errorResponse, 422: errorResponse,
      },
    },
  }, async (request, reply) => {
    const { name, admin } = request.body;
    if (!isValidTimeZone(admin.timeZone)) throw new HttpError(422, 'invalid_request', `admin.timeZone: unknown time zone "${admin.timeZone}"`, 'admin.timeZone');
    const result = await onboardCompany(db, { name: name.trim(), admin: { ...admin, email: admin.email.trim() } }, now());
    if ('problem' in result) throw new HttpError(409, 'email_taken', 'admin.email: a user with this email exists already', 'admin.email');
    return reply.code(201).send({ id: result.id, admin: { id: result.adminId, inviteUrl: `${opts.publicUrl}/invitation?token=${encodeURIComponent(result.inviteToken)}` } });
  });

  app.get<{ Params: { id: string } }>('/companies/:id', {
    schema: {
      tags, security, summary: "A company's settings and credentials (never the keys themselves)", params: companyParam,
      response: { 404: errorResponse },
    },
  }, async (request) => {
    const settings = await requireCompany(request.params.id);
    const credentials = await listCredentials(db, request.params.id);
    return { id: request.params.id, settings, credentials };
  });

  app.patch<{ Params: { id: string }; Body: { travelersFromBookings?: boolean; removeEventsOnDeprovision?: boolean; keepCancelledEvents?: boolean } }>('/companies/:id/settings', {
    schema: { tags, security, summary: "How the company provisions its travelers, and what its travelers' calendars show", params: companyParam, body: settingsSchema, response: { 200: settingsSchema, 404: errorResponse } },
  }, async (request) => {
    await requireCompany(request.params.id);
    return changeCompanySettings(store, request.params.id, request.body);
  });

  const credentialRoutes = (path: string, kind: CredentialKind, field: 'key' | 'token', param: string, what: string) => {
    app.post<{ Params: { id: string }; Body: { name?: string } | undefined }>(`/companies/:id/${path}`, {
      schema: {
        tags, security, summary: `Issue a ${what}`,
        description: `The ${field} is in this answer only; it is stored hashed. A company may hold several (issue a new one, switch, then revoke the old one).`,
        params: companyParam, body: credentialBody,
        response: { 201: { type: 'object', required: ['id', field], properties: { id: { type: 'string' }, [field]: { type: 'string' } } }, 404: errorResponse },
      },
      // The body is optional: a request without one names nothing.
      preValidation: async (request) => {
        request.body ??= {};
      },
    }, async (request, reply) => {
      await requireCompany(request.params.id);
      const issued = await issueCredential(db, request.params.id, kind, { ...(request.body?.name ? { name: request.body.name } : {}) });
      return reply.code(201).send({ id: issued.id, [field]: issued.key });
    });

    app.delete<{ Params: Record<string, string> }>(`/companies/:id/${path}/:${param}`, {
      schema: { tags, security, summary: `Revoke a ${what}: refused (401) from the next request on`, params: credentialParams(param), response: { 404: errorResponse } },
    }, async (request, reply) => {
      await requireCompany(request.params.id!);
      if (!(await revokeCredential(db, request.params.id!, kind, request.params[param]!, now()))) throw new HttpError(404, `${kind === 'scim' ? 'scim_token' : 'api_key'}_not_found`, `${param}: no such ${what} in this company`, param);
      return reply.code(204).send();
    });
  };
  credentialRoutes('api-keys', 'booking', 'key', 'keyId', 'booking-API key');
  credentialRoutes('scim-tokens', 'scim', 'token', 'tokenId', 'SCIM token');
}
