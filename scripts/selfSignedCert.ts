// A self-signed certificate for RTMPS on one machine (`npm start`), made with the
// openssl command line so no npm package has to generate keys. Production uses a
// real certificate (RTMPS_CERT_FILE / RTMPS_KEY_FILE).
import { spawnSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

// 825 days: the longest validity Apple's TLS clients accept for a server certificate.
const DAYS = 825;
// Renewed this long before it expires, so a running instance never reaches the date.
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const DEFAULT_NAMES = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];

/**
 * `cert.pem` and `key.pem` in `dir`: reused while they are a matching pair with more than
 * 30 days left, otherwise made anew. The key file is mode 600 and the directory 700.
 * Throws when openssl is missing or fails.
 */
export function ensureSelfSignedCertificate(dir: string, altNames: string[] = DEFAULT_NAMES): CertificateFiles {
  const certFile = path.resolve(dir, "cert.pem");
  const keyFile = path.resolve(dir, "key.pem");
  if (usable(certFile, keyFile)) {
    chmodSync(keyFile, 0o600);
    return { certFile, keyFile };
  }

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written beside the final files and renamed into place, so a listener watching them never
  // reads a half-written pair; mkdtemp's directory is 700, so the key is never readable by others.
  const tmp = mkdtempSync(path.join(dir, ".new-"));
  try {
    const tmpCert = path.join(tmp, "cert.pem");
    const tmpKey = path.join(tmp, "key.pem");
    const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(DAYS), "-subj", "/CN=localhost"];
    args.push("-addext", `subjectAltName=${altNames.join(",")}`, "-keyout", tmpKey, "-out", tmpCert);
    const run = spawnSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    if (run.error) throw new Error(`openssl is needed to create a self-signed RTMPS certificate (${run.error.message})`);
    if (run.status !== 0) throw new Error(`openssl could not create a certificate: ${run.stderr.trim().split("\n").pop()}`);
    chmodSync(tmpKey, 0o600);
    // Key first: a watcher that sees the new certificate already finds its key.
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { certFile, keyFile };
}

function usable(certFile: string, keyFile: string): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)));
  } catch {
    return false;
  }
}
