// Interop: the official @azure/web-pubsub-client (reliable JSON protocol, its default) against
// the Go emulator. Driven by emulator/interop_client_test.go.
//
// Env: EMU_URL = client access URL (from our service client's ClientAccessToken).
// Writes one JSON object per line to stdout:
//   {"event":"ready","connectionId":..}      joined group "g", sent a group message and an event
//   {"event":"result",...}                    after the group message "done" arrived
// The Go side, after "ready", sends m0..m(N-1) to group "g" through the REST API, drops the
// WebSocket (DropConnection) half way, then sends "done".
import { WebPubSubClient } from "@azure/web-pubsub-client";

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (msg) => {
  out({ event: "error", message: String(msg) });
  process.exit(1);
};
setTimeout(() => fail("timeout"), 60000).unref();

const client = new WebPubSubClient(process.env.EMU_URL);
const group = [];
const server = [];
let connected = 0;
let disconnected = 0;
let connectionId = "";
let userId = "";

client.on("connected", (e) => {
  connected++;
  connectionId = e.connectionId;
  userId = e.userId;
});
client.on("disconnected", () => {
  disconnected++;
});
client.on("server-message", (e) => {
  server.push({ dataType: e.message.dataType, data: e.message.data });
});
client.on("group-message", async (e) => {
  const m = e.message;
  if (m.data === "done") {
    await client.stop();
    out({ event: "result", connected, disconnected, connectionId, userId, group, server });
    process.exit(0);
  }
  group.push({ group: m.group, fromUserId: m.fromUserId ?? null, dataType: m.dataType, data: m.data });
});

try {
  await client.start();
  await client.joinGroup("g");
  await client.sendToGroup("g", { hello: "js" }, "json");
  const ack = await client.sendEvent("echo", "hi", "text");
  if (ack.isDuplicated) fail("event ack duplicated");
  // Wait for the echo of our own group message and the event reply before handing over.
  const start = Date.now();
  while ((group.length < 1 || server.length < 1) && Date.now() - start < 10000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  out({ event: "ready", connectionId });
} catch (err) {
  fail(err && err.stack ? err.stack : err);
}
