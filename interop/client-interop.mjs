// Interop of the Go client with @azure/web-pubsub-client through the emulator (client package
// test TestInteropWithJSClient): this JS client joins group GROUP, says "ready", prints (one
// JSON line each) the first three messages it receives from user "go", then publishes a text,
// a JSON and a binary message and exits.
// Env: URL (client access URL), GROUP.
import { WebPubSubClient } from "@azure/web-pubsub-client";

const group = process.env.GROUP;
const client = new WebPubSubClient(process.env.URL);
const got = [];
let done;
const allReceived = new Promise((resolve) => (done = resolve));
client.on("group-message", (e) => {
  const m = e.message;
  if (m.fromUserId !== "go") return;
  let data = m.data;
  if (m.dataType === "binary") data = Buffer.from(data).toString("base64");
  got.push({ dataType: m.dataType, data, group: m.group, fromUserId: m.fromUserId });
  if (got.length === 3) done();
});
await client.start();
await client.joinGroup(group);
await client.sendToGroup(group, "ready", "text", { noEcho: true });
await allReceived;
for (const m of got) console.log(JSON.stringify(m));
await client.sendToGroup(group, "from js", "text", { noEcho: true });
await client.sendToGroup(group, { from: "js", n: [1, 2] }, "json", { noEcho: true });
await client.sendToGroup(group, new Uint8Array([0, 1, 254, 255]).buffer, "binary", { noEcho: true });
await client.stop();
process.exit(0);
