// `npm start`'s RTMPS: on by default, so a creator on this machine can try an
// encrypted publish without making a certificate. The roles inherit process.env,
// so this only sets variables; ingest and web read them through lib/config.ts.
import net from "node:net";
import { config } from "../lib/config.ts";
import { ensureSelfSignedCertificate } from "./selfSignedCert.ts";
import { SetupError, say } from "./services.ts";

// Next to RTMP's 1935 and ingest's internal 1936 (both taken), and unprivileged.
export const DEFAULT_RTMPS_PORT = 1937;

/**
 * RTMPS on DEFAULT_RTMPS_PORT unless RTMPS_PORT says otherwise (0: off), with a
 * self-signed certificate in `tlsDir` unless RTMPS_CERT_FILE / RTMPS_KEY_FILE name
 * one. `selfSigned`: the certificate is the one made here.
 */
export async function prepareRtmps(tlsDir: string, defaultPort = DEFAULT_RTMPS_PORT): Promise<{ selfSigned: boolean }> {
  const chosen = process.env.RTMPS_PORT !== undefined && process.env.RTMPS_PORT !== "";
  if (!chosen) {
    // A default must not stop the platform: RTMP works without it.
    if (!(await portFree(config.rtmpsBind, defaultPort))) {
      say(`RTMPS is off: port ${defaultPort} is in use (set RTMPS_PORT to another port)`);
      return { selfSigned: false };
    }
    process.env.RTMPS_PORT = String(defaultPort);
  }
  if (!config.rtmpsPort || config.rtmpsCertFile || config.rtmpsKeyFile) return { selfSigned: false };
  try {
    const { certFile, keyFile } = ensureSelfSignedCertificate(tlsDir);
    process.env.RTMPS_CERT_FILE = certFile;
    process.env.RTMPS_KEY_FILE = keyFile;
    return { selfSigned: true };
  } catch (err) {
    if (chosen) throw new SetupError(`RTMPS_PORT is set but no certificate could be made: ${(err as Error).message}`);
    say(`RTMPS is off: ${(err as Error).message}`);
    delete process.env.RTMPS_PORT;
    return { selfSigned: false };
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
