// A local CA and a server certificate for localhost/127.0.0.1, created on first start in the data
// folder and reused afterwards, so the product can trust the CA once.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";

export interface TlsMaterial {
  caPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

function newKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  // Node's generator is native and fast; forge only builds the X.509 structures.
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
  };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString("hex");
}

export function loadOrCreateTls(dataDir: string): TlsMaterial {
  const dir = join(dataDir, "tls");
  const caPath = join(dir, "sandbox-ca.pem");
  const certPath = join(dir, "server-cert.pem");
  const keyPath = join(dir, "server-key.pem");
  if (existsSync(caPath) && existsSync(certPath) && existsSync(keyPath)) {
    return {
      caPath,
      caPem: readFileSync(caPath, "utf8"),
      certPem: readFileSync(certPath, "utf8"),
      keyPem: readFileSync(keyPath, "utf8"),
    };
  }
  mkdirSync(dir, { recursive: true });
  const pki = forge.pki;
  const now = new Date();

  const caKeys = newKeyPair();
  const caKey = pki.privateKeyFromPem(caKeys.privateKeyPem);
  const ca = pki.createCertificate();
  ca.publicKey = pki.publicKeyFromPem(caKeys.publicKeyPem);
  ca.serialNumber = serial();
  ca.validity.notBefore = new Date(now.getTime() - 24 * 3600_000);
  ca.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600_000);
  // A unique name per CA: several sandboxes' CAs may be trusted by one process, and OpenSSL picks
  // the issuer by name before checking the signature.
  const caName = [
    { name: "commonName", value: `tripcal sandbox local CA ${randomBytes(4).toString("hex")}` },
    { name: "organizationName", value: "tripcal sandbox" },
  ];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const serverKeys = newKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(serverKeys.publicKeyPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600_000);
  // Under 398 days: clients reject longer-lived leaf certificates.
  cert.validity.notAfter = new Date(now.getTime() + 390 * 24 * 3600_000);
  cert.setSubject([{ name: "commonName", value: "localhost" }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());

  const material: TlsMaterial = {
    caPath,
    caPem: pki.certificateToPem(ca),
    certPem: pki.certificateToPem(cert),
    keyPem: serverKeys.privateKeyPem,
  };
  writeFileSync(caPath, material.caPem);
  writeFileSync(certPath, material.certPem);
  writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
  return material;
}
