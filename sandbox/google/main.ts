// `npm run sandbox:google`: runs the Google stand-in alone and prints the product's settings for it.
// Env: SANDBOX_GOOGLE_PORT (default 3444, where `npm start` runs it), SANDBOX_DATA_DIR (default ./.data/sandbox; the CA is shared with the Microsoft stand-in's).
import { resolve } from "node:path";
import { startGoogleSandbox } from "./server.ts";

const port = Number(process.env.SANDBOX_GOOGLE_PORT ?? 3444);
const dataDir = resolve(process.env.SANDBOX_DATA_DIR ?? ".data/sandbox");
const google = await startGoogleSandbox({ port, dataDir });
const admins = google.seed.domains.map((d) => `  ${d.domain.padEnd(26)} super admin ${d.users.find((u) => u.superAdmin)?.email}; users ${d.users.map((u) => u.email).join(", ")}`).join("\n");
process.stdout.write(`tripcal sandbox (Google OAuth 2.0, domain-wide delegation, Calendar API v3) is running

  GOOGLE_SERVICE_ACCOUNT_KEY_FILE=${google.serviceAccountKeyPath}
  GOOGLE_CLIENT_ID=${google.webClient.clientId}
  GOOGLE_CLIENT_SECRET=(see sandbox/google/seed.ts)
  GOOGLE_ACCOUNTS_URL=${google.url}
  GOOGLE_OAUTH_URL=${google.url}
  GOOGLE_API_URL=${google.url}
  GOOGLE_CA_FILE=${google.caPath}

  Admin console (domain-wide delegation): ${google.url}/ac/owl/domainwidedelegation
  Service account client id:             ${google.serviceAccountKey.client_id}

Workspace domains:
${admins}
`);
const stop = () => void google.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
