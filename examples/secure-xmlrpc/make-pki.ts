// Writes the sample keys and certificates into ./pki (what `remoting pki ./pki` does).
import { join } from "node:path";
import { createSamplePki, SAMPLE_PKI_WARNING } from "../../src/pki/index.js";

const dir = process.argv[2] ?? join(import.meta.dirname, "pki");
await createSamplePki(dir);
console.log(`sample PKI written to ${dir}\n\n${SAMPLE_PKI_WARNING}`);
