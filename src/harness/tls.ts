/**
 * A throwaway certificate authority with a server certificate for 127.0.0.1
 * and a client certificate, made with openssl, for the NATS and registry TLS
 * tests.
 */
import { join } from "node:path";
import { execa } from "execa";
import { tempDir } from "./processes.js";

export interface TlsFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export async function makeTls(): Promise<TlsFiles> {
  const dir = await tempDir("berth-tls-");
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execa("openssl", args, { cwd: dir });
  await ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=berth-test-ca",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
  );
  for (const [who, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"],
    ["client", "extendedKeyUsage=clientAuth"],
  ] as const) {
    await ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=berth-${who}`,
      "-keyout",
      f(`${who}.key`),
      "-out",
      f(`${who}.csr`),
    );
    await execa("sh", ["-c", `printf '${ext}\\n' > ${who}.ext`], { cwd: dir });
    await ssl(
      "x509",
      "-req",
      "-in",
      f(`${who}.csr`),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      f(`${who}.ext`),
      "-out",
      f(`${who}.pem`),
    );
  }
  return {
    dir,
    ca: f("ca.pem"),
    serverCert: f("server.pem"),
    serverKey: f("server.key"),
    clientCert: f("client.pem"),
    clientKey: f("client.key"),
  };
}
