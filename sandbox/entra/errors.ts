// Entra ID error responses in Microsoft's exact JSON shape:
// {"error","error_description":"AADSTSnnn: … Trace ID: … Correlation ID: … Timestamp: …",
//  "error_codes":[n],"timestamp","trace_id","correlation_id","error_uri", "suberror"?}
import { randomUUID } from "node:crypto";
import { json } from "../http-types.ts";
import type { SbResponse } from "../http-types.ts";

export function aadTimestamp(ms: number): string {
  // "2021-01-31 05:56:19Z"
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

export interface AadError {
  status: number;
  error: string;
  code: number;
  message: string;
  suberror?: string;
}

export function aadErrorBody(e: AadError, nowMs: number, baseUrl: string, correlationId?: string): Record<string, unknown> {
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = aadTimestamp(nowMs);
  const body: Record<string, unknown> = {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.message} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `${baseUrl}/error?code=${e.code}`,
  };
  if (e.suberror) body.suberror = e.suberror;
  return body;
}

export function aadErrorResponse(e: AadError, nowMs: number, baseUrl: string, correlationId?: string): SbResponse {
  return json(e.status, aadErrorBody(e, nowMs, baseUrl, correlationId), { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}

/** The errors the sandbox produces, with Microsoft's codes and wording. */
export const AAD = {
  invalidRequest: (message: string, code = 900144): AadError => ({ status: 400, error: "invalid_request", code, message }),
  unknownTenant: (tenant: string): AadError => ({
    status: 400,
    error: "invalid_tenant",
    code: 90002,
    message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  }),
  unknownClient: (clientId: string, tenant: string): AadError => ({
    status: 400,
    error: "unauthorized_client",
    code: 700016,
    message: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  }),
  badSecret: (clientId: string): AadError => ({
    status: 401,
    error: "invalid_client",
    code: 7000215,
    message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  }),
  expiredSecret: (clientId: string): AadError => ({
    status: 401,
    error: "invalid_client",
    code: 7000222,
    message: `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
  }),
  missingSecret: (): AadError => ({
    status: 401,
    error: "invalid_client",
    code: 7000218,
    message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  }),
  redirectMismatch: (clientId: string): AadError => ({
    status: 400,
    error: "invalid_request",
    code: 50011,
    message: `The redirect URI specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
  }),
  codeRedeemed: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 54005,
    message: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
  }),
  codeInvalid: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 9002313,
    message: "Invalid request. Request is malformed or invalid.",
  }),
  codeExpired: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 70008,
    message: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
  }),
  pkceMismatch: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 501481,
    message: "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
  }),
  refreshTokenInvalid: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 9002313,
    message: "Invalid request. Request is malformed or invalid.",
  }),
  refreshTokenRedeemed: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 70000,
    message: "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
    suberror: "bad_token",
  }),
  // AADSTS700082: refresh token inactive for the idle limit (90 days).
  refreshTokenInactive: (issuedAt: number, idleDays: number): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 700082,
    message: `The refresh token has expired due to inactivity. The token was issued on ${new Date(issuedAt).toISOString()} and was inactive for ${idleDays}.00:00:00.`,
    suberror: "bad_token",
  }),
  // AADSTS50173: sessions revoked (password reset, admin revocation).
  grantRevoked: (authTime: number, validFrom: number): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 50173,
    message: `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(authTime).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(validFrom).toISOString()}'.`,
  }),
  // AADSTS65001: no (longer any) consent for the requested scopes.
  consentRequired: (clientId: string, appName: string): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 65001,
    message: `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive authorization request for this user and resource.`,
    suberror: "consent_required",
  }),
  // Conditional Access (the tenant's policies, applied to every token request of the user).
  // AADSTS50076: multi-factor authentication is required (the MFA claim is missing or old).
  mfaRequired: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 50076,
    message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
    suberror: "basic_action",
  }),
  // AADSTS70043: the refresh token is older than the sign-in frequency the policy allows.
  signInFrequency: (): AadError => ({
    status: 400,
    error: "invalid_grant",
    code: 70043,
    message: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on a date before the sign-in frequency allows.",
    suberror: "bad_token",
  }),
  // AADSTS53003: a policy blocks token issuance for this user (location, device, risk).
  blockedByConditionalAccess: (): AadError => ({
    status: 400,
    error: "interaction_required",
    code: 53003,
    message: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    suberror: "message_only",
  }),
  unsupportedGrant: (grant: string): AadError => ({
    status: 400,
    error: "unsupported_grant_type",
    code: 70003,
    message: `The app requested an unsupported grant type '${grant}'.`,
  }),
  wrongTenantUser: (upn: string, tenantName: string): AadError => ({
    status: 400,
    error: "invalid_request",
    code: 50020,
    message: `User account '${upn}' from identity provider does not exist in tenant '${tenantName}' and cannot access the application in that tenant.`,
  }),
  pkceRequired: (): AadError => ({
    status: 400,
    error: "invalid_request",
    code: 9002325,
    message: "Proof Key for Code Exchange is required for this authorization request (code_challenge with code_challenge_method=S256).",
  }),
  pkcePlainRefused: (): AadError => ({
    status: 400,
    error: "invalid_request",
    code: 501491,
    message: "Invalid size of Code_Challenge parameter or code_challenge_method is not S256.",
  }),
};
