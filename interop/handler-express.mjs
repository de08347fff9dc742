// Express app with @azure/web-pubsub-express, the JavaScript side of the middleware interop
// suite (middleware/interop_test.go) and of the HTTP load benchmark (bench/handler-http).
//
// It listens on 127.0.0.1 (port from PORT, default any free port), prints "PORT=<port>" on
// stdout once it listens, and serves two hubs under the SDK's default path
// /api/webpubsub/hubs/{hub}/:
//   - HUB (default "chat") with the funcs below, which the Go test mirrors on our hub;
//   - BARE_HUB (default "bare") with no funcs at all (the SDK's defaults).
// ALLOWED_ENDPOINT (optional) becomes the handler's allowedEndpoints. CUSTOM_PATH (optional)
// also mounts HUB's funcs under that path (options.path).
//
// Notifications (connected, disconnected, joined, left) are recorded; GET /_seen returns
// them as JSON and clears the record.
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const hub = process.env.HUB || "chat";
const bareHub = process.env.BARE_HUB || "bare";
const allowed = process.env.ALLOWED_ENDPOINT ? [process.env.ALLOWED_ENDPOINT] : undefined;

let seen = [];

// context fields the Go side compares (signature and origin are echoed too: the SDK copies
// them unchecked).
function contextView(ctx) {
  return {
    userId: ctx.userId ?? null,
    hub: ctx.hub,
    connectionId: ctx.connectionId,
    eventName: ctx.eventName,
    origin: ctx.origin,
    states: ctx.states,
    clientProtocol: ctx.clientProtocol,
    mqtt: ctx.mqtt ?? null,
  };
}

const funcs = {
  allowedEndpoints: allowed,
  handleConnect(req, res) {
    const q = req.query ?? {};
    const fail = q.fail?.[0];
    if (fail) {
      res.fail(Number(fail), `refused with ${fail}`);
      return;
    }
    if (q.empty) {
      res.success();
      return;
    }
    // Everything decoded from the connect body goes into the state, so the Go test
    // compares the decoding through the (decoded) ce-connectionState answer.
    res.setState("claims", req.claims ?? null);
    res.setState("query", q);
    res.setState("headers", req.headers ?? null);
    res.setState("subprotocols", req.subprotocols ?? []);
    res.setState("clientCertificates", req.clientCertificates ?? []);
    if (req.mqtt) res.setState("mqtt", req.mqtt);
    const out = {
      userId: q.user?.[0] ?? req.claims?.sub?.[0],
      groups: ["lobby"],
      roles: ["webpubsub.joinLeaveGroup.lobby"],
    };
    if (req.subprotocols?.length) out.subprotocol = req.subprotocols[0];
    res.success(out);
  },
  handleUserEvent(req, res) {
    const ctx = req.context;
    switch (ctx.eventName) {
      case "message": // also the load benchmark's event
        res.success(`${ctx.states.user ?? ""}:${req.data}`, "text");
        return;
      case "echo":
        if (req.dataType === "json") res.success(JSON.stringify(req.data), "json");
        else res.success(req.data, req.dataType);
        return;
      case "state": {
        res.setState("last", req.dataType === "json" ? req.data : String(req.data));
        res.setState("n", (ctx.states.n ?? 0) + 1);
        res.success(JSON.stringify(ctx.states), "json");
        return;
      }
      case "clear":
        // The SDK has no "clear": the closest is writing every known key as null.
        for (const k of Object.keys(ctx.states)) res.setState(k, null);
        res.success();
        return;
      case "fail400":
      case "fail401":
      case "fail500":
        res.fail(Number(ctx.eventName.slice(4)), `failed ${ctx.eventName}`);
        return;
      case "typed":
        res.success(JSON.stringify(req.data), "json");
        return;
      case "nothing":
        res.success();
        return;
      case "whoami":
        res.success(JSON.stringify(contextView(ctx)), "json");
        return;
      default:
        res.success(`fallback:${ctx.eventName}:${req.dataType}`, "text");
    }
  },
  onConnected(req) {
    seen.push({ event: "connected", context: contextView(req.context) });
  },
  onDisconnected(req) {
    seen.push({ event: "disconnected", reason: req.reason ?? null, mqtt: req.mqtt ?? null, context: contextView(req.context) });
  },
  onGroupJoined(req) {
    seen.push({ event: "joined", group: req.group, context: contextView(req.context) });
  },
  onGroupLeft(req) {
    seen.push({ event: "left", group: req.group, context: contextView(req.context) });
  },
};
const handler = new WebPubSubEventHandler(hub, funcs);

const bare = new WebPubSubEventHandler(bareHub, { allowedEndpoints: allowed });
// The same funcs for HUB under a custom path (the SDK's options.path).
const custom = process.env.CUSTOM_PATH ? new WebPubSubEventHandler(hub, { ...funcs, path: process.env.CUSTOM_PATH }) : undefined;

const app = express();
app.use(handler.getMiddleware());
app.use(bare.getMiddleware());
if (custom) app.use(custom.getMiddleware());
app.get("/_seen", (_req, res) => {
  res.json(seen);
  seen = [];
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  process.stdout.write(`PORT=${server.address().port}\n`);
});
server.keepAliveTimeout = 65000;

// Stop when the parent goes away (stdin closed) or asks to.
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
