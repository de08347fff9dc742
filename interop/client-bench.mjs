// Throughput of @azure/web-pubsub-client through a Web PubSub endpoint (our emulator), for
// bench/client: a publisher and a subscriber client in one group; the publisher sends MESSAGES
// messages in windows of WINDOW and waits, per window, until the subscriber received them all
// (the service drops a subscriber with more than 1000 unacknowledged messages).
//   MODE=acked      each send awaits its ack before the next (latency bound)
//   MODE=pipelined  the window's sends are in flight together (Promise.all), each acked
// PROTOCOL=json.webpubsub.azure.v1 or json.reliable.webpubsub.azure.v1 (default).
// Env: PUB_URL, SUB_URL (client access URLs), MESSAGES, WINDOW, MODE, PAYLOAD_BYTES, PROTOCOL.
// Prints one JSON line: {"mode","protocol","messages","seconds","rate","cpuMicrosPerMessage"}
// (process CPU time of the measured phase per message).
import {
  WebPubSubClient,
  WebPubSubJsonProtocol,
  WebPubSubJsonReliableProtocol,
} from "@azure/web-pubsub-client";

const env = process.env;
const total = Number(env.MESSAGES ?? 10000);
const window = Number(env.WINDOW ?? 200);
const mode = env.MODE ?? "pipelined";
const payload = "x".repeat(Number(env.PAYLOAD_BYTES ?? 32));
const group = "bench";

const protocol =
  env.PROTOCOL === "json.webpubsub.azure.v1" ? WebPubSubJsonProtocol() : WebPubSubJsonReliableProtocol();
const sub = new WebPubSubClient(env.SUB_URL, { protocol });
const pub = new WebPubSubClient(env.PUB_URL, { protocol });
// A subscriber that the service drops (more than 1000 unacknowledged messages on the reliable
// protocol) loses messages: report it instead of waiting forever.
sub.on("disconnected", (e) => {
  console.log(JSON.stringify({ mode, protocol: protocol.name, error: "subscriber disconnected: " + (e.message ?? "") }));
  process.exit(3);
});
let received = 0;
let target = 0;
let wake = () => {};
sub.on("group-message", () => {
  received++;
  if (received >= target) wake();
});
await sub.start();
await pub.start();
await sub.joinGroup(group);

function arrived(n) {
  target = n;
  if (received >= n) return Promise.resolve();
  return new Promise((resolve) => (wake = resolve));
}

async function run(count) {
  for (let sent = 0; sent < count; ) {
    const n = Math.min(window, count - sent);
    const all = arrived(received + n);
    if (mode === "acked") {
      for (let i = 0; i < n; i++) await pub.sendToGroup(group, payload, "text");
    } else {
      const acks = [];
      for (let i = 0; i < n; i++) acks.push(pub.sendToGroup(group, payload, "text"));
      await Promise.all(acks);
    }
    await all;
    sent += n;
  }
}

await run(Math.min(1000, total)); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(total);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuMicrosPerMessage = (cpu.user + cpu.system) / total;
console.log(JSON.stringify({ mode, protocol: protocol.name, messages: total, seconds, rate: total / seconds, cpuMicrosPerMessage }));
await pub.stop();
await sub.stop();
process.exit(0);
