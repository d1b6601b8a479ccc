// `npm run sandbox`: runs the sandbox alone and prints what the product's settings need.
// Env: SANDBOX_PORT (default 8443), SANDBOX_DATA_DIR (default ./.data/sandbox).
import { resolve } from "node:path";
import { startSandbox } from "./server.ts";

const port = Number(process.env.SANDBOX_PORT ?? 8443);
const dataDir = resolve(process.env.SANDBOX_DATA_DIR ?? ".data/sandbox");
const sandbox = await startSandbox({ port, dataDir }).catch((err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") {
    process.stderr.write(`sandbox: port ${port} is in use (another sandbox?). Set SANDBOX_PORT to another port.\n`);
    process.exit(1);
  }
  throw err;
});
const tenants = sandbox.tenants.map((t) => `  ${t.displayName.padEnd(16)} ${t.id}  (${t.users.map((u) => u.userPrincipalName).join(", ")})`).join("\n");
process.stdout.write(`tripcal sandbox (Microsoft Entra ID + Graph calendar) is running

  Authority (MSAL):   ${sandbox.authority("organizations")}   knownAuthorities: ["${sandbox.knownAuthority}"]
  Graph baseUrl:      ${sandbox.graphBaseUrl}   (customHosts: ["localhost"])
  CA certificate:     ${sandbox.caPath}
  Client id:          ${sandbox.app.clientId}
  Client secret:      (see sandbox/seed.ts)
  Admin consent URL:  ${sandbox.url}/organizations/v2.0/adminconsent?client_id=${sandbox.app.clientId}&scope=https://graph.microsoft.com/Calendars.ReadWrite&redirect_uri=http://localhost:3000/...
  Calendars:          ${sandbox.url}/
  Control API:        ${sandbox.url}/_sandbox/info
  Data folder:        ${dataDir}

Tenants:
${tenants}
`);

const stop = () => {
  void sandbox.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
