// The HTTP floor's server: plain node:http with keep-alive, reading each POST
// body and answering a small fixed body (the size of a Hessian echo reply).
// Prints "PORT <n>". Usage: http-floor.ts [replyBytes]
import http from "node:http";

const reply = Buffer.alloc(Number(process.argv[2] ?? 16), 0x78);
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": reply.length });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`PORT ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
