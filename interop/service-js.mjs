// Interop script for service/interop_test.go: runs a fixed sequence of data-plane calls with
// the official @azure/web-pubsub client against the loopback fake service named by
// WPS_CONNSTR, then prints the client access tokens it generates for the option sets in
// WPS_TOKEN_OPTIONS (JSON array) as one JSON document on stdout.
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const connStr = process.env.WPS_CONNSTR;
const hub = process.env.WPS_HUB;
const client = new WebPubSubServiceClient(connStr, hub, {
  retryOptions: { maxRetries: 0 },
  allowInsecureConnection: true, // the fake service is plain http on loopback
});

async function calls() {
  await client.sendToAll("hello", { contentType: "text/plain", excludedConnections: ["c1", "c2"], filter: "userId eq 'u1'", messageTtlSeconds: 30 });
  await client.sendToAll({ a: 1 });
  await client.sendToAll(Buffer.from([0, 1, 2, 255]));
  await client.group("a/b c").sendToAll("hi", { contentType: "text/plain", excludedConnections: ["c1"], filter: "userId eq 'u1'", messageTtlSeconds: 30 });
  await client.sendToUser("user 1", "x", { contentType: "text/plain", filter: "connectionId ne 'c'", messageTtlSeconds: 300 });
  await client.sendToConnection("conn1", { k: "v" }, { messageTtlSeconds: 1 });
  // The close options of the high-level JS API have no exclusion list; the generated
  // layer underneath reads `excluded` from the same options object.
  await client.closeAllConnections({ excluded: ["c1", "c2"], reason: "bye now" });
  await client.group("g1").closeAllConnections({ excluded: ["c1"], reason: "r" });
  await client.closeUserConnections("u1", { excluded: ["c1"], reason: "r" });
  await client.closeConnection("conn1", { reason: "kicked" });
  await client.group("g1").addConnection("conn1");
  await client.group("g1").removeConnection("conn1");
  await client.removeConnectionFromAllGroups("conn1");
  await client.group("g1").addUser("u1");
  await client.group("g1").removeUser("u1");
  await client.removeUserFromAllGroups("u1");
  await client.addConnectionsToGroups(["g1", "g2"], "userId eq 'u1'");
  await client.removeConnectionsFromGroups(["g1"], "userId eq 'u1'");
  await client.grantPermission("conn1", "joinLeaveGroup", { targetName: "g1" });
  await client.revokePermission("conn1", "sendToGroup", { targetName: "g1" });
  await client.hasPermission("conn1", "sendToGroup", { targetName: "g1" });
  await client.connectionExists("conn1");
  await client.userExists("u1");
  await client.groupExists("g1");
  for await (const m of await client.group("g1").listConnections({ maxPageSize: 2, top: 5 })) {
    void m;
  }
}

await calls();

// Reverse proxy: the REST endpoint is the service, requests go to the proxy (the fake).
const proxied = new WebPubSubServiceClient(process.env.WPS_PROXIED_CONNSTR, hub, {
  retryOptions: { maxRetries: 0 },
  allowInsecureConnection: true,
  reverseProxyEndpoint: process.env.WPS_PROXY,
});
await proxied.sendToAll("via proxy", { contentType: "text/plain", excludedConnections: ["c1"] });
await proxied.group("g1").addConnection("conn1");
const tokens = [];
for (const o of JSON.parse(process.env.WPS_TOKEN_OPTIONS || "[]")) {
  tokens.push(await client.getClientAccessToken(o));
}
process.stdout.write(JSON.stringify({ tokens }));
