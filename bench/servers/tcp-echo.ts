// The floor's server: answers each length-prefixed frame with the same frame.
import { createServer } from "node:net";

const server = createServer((sock) => {
  sock.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  sock.on("data", (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let off = 0;
    const out: Buffer[] = [];
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off < 4 + len) break;
      out.push(buf.subarray(off, off + 4 + len));
      off += 4 + len;
    }
    if (out.length) sock.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    buf = buf.subarray(off);
  });
  sock.on("error", () => sock.destroy());
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`PORT ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
