// The NATS floor's responder: the bare NATS client answering every request
// on "floor.echo" with a prebuilt payload (the size of our echo reply).
// Prints "PORT <port>" once subscribed. Usage: nats-floor.ts <natsPort> <replyBytes>
import { connect } from "@nats-io/transport-node";

const port = Number(process.argv[2]);
const reply = new Uint8Array(Number(process.argv[3] ?? 16)).fill(0x78);
const nc = await connect({ servers: `127.0.0.1:${port}` });
nc.subscribe("floor.echo", {
  queue: "floor",
  callback: (_err, msg) => {
    msg.respond(reply);
  },
});
await nc.flush();
process.stdout.write(`PORT ${port}\n`);
process.on("SIGTERM", () => {
  void nc.drain().then(() => process.exit(0));
});
