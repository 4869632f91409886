/**
 * `remoting pki <dir>`: writes a sample PKI for trying TLS (root CA, signing
 * CA, ca-chain.pem, a server certificate for localhost/127.0.0.1/::1, and a
 * client certificate with the seed's subject). The keys are samples.
 */
import type { Command } from "commander";
import { createSamplePki, SAMPLE_PKI_WARNING } from "../pki/index.js";
import type { CliIo } from "./main.js";

export function installPkiCommand(program: Command, io: CliIo): void {
  program
    .command("pki")
    .description("write a sample PKI (CAs, server and client certificates) into <dir> for trying TLS; the keys are samples only")
    .argument("<dir>", "folder to write the PEM files into (created if missing)")
    .action(async (dir: string) => {
      const pki = await createSamplePki(dir);
      io.err(`WARNING: ${SAMPLE_PKI_WARNING}`);
      for (const [what, path] of Object.entries(pki)) {
        if (typeof path === "string" && what !== "dir") io.out(`${what.padEnd(14)} ${path}`);
      }
    });
}
