// The chat page: plain JavaScript, no build step. It asks the app for a client access URL
// (GET negotiate), opens a WebSocket with the json.webpubsub.azure.v1 subprotocol and talks
// to the app through user events ("message", "typing", "join"); the app answers through the
// service (group messages and replies). See examples/chat/README.md for the protocol.
"use strict";

(function () {
  const SUBPROTOCOL = "json.webpubsub.azure.v1";
  const TYPING_EVERY_MS = 2000; // at most one "typing" event per 2 s
  const TYPING_SHOWN_MS = 3000; // how long "x is typing" stays visible

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("status"), error: $("error"), signin: $("signin"), name: $("name"),
    room: $("room"), connect: $("connect"), chat: $("chat"), me: $("me"), count: $("count"),
    current: $("current"), log: $("log"), typing: $("typing"), send: $("send"),
    text: $("text"), switchForm: $("switch"), newroom: $("newroom"), leave: $("leave"),
    people: $("people"),
  };

  let ws = null;
  let me = "";
  let room = "";
  let ackId = 0;
  let lastTyping = 0;
  const pendingAcks = new Map(); // ackId -> what was sent, for error messages
  const typers = new Map(); // name -> timeout handle
  const people = new Set(); // who is in the current room

  function setStatus(text, cls) {
    ui.status.textContent = text;
    ui.status.className = "status " + cls;
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.textContent = "";
    ui.error.hidden = true;
  }

  function addLine(kind, from, text, time) {
    const li = document.createElement("li");
    li.className = kind + (from && from === me ? " mine" : "");
    if (time) {
      const t = document.createElement("span");
      t.className = "time";
      t.textContent = new Date(time).toLocaleTimeString();
      li.appendChild(t);
    }
    if (from) {
      const f = document.createElement("span");
      f.className = "from";
      f.textContent = from;
      li.appendChild(f);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.appendChild(body);
    ui.log.appendChild(li);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function renderTyping() {
    const names = [...typers.keys()];
    ui.typing.textContent = names.length === 0 ? "" :
      names.join(", ") + (names.length === 1 ? " is typing…" : " are typing…");
  }

  function sendEvent(event, data, what) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      showError("Not connected.");
      return false;
    }
    const id = ++ackId;
    pendingAcks.set(id, what || event);
    ws.send(JSON.stringify({ type: "event", event: event, ackId: id, dataType: "json", data: data }));
    return true;
  }

  function renderPeople() {
    ui.people.textContent = "";
    [...people].sort().forEach((name) => {
      const li = document.createElement("li");
      li.textContent = name + (name === me ? " (you)" : "");
      ui.people.appendChild(li);
    });
  }

  function enterRoom(name, users) {
    room = name;
    ui.current.textContent = name;
    ui.log.textContent = "";
    typers.forEach((h) => clearTimeout(h));
    typers.clear();
    renderTyping();
    people.clear();
    (users || []).forEach((u) => people.add(u));
    renderPeople();
  }

  // onData handles the JSON the app sends: group messages and replies to our events.
  function onData(msg) {
    const d = msg.data;
    if (!d || typeof d !== "object") return;
    switch (d.kind) {
      case "message":
        if (d.room !== room) return;
        typers.delete(d.from);
        renderTyping();
        addLine("message", d.from, d.text, d.time);
        break;
      case "system":
        if (d.room !== room) return;
        addLine("system", "", d.text, d.time);
        if (d.presence === "joined") people.add(d.user);
        if (d.presence === "left") people.delete(d.user);
        renderPeople();
        break;
      case "roster":
        if (d.room !== room) return;
        (d.users || []).forEach((u) => people.add(u));
        renderPeople();
        break;
      case "typing":
        if (d.room !== room || d.from === me) return;
        clearTimeout(typers.get(d.from));
        typers.set(d.from, setTimeout(() => { typers.delete(d.from); renderTyping(); }, TYPING_SHOWN_MS));
        renderTyping();
        break;
      case "sent":
        ui.count.textContent = String(d.count);
        break;
      case "joined":
        enterRoom(d.room, d.users);
        addLine("system", "", "You are in #" + d.room, null);
        break;
      case "error":
        showError(d.message);
        break;
    }
  }

  function onMessage(ev) {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      showError("The service sent a message that is not JSON.");
      return;
    }
    switch (msg.type) {
      case "system":
        if (msg.event === "connected") {
          ws.connected = true;
          me = msg.userId || me;
          ui.me.textContent = me;
          setStatus("online", "online");
          ui.signin.hidden = true;
          ui.chat.hidden = false;
          ui.text.focus();
        } else if (msg.event === "disconnected") {
          showError("Disconnected by the service: " + (msg.message || "no reason given"));
        }
        break;
      case "ack":
        if (!msg.success) {
          const what = pendingAcks.get(msg.ackId) || "request";
          const err = msg.error || {};
          showError("The service refused the " + what + ": " + (err.name || "error") +
            (err.message ? " (" + err.message + ")" : ""));
        }
        pendingAcks.delete(msg.ackId);
        break;
      case "message":
        if (msg.dataType === "json") onData(msg);
        else if (msg.dataType === "text") addLine("system", "", msg.data, null);
        break;
    }
  }

  // rejectionReason asks the app why it rejected our connect: a browser cannot read the HTTP
  // status or body of a failed WebSocket handshake, so the app keeps the reason briefly.
  async function rejectionReason(attempt) {
    try {
      const res = await fetch("connect-error?attempt=" + encodeURIComponent(attempt));
      if (res.ok) return (await res.json()).reason;
    } catch (e) { /* fall through */ }
    return "";
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      return body.error || body.message || res.statusText;
    } catch (e) {
      return res.statusText;
    }
  }

  function randomID() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  async function connect(name, roomName) {
    clearError();
    setStatus("connecting", "connecting");
    ui.connect.disabled = true;
    const attempt = randomID();
    let url;
    try {
      const q = new URLSearchParams({ name: name, room: roomName, attempt: attempt });
      const res = await fetch("negotiate?" + q.toString());
      if (!res.ok) {
        throw new Error("Sign-in failed (" + res.status + "): " + (await errorText(res)));
      }
      url = (await res.json()).url;
    } catch (e) {
      setStatus("offline", "offline");
      ui.connect.disabled = false;
      showError(e.message);
      return;
    }

    me = name;
    enterRoom(roomName);
    const sock = new WebSocket(url, SUBPROTOCOL);
    sock.connected = false;
    ws = sock;
    sock.onmessage = onMessage;
    sock.onclose = async (ev) => {
      if (ws !== sock) return;
      ws = null;
      pendingAcks.clear();
      setStatus("offline", "offline");
      ui.connect.disabled = false;
      if (!sock.connected) {
        const reason = ev.reason || await rejectionReason(attempt);
        showError("Connection rejected: " + (reason || "the service refused the WebSocket (code " + ev.code + ")"));
        return;
      }
      ui.chat.hidden = true;
      ui.signin.hidden = false;
      if (!sock.leaving) {
        showError("Connection closed" + (ev.reason ? ": " + ev.reason : " (code " + ev.code + ")"));
      }
    };
  }

  ui.signin.addEventListener("submit", (e) => {
    e.preventDefault();
    connect(ui.name.value.trim(), ui.room.value.trim());
  });

  ui.send.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.text.value.trim();
    if (text === "") return;
    if (sendEvent("message", { text: text }, "message")) ui.text.value = "";
  });

  ui.text.addEventListener("input", () => {
    const now = Date.now();
    if (ui.text.value === "" || now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    sendEvent("typing", {}, "typing notice");
  });

  ui.switchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = ui.newroom.value.trim();
    if (next === "" || next === room) return;
    clearError();
    if (sendEvent("join", { room: next }, "room switch")) ui.newroom.value = "";
  });

  ui.leave.addEventListener("click", () => {
    if (!ws) return;
    ws.leaving = true;
    ws.close(1000, "left");
  });
})();
