// One error shape for every JSON endpoint: { error: code, message, field?, problems? }.
// Messages name the field and never carry a secret.
import type { FastifyError, FastifyInstance } from 'fastify';
import { BookingValidationError } from '../domain/parse-booking.ts';
import { BookingError, type BookingErrorCode } from '../store/bookings.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';

/**
 * Seconds a client is asked to wait when the database cannot be reached. A restart or failover
 * takes seconds; the booking API's calls are all safe to send again (a create of a known
 * bookingRef returns the trip, a change already made changes nothing).
 */
export const RETRY_AFTER_SECONDS = 5;

export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly field?: string;
  constructor(statusCode: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.field = field;
  }
}

const bookingStatus: Record<BookingErrorCode, number> = {
  trip_not_found: 404,
  segment_not_found: 404,
  traveler_not_found: 422,
  invalid_traveler: 422,
};

/** Ajv's instancePath "/segments/0/departure/airport" → "segments[0].departure.airport". */
function fieldOf(instancePath: string, missing?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function describeValidation(issue: AjvIssue, context: string | undefined): { field: string; message: string } {
  const missing = issue.keyword === 'required' ? String(issue.params.missingProperty) : undefined;
  const extra = issue.keyword === 'additionalProperties' ? String(issue.params.additionalProperty) : undefined;
  const field = fieldOf(issue.instancePath, missing ?? extra) || context || 'body';
  if (missing) return { field, message: 'is required' };
  if (extra) return { field, message: 'is not a known field' };
  if (issue.keyword === 'enum') return { field, message: `must be one of ${(issue.params.allowedValues as unknown[]).join(', ')}` };
  if (issue.keyword === 'discriminator') return { field: fieldOf(issue.instancePath, 'type'), message: 'must be one of flight, hotel, car, rail' };
  return { field, message: issue.message ?? 'is not valid' };
}

/**
 * The first string in a request value that no database column can hold, as the field it is in
 * ("segments[0].property"): a NUL character (PostgreSQL text and jsonb refuse it) or a lone UTF-16
 * surrogate ("\ud800", which JSON allows and UTF-8 cannot encode).
 */
export function unstorableText(value: unknown, field = ''): { field: string; message: string } | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field, message: 'contains a NUL character (\\u0000), which cannot be stored' };
    if (!value.isWellFormed()) return { field, message: 'contains a lone UTF-16 surrogate (such as \\ud800), which is not a character' };
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableText(item, `${field}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const name = field ? `${field}.${key}` : key;
      const found = unstorableText(key, name) ?? unstorableText(item, name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses, before validation and before anything is written, a request whose body, path or query
 * holds text the database cannot hold: 400 naming the field, where it would otherwise fail as a 500
 * inside its transaction.
 */
export function installTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found = unstorableText(request.params) ?? unstorableText(request.query) ?? unstorableText(request.body);
    if (found) throw new HttpError(400, 'invalid_text', `${found.field || 'body'}: ${found.message}`, found.field || 'body');
  });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) });
    }
    if (error instanceof BookingValidationError) {
      const [first] = error.problems;
      return reply.code(422).send({ error: 'invalid_booking', message: error.message, field: first.field, problems: error.problems });
    }
    if (error instanceof BookingError) {
      return reply.code(bookingStatus[error.code]).send({ error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) });
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const problems = (fe.validation as AjvIssue[]).map((i) => describeValidation(i, fe.validationContext));
      return reply.code(400).send({ error: 'invalid_request', message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), field: problems[0]?.field, problems });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'body_too_large', message: 'body: the request body is larger than the 1 MB limit' });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'content-type: send application/json' });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (fe.statusCode === 400 && error instanceof SyntaxError)) {
      return reply.code(400).send({ error: 'invalid_json', message: 'body: not valid JSON' });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: fe.code ?? 'bad_request', message: fe.message });
    }
    if (isDatabaseUnavailable(error)) {
      // Its transaction, if it had begun, was rolled back by the server with the lost connection;
      // a commit whose answer was lost may have landed, which sending the request again shows.
      request.log.warn({ err: { name: error.name, message: error.message } }, 'database unreachable');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({
        error: 'database_unavailable',
        message: `The database cannot be reached just now. Send the request again in ${RETRY_AFTER_SECONDS} seconds; sending it again is safe.`,
      });
    }
    request.log.error({ err: { name: error.name, message: error.message, stack: error.stack } }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; nothing was changed.' });
  });
}
