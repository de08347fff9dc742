// Interop: an @azure/web-pubsub-express app receiving the Go emulator's upstream calls.
// Driven by emulator/interop_express_test.go.
//
// Listens on 127.0.0.1 (any port) and writes one JSON object per line to stdout:
//   {"event":"listening","port":N}
//   {"event":"connect",...} {"event":"connected",...} {"event":"user",...} {"event":"disconnected",...}
// connect: rejects query reject=1 with 401, else userId "express-<query user>", group
//          "lobby", role to send to it, state {"visits":0}.
// user events: increments state.visits and answers "<event>:<data>:visits=<n>" as text.
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const handler = new WebPubSubEventHandler("chat", {
  path: "/api/webpubsub/hubs/chat/",
  handleConnect(req, res) {
    const q = req.queries ?? req.query ?? {};
    out({
      event: "connect",
      connectionId: req.context.connectionId,
      userId: req.context.userId ?? null,
      subprotocols: req.subprotocols ?? [],
      claimSub: req.claims?.sub ?? null,
      query: q,
    });
    if (q.reject && q.reject[0] === "1") {
      res.fail(401, "rejected by express");
      return;
    }
    res.setState("visits", 0);
    res.success({
      userId: "express-" + (q.user ? q.user[0] : "anon"),
      groups: ["lobby"],
      roles: ["webpubsub.sendToGroup.lobby"],
    });
  },
  onConnected(req) {
    out({ event: "connected", connectionId: req.context.connectionId, userId: req.context.userId, states: req.context.states });
  },
  handleUserEvent(req, res) {
    const visits = (req.context.states.visits ?? 0) + 1;
    out({
      event: "user",
      name: req.context.eventName,
      connectionId: req.context.connectionId,
      userId: req.context.userId,
      dataType: req.dataType,
      data: req.dataType === "binary" ? Buffer.from(req.data).toString("base64") : req.data,
      visits,
    });
    res.setState("visits", visits);
    const data = typeof req.data === "string" ? req.data : JSON.stringify(req.data);
    res.success(`${req.context.eventName}:${data}:visits=${visits}`, "text");
  },
  onDisconnected(req) {
    out({
      event: "disconnected",
      connectionId: req.context.connectionId,
      userId: req.context.userId,
      reason: req.reason ?? null,
      states: req.context.states,
    });
  },
});

const app = express();
app.use(handler.getMiddleware());
const server = app.listen(0, "127.0.0.1", () => {
  out({ event: "listening", port: server.address().port });
});
// The Go test kills the process when it is done.
