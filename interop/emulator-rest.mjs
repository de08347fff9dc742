// Interop script for emulator/rest_interop_test.go: the official @azure/web-pubsub service
// client against the emulator's REST API (WPS_CONNSTR, hub WPS_HUB).
//
// WPS_MODE=tokens prints client access tokens (signed locally by the SDK) for the Go test's
// WebSocket clients. WPS_MODE=ops runs every operation in a fixed order against the
// connections named by WPS_CONN_A (alice, in lobby), WPS_CONN_B (bob), WPS_CONN_C
// (anonymous) and WPS_CONN_D (dave), and prints [name, result] pairs as one JSON document;
// void results print as null; a failed call gives {"status": <HTTP status>, "code":
// <RestError.code>, "header": <x-ms-error-code>}.
//
// WPS_MODE=dac uses a TokenCredential instead of the key, so getClientAccessToken calls
// the emulator's :generateToken (the Entra ID path of the SDK). The stand-in credential
// returns an access-key JWT for the hub (the emulator cannot verify Entra tokens), and the
// emulator must be on https (the SDK sends bearer tokens over TLS only).
import { createHmac } from "node:crypto";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const env = process.env;
const client = new WebPubSubServiceClient(env.WPS_CONNSTR, env.WPS_HUB, {
  retryOptions: { maxRetries: 0 },
  allowInsecureConnection: true, // the emulator is plain http on loopback
});

async function tokens() {
  const t = (o) => client.getClientAccessToken(o).then((r) => r.url);
  return {
    alice: await t({ userId: "alice", groups: ["lobby"] }),
    bob: await t({ userId: "bob", roles: ["webpubsub.sendToGroup.lobby"] }),
    anon: await t({}),
    dave: await t({ userId: "dave", expirationTimeInMinutes: 5 }),
  };
}

async function ops() {
  const [a, b, c, d] = [env.WPS_CONN_A, env.WPS_CONN_B, env.WPS_CONN_C, env.WPS_CONN_D];
  const out = [];
  const step = async (name, f) => {
    try {
      const r = await f();
      // Void operations resolve to undefined or to an object without data.
      const empty = r === undefined || JSON.stringify(r) === "{}";
      out.push([name, empty ? null : r]);
    } catch (e) {
      if (e.statusCode === undefined) throw e;
      out.push([name, { status: e.statusCode, code: e.code ?? null, header: e.response?.headers?.get("x-ms-error-code") ?? null }]);
    }
  };
  const text = { contentType: "text/plain" };
  const list = async (group) => {
    const ids = [];
    for await (const m of await client.group(group).listConnections({ maxPageSize: 1 })) {
      ids.push(`${m.connectionId}/${m.userId ?? "null"}`);
    }
    return ids.sort();
  };

  await step("sendToAll text", () => client.sendToAll("hello", text));
  await step("sendToAll json", () => client.sendToAll({ a: 1 }));
  await step("sendToAll binary", () => client.sendToAll(Buffer.from([1, 2, 3])));
  await step("sendToAll excluded", () => client.sendToAll("ex", { ...text, excludedConnections: [b] }));
  await step("sendToAll filter", () => client.sendToAll("f", { ...text, filter: "userId eq 'alice'", messageTtlSeconds: 60 }));
  await step("group send", () => client.group("lobby").sendToAll("g", text));
  await step("group send excluded", () => client.group("lobby").sendToAll("gx", { ...text, excludedConnections: [a] }));
  await step("sendToUser", () => client.sendToUser("bob", "u", text));
  await step("sendToUser filter", () => client.sendToUser("bob", "uf", { ...text, filter: "userId eq 'nobody'" }));
  await step("sendToConnection", () => client.sendToConnection(c, "c", text));
  await step("sendToConnection unknown", () => client.sendToConnection("nope", "c", text));
  await step("connectionExists", () => client.connectionExists(a));
  await step("connectionExists unknown", () => client.connectionExists("nope"));
  await step("userExists", () => client.userExists("bob"));
  await step("userExists unknown", () => client.userExists("carol"));
  await step("groupExists", () => client.groupExists("lobby"));
  await step("groupExists unknown", () => client.groupExists("attic"));
  await step("addConnection", () => client.group("room").addConnection(b));
  await step("addUser", () => client.group("room").addUser("alice"));
  await step("addConnection unknown", () => client.group("room").addConnection("nope"));
  await step("addUser unknown", () => client.group("room").addUser("carol"));
  await step("listConnections", () => list("room"));
  await step("listConnections empty", () => list("attic"));
  await step("room send", () => client.group("room").sendToAll("r", text));
  await step("removeConnection", () => client.group("room").removeConnection(b));
  await step("removeUser", () => client.group("room").removeUser("alice"));
  await step("groupExists room", () => client.groupExists("room"));
  await step("addConnectionsToGroups", () => client.addConnectionsToGroups(["x"], "userId eq null"));
  await step("x send", () => client.group("x").sendToAll("x", text));
  await step("removeConnectionsFromGroups", () => client.removeConnectionsFromGroups(["x"], "userId eq null"));
  await step("groupExists x", () => client.groupExists("x"));
  await step("removeConnectionFromAllGroups", () => client.removeConnectionFromAllGroups(a));
  await step("groupExists lobby", () => client.groupExists("lobby"));
  await step("addConnection lobby", () => client.group("lobby").addConnection(a));
  await step("removeUserFromAllGroups", () => client.removeUserFromAllGroups("alice"));
  await step("groupExists lobby again", () => client.groupExists("lobby"));
  await step("hasPermission role", () => client.hasPermission(b, "sendToGroup", { targetName: "lobby" }));
  await step("grantPermission", () => client.grantPermission(a, "sendToGroup", { targetName: "room" }));
  await step("hasPermission granted", () => client.hasPermission(a, "sendToGroup", { targetName: "room" }));
  await step("revokePermission", () => client.revokePermission(a, "sendToGroup", { targetName: "room" }));
  await step("hasPermission revoked", () => client.hasPermission(a, "sendToGroup", { targetName: "room" }));
  await step("grantPermission unknown", () => client.grantPermission("nope", "joinLeaveGroup", { targetName: "room" }));
  await step("revokePermission no target", () => client.revokePermission(a, "joinLeaveGroup"));
  await step("sendToAll bad filter", () => client.sendToAll("bad", { ...text, filter: "invalid filter" }));
  await step("closeConnection", () => client.closeConnection(c, { reason: "bye c" }));
  await step("closeUserConnections", () => client.closeUserConnections("bob", { reason: "bye bob" }));
  await step("addConnection g", () => client.group("g").addConnection(a));
  await step("group closeAllConnections", () => client.group("g").closeAllConnections({ reason: "bye g" }));
  await step("closeAllConnections", () => client.closeAllConnections({ reason: "bye all" }));
  await step("userExists after close", () => client.userExists("dave"));
  return out;
}

// dac prints the URLs getClientAccessToken returns through :generateToken, or the error.
async function dac() {
  const cs = Object.fromEntries(
    env.WPS_CONNSTR.split(";").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const b64u = (s) => Buffer.from(s).toString("base64url");
  const credential = {
    getToken: async () => {
      const head = b64u(JSON.stringify({ alg: "HS256", typ: "JWT" }));
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const body = b64u(JSON.stringify({ aud: `${cs.Endpoint}/api/hubs/${env.WPS_HUB}`, exp }));
      const sig = createHmac("sha256", cs.AccessKey).update(`${head}.${body}`).digest("base64url");
      return { token: `${head}.${body}.${sig}`, expiresOnTimestamp: exp * 1000 };
    },
  };
  const dacClient = new WebPubSubServiceClient(cs.Endpoint, credential, env.WPS_HUB, { retryOptions: { maxRetries: 0 } });
  const out = {};
  for (const [name, o] of Object.entries({
    default: { userId: "erin", groups: ["lobby"], roles: ["webpubsub.joinLeaveGroup"], expirationTimeInMinutes: 10 },
    mqtt: { userId: "mia", clientProtocol: "mqtt" },
    socketio: { clientProtocol: "socketio" },
  })) {
    try {
      out[name] = (await dacClient.getClientAccessToken(o)).url;
    } catch (e) {
      if (e.statusCode === undefined) throw e;
      out[name] = { status: e.statusCode, header: e.response?.headers?.get("x-ms-error-code") ?? null };
    }
  }
  return out;
}

const modes = { tokens, ops, dac };
const result = await modes[env.WPS_MODE]();
process.stdout.write(JSON.stringify(result));
