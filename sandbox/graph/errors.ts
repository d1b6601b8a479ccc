// Graph's error shape: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
import { randomUUID } from "node:crypto";
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";

export interface GraphErrorSpec {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export function graphError(req: SbRequest, nowMs: number, e: GraphErrorSpec): SbResponse {
  const requestId = randomUUID();
  const clientRequestId = req.headers["client-request-id"] ?? requestId;
  return json(
    e.status,
    {
      error: {
        code: e.code,
        message: e.message,
        innerError: {
          date: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, ""),
          "request-id": requestId,
          "client-request-id": clientRequestId,
        },
      },
    },
    { "request-id": requestId, "client-request-id": clientRequestId, ...(e.headers ?? {}) },
  );
}

export const GE = {
  notFound: (): GraphErrorSpec => ({ status: 404, code: "ErrorItemNotFound", message: "The specified object was not found in the store." }),
  accessDenied: (): GraphErrorSpec => ({ status: 403, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." }),
  // An on-premises, hybrid, inactive or soft-deleted mailbox, or none (no Exchange Online licence).
  mailboxNotEnabled: (): GraphErrorSpec => ({
    status: 404,
    code: "MailboxNotEnabledForRESTAPI",
    message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
  }),
  badJson: (): GraphErrorSpec => ({
    status: 400,
    code: "BadRequest",
    message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
  }),
  requestBodyRead: (message: string): GraphErrorSpec => ({ status: 400, code: "RequestBodyRead", message }),
  invalidFilter: (detail?: string): GraphErrorSpec => ({
    status: 400,
    code: "BadRequest",
    message: detail ? `Invalid filter clause: ${detail}` : "Invalid filter clause",
  }),
  noResource: (path: string): GraphErrorSpec => ({
    status: 400,
    code: "BadRequest",
    message: `Resource not found for the segment '${path}'.`,
  }),
  methodNotAllowed: (): GraphErrorSpec => ({
    status: 405,
    code: "ErrorInvalidRequest",
    message: "The OData request is not supported.",
  }),
};
