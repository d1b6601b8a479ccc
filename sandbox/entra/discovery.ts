// OIDC discovery document and the instance-discovery answer MSAL asks for.
import { json } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { TenantRef } from "./context.ts";

function authorityBase(req: SbRequest, ref: TenantRef): string {
  return `${req.baseUrl}/${ref.kind === "tenant" ? ref.tenant.id : ref.kind}`;
}


export function openidConfiguration(req: SbRequest, ref: TenantRef): SbResponse {
  const base = authorityBase(req, ref);
  const issuer = ref.kind === "tenant" ? `${req.baseUrl}/${ref.tenant.id}/v2.0` : `${req.baseUrl}/{tenantid}/v2.0`;
  return json(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${req.baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
      "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
      "c_hash", "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "AS",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  });
}

export function instanceDiscovery(req: SbRequest): SbResponse {
  const host = new URL(req.baseUrl).host;
  const endpoint = req.query.get("authorization_endpoint") ?? `${req.baseUrl}/common/oauth2/v2.0/authorize`;
  let tenantSegment = "common";
  try {
    tenantSegment = new URL(endpoint).pathname.split("/")[1] || "common";
  } catch {
    // keep "common"
  }
  return json(200, {
    tenant_discovery_endpoint: `${req.baseUrl}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}
