// "The database cannot be reached": a connection refused, dropped or timed out, or the server
// shutting down, starting up or refusing connections. Such a failure says nothing about the
// request, so it is answered 503 with Retry-After (src/http/errors.ts) and a job that meets it is
// retried; anything else is a real error.

/** A connection could not be had from the pool (refused, timed out, the server turning it away). */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

const CODES = new Set([
  // PostgreSQL: class 08 (connection exception); the server shutting down (administrator, crash),
  // starting up or in recovery; too many connections; a session ended for idling.
  '08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '57P05', '53300', '25P03',
  // The socket.
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN',
]);

// node-postgres's own errors carry no code: a socket that closed under it, a client used after
// that, a connection that timed out; and the server's answer to a database refusing connections
// (55000, a code it shares with unrelated errors).
const MESSAGES = /^(Connection terminated|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout)|is not currently accepting connections/;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && CODES.has(code)) return true;
  if (typeof message === 'string' && MESSAGES.test(message)) return true;
  // Wrapped (pg-boss, Kysely) or several at once (a host name with an IPv4 and an IPv6 address).
  if (cause !== undefined && isDatabaseUnavailable(cause, depth + 1)) return true;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => isDatabaseUnavailable(e, depth + 1));
}
