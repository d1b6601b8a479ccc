// Errors in the shapes Google sends them: the Calendar API's JSON error object ("Handle API
// errors", Calendar API guide) and the OAuth 2.0 token endpoint's RFC 6749 §5.2 body.
import { json } from "../http-types.ts";
import type { SbResponse } from "../http-types.ts";

export interface ApiErrorSpec {
  status: number;
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: "header" | "parameter";
  headers?: Record<string, string>;
}

export function apiError(spec: ApiErrorSpec): SbResponse {
  const item: Record<string, string> = { domain: spec.domain, reason: spec.reason, message: spec.message };
  if (spec.locationType) item.locationType = spec.locationType;
  if (spec.location) item.location = spec.location;
  return json(spec.status, { error: { errors: [item], code: spec.status, message: spec.message } }, spec.headers ?? {});
}

export const ERRORS = {
  authError: (): ApiErrorSpec => ({ status: 401, domain: "global", reason: "authError", message: "Invalid Credentials", locationType: "header", location: "Authorization" }),
  insufficientScope: (): ApiErrorSpec => ({ status: 403, domain: "global", reason: "insufficientPermissions", message: "Request had insufficient authentication scopes." }),
  forbidden: (message = "Forbidden"): ApiErrorSpec => ({ status: 403, domain: "global", reason: "forbidden", message }),
  notFound: (): ApiErrorSpec => ({ status: 404, domain: "global", reason: "notFound", message: "Not Found" }),
  deleted: (): ApiErrorSpec => ({ status: 410, domain: "global", reason: "deleted", message: "Resource has been deleted" }),
  duplicate: (): ApiErrorSpec => ({ status: 409, domain: "global", reason: "duplicate", message: "The requested identifier already exists." }),
  invalid: (message: string, location?: string): ApiErrorSpec => ({ status: 400, domain: "global", reason: "invalid", message, ...(location ? { locationType: "parameter" as const, location } : {}) }),
  required: (message: string): ApiErrorSpec => ({ status: 400, domain: "global", reason: "required", message }),
  userRateLimitExceeded: (): ApiErrorSpec => ({ status: 403, domain: "usageLimits", reason: "userRateLimitExceeded", message: "User Rate Limit Exceeded" }),
  rateLimitExceeded403: (): ApiErrorSpec => ({ status: 403, domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" }),
  rateLimitExceeded429: (retryAfter?: string): ApiErrorSpec => ({ status: 429, domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded", ...(retryAfter ? { headers: { "retry-after": retryAfter } } : {}) }),
  backendError: (retryAfter?: string): ApiErrorSpec => ({ status: 503, domain: "global", reason: "backendError", message: "Backend Error", ...(retryAfter ? { headers: { "retry-after": retryAfter } } : {}) }),
};

/** The token endpoint's error body: { error, error_description }. */
export function oauthError(status: number, error: string, description: string): SbResponse {
  return json(status, { error, error_description: description }, { "cache-control": "no-store", pragma: "no-cache" });
}
