/*
 * The call page of talk_calls: a browser client of the public Talk API, plain JavaScript.
 *
 * Join the room (POST room/{token}/participants/active), read the signaling settings,
 * connect the signaling of their mode, join the call (POST call/{token}) and set up one
 * RTCPeerConnection per remote session as the Talk web client does (talk-signaling B4):
 * the larger session id offers, a side with neither audio nor video never offers.
 *
 * One signaling interface, two implementations (the reference's Signaling.Internal and
 * Signaling.Standalone): `internalSignaling` long-polls GET signaling/{token} and posts
 * to it; `standaloneSignaling` speaks the signaling server's WebSocket protocol (hello
 * 1.0, or 2.0 when offered and the server welcomes it with "hello-v2"; talk-signaling C7).
 * Both report `usersInRoom`-shaped lists (`onUsers`) and relayed messages (`onMessage`)
 * and send one message to one peer (`send`). Peers are named by the signaling's own
 * session ids (`state.selfId`): the Talk session id internally, the server's id outside.
 *
 * With an MCU (the server's hello lists "mcu") every sender publishes its stream once to
 * its own signaling session and subscribes to the others' with "requestoffer". Debian's
 * signaling server 0.4.1 refuses every publish of stream type "video" (docs/DEPLOYMENT.md),
 * so towards a server without a welcome message (0.4.x) the camera is published as
 * "screen"; newer servers get "video".
 *
 * Options in the page's query string, for tests and operators: `ice=relay` forces
 * TURN (`iceTransportPolicy: "relay"`).
 */
"use strict";

(function () {
  const API = "/ocs/v2.php/apps/spreed/api";
  const IN_CALL = 1;
  const WITH_AUDIO = 2;
  const WITH_VIDEO = 4;
  const PUBLISH_SCREEN = 64;
  const MODERATOR_TYPES = [1, 2, 6];
  const OFFER_FALLBACK_MS = 10000;
  const REQUEST_TIMEOUT_MS = 10000;
  const WELCOME_WAIT_MS = 3000;
  const SUBSCRIBE_RETRY_MS = 1500;
  // Hello errors that ask for fresh credentials from signaling/settings (talk-signaling C7).
  const STALE_CREDENTIALS = ["token_expired", "invalid_token"];
  const BACKEND_PATH = "ocs/v2.php/apps/spreed/api/v3/signaling/backend";

  const root = document.getElementById("talk-call");
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);

  const options = new URLSearchParams(window.location.search);
  const state = {
    sessionId: null, // the Talk session id
    selfId: null, // this page's id on the signaling channel (peer ids are of this kind)
    signaling: null,
    icePolicy: options.get("ice") === "relay" ? "relay" : "all",
    room: null,
    nick: root.dataset.displayName || "Guest",
    ice: [],
    inCall: false,
    selfSeenInCall: false,
    flags: 0,
    localStream: null,
    screenStream: null,
    audioOn: false,
    videoOn: false,
    hand: false,
    users: new Map(), // signaling session id -> usersInRoom entry
    peers: new Map(), // `${sessionId}|${roomType}` -> peer
    nicks: new Map(), // sessionId -> display name
    fallbacks: new Map(), // sessionId -> timer of delayed offers
    pollGeneration: 0,
    sendQueue: [],
    sending: false,
  };

  // --- plumbing ---------------------------------------------------------------------------

  function tabId() {
    let id = sessionStorage.getItem("talkCallsTabId");
    if (!id || !/^[a-zA-Z0-9]{64}$/.test(id)) {
      const bytes = new Uint8Array(32);
      crypto.getRandomValues(bytes);
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem("talkCallsTabId", id);
    }
    return id;
  }
  const TAB_ID = tabId();

  async function ocs(method, path, body, extra = {}) {
    const headers = {
      "OCS-APIRequest": "true",
      Accept: "application/json",
      "x-nextcloud-talk-session-tab-id": TAB_ID,
    };
    const init = { method, headers, credentials: "same-origin", ...extra };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try {
      const parsed = await response.json();
      data = parsed.ocs ? parsed.ocs.data : parsed;
    } catch (error) {
      data = null;
    }
    return { status: response.status, data };
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function status(text) {
    $("status").textContent = text;
  }

  function error(text) {
    $("error").textContent = text || "";
    $("error").hidden = !text;
  }

  // --- room and signaling ------------------------------------------------------------------

  async function joinRoom() {
    const password = $("room-password").value;
    const answer = await ocs("POST", `${API}/v4/room/${token}/participants/active`, { force: true, password });
    if (answer.status === 403 && answer.data && answer.data.error === "password") {
      $("password-row").hidden = false;
      throw new Error(password ? "Wrong room password." : "This conversation needs a password.");
    }
    if (answer.status === 404) {
      throw new Error("This conversation does not exist, or you may not join it. Log in, or check the link.");
    }
    if (answer.status !== 200) throw new Error(`Could not join the conversation (HTTP ${answer.status}).`);
    state.room = answer.data;
    state.sessionId = answer.data.sessionId;
    $("room-name").textContent = answer.data.displayName || token;
    const guestName = $("guest-name");
    if (guestName && guestName.value.trim()) {
      state.nick = guestName.value.trim();
      await ocs("POST", `${API}/v1/guest/${token}/name`, { displayName: state.nick });
    }
    $("local-name").textContent = `${state.nick} (you)`;
    const settings = await fetchSettings();
    if (state.signaling) state.signaling.close();
    const external = settings.signalingMode !== "internal" && settings.server;
    state.signaling = external ? standaloneSignaling(settings) : internalSignaling();
    root.dataset.signaling = state.signaling.mode;
    await state.signaling.connect();
  }

  /** Return fresh signaling settings (a new ticket or token) and take their ICE servers. */
  async function fetchSettings() {
    const settings = await ocs("GET", `${API}/v3/signaling/settings?token=${encodeURIComponent(token)}`);
    if (settings.status !== 200) throw new Error(`Could not read the signaling settings (HTTP ${settings.status}).`);
    state.ice = [...(settings.data.stunservers || []), ...(settings.data.turnservers || [])];
    return settings.data;
  }

  /** Internal signaling: long-poll GET signaling/{token}, post messages to it (talk-signaling A, B). */
  function internalSignaling() {
    const signaling = {
      mode: "internal",
      mcu: false,
      async connect() {
        state.selfId = state.sessionId;
        startPolling();
      },
      send(message) {
        state.sendQueue.push({ ev: "message", fn: JSON.stringify(message), sessionId: state.sessionId });
        flush();
      },
      close() {
        state.pollGeneration += 1;
      },
    };
    return signaling;
  }

  function startPolling() {
    const generation = ++state.pollGeneration;
    pollLoop(generation);
  }

  async function pollLoop(generation) {
    let failures = 0;
    while (generation === state.pollGeneration) {
      let answer;
      try {
        answer = await ocs("GET", `${API}/v3/signaling/${token}`);
      } catch (problem) {
        answer = { status: 0, data: null };
      }
      if (generation !== state.pollGeneration) return;
      if (answer.status === 200) {
        if (failures) status(state.inCall ? "In the call." : "Connected.");
        failures = 0;
        await handleEntries(answer.data || []);
        continue;
      }
      if (answer.status === 404 || answer.status === 409) {
        await rejoin(answer.status === 409 ? "This conversation was opened elsewhere; rejoining…" : "Session ended; rejoining…");
        return;
      }
      failures += 1;
      status(`Lost connection to the server; retrying (attempt ${failures})…`);
      await sleep(Math.min(10000, 500 * 2 ** failures));
    }
  }

  async function rejoin(message) {
    const wasInCall = state.inCall;
    closeAllPeers();
    state.inCall = false;
    status(message);
    try {
      await joinRoom();
      if (wasInCall) await enterCall();
    } catch (problem) {
      error(problem.message);
      showJoinForm();
    }
  }

  async function handleEntries(entries) {
    for (const entry of entries) {
      if (entry.type === "message") {
        await handleMessage(typeof entry.data === "string" ? JSON.parse(entry.data) : entry.data);
      } else if (entry.type === "usersInRoom") {
        handleUsers(entry.data || []);
      }
    }
  }

  async function flush() {
    if (state.sending || !state.sendQueue.length) return;
    state.sending = true;
    const batch = state.sendQueue.splice(0, 100);
    try {
      const answer = await ocs("POST", `${API}/v3/signaling/${token}`, { messages: JSON.stringify(batch) });
      if (answer.status === 429 || answer.status >= 500) {
        state.sendQueue.unshift(...batch);
        await sleep(1000);
      }
    } catch (problem) {
      state.sendQueue.unshift(...batch);
      await sleep(1000);
    } finally {
      state.sending = false;
    }
    if (state.sendQueue.length) flush();
  }

  /**
   * External signaling: the signaling server's WebSocket `<server>/spreed` (talk-signaling C7).
   * Hello with the settings' ticket (1.0) or token (2.0), join the room as the Talk session,
   * keep the room's sessions from `room` join/leave and `participants` update events, relay
   * messages addressed by the server's session ids. A dropped connection resumes the session
   * (`resumeid`) or, failing that, says hello again.
   */
  function standaloneSignaling(settings) {
    const backendUrl = new URL(root.dataset.backendUrl || BACKEND_PATH, window.location.href).href;
    const server = settings.server.replace(/^http/, "ws").replace(/\/+$/, "");
    const url = /\/spreed$/.test(server) ? server : `${server}/spreed`;
    const pending = new Map(); // message id -> resolve
    const sessions = new Map(); // server session id -> usersInRoom-like entry
    let socket = null;
    let nextId = 1;
    let closed = false;
    let resumeId = null;
    let reconnecting = false;
    let welcome = null;
    let welcomed = null; // resolves when a welcome arrives

    const signaling = {
      mode: "external",
      mcu: false,
      features: [],
      // Debian's 0.4.1 (no welcome message) refuses "video" publishes; it takes "screen".
      publishType: "video",
      async connect() {
        await open();
        await hello();
        await joinSignalingRoom();
      },
      send(message) {
        const kind = message.type === "control" ? "control" : "message";
        transmit({ type: kind, [kind]: { recipient: { type: "session", sessionid: message.to }, data: message } });
      },
      close() {
        closed = true;
        if (socket && socket.readyState <= WebSocket.OPEN) {
          try {
            transmit({ type: "bye", bye: {} });
          } catch (problem) {
            // already closing
          }
          socket.close();
        }
      },
    };

    function transmit(message) {
      // While reconnecting there is nobody to send to: the peers are set up afresh after.
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    function request(message) {
      const id = String(nextId++);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`The signaling server did not answer "${message.type}".`));
        }, REQUEST_TIMEOUT_MS);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        transmit({ id, ...message });
      });
    }

    function open() {
      welcome = null;
      const current = new WebSocket(url);
      socket = current;
      let welcomeArrived;
      welcomed = new Promise((resolve) => (welcomeArrived = resolve));
      current.addEventListener("message", (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (problem) {
          return;
        }
        if (message.type === "welcome") {
          welcome = message.welcome || {};
          welcomeArrived();
        }
        receive(message);
      });
      return new Promise((resolve, reject) => {
        current.addEventListener("open", () => {
          // Only the current socket's end counts: one given up on by a retry is not a drop.
          current.addEventListener("close", () => current === socket && dropped());
          resolve();
        }, { once: true });
        current.addEventListener("error", () => reject(new Error("Could not connect to the signaling server.")), { once: true });
      });
    }

    /**
     * Say hello with the settings' credentials. A ticket or token the server calls expired
     * or invalid (`token_expired`, `invalid_token`) is fetched anew from signaling/settings
     * once, as the Talk web client does, and the hello repeated.
     */
    async function hello({ refreshed = false } = {}) {
      const v2 = settings.helloAuthParams && settings.helloAuthParams["2.0"];
      if (v2) await Promise.race([welcomed, sleep(WELCOME_WAIT_MS)]);
      const version = v2 && welcome && (welcome.features || []).includes("hello-v2") ? "2.0" : "1.0";
      const params = settings.helloAuthParams[version];
      const answer = await request({ type: "hello", hello: { version, auth: { url: backendUrl, params } } });
      const code = answer.type === "error" && answer.error ? answer.error.code : null;
      if (!refreshed && STALE_CREDENTIALS.includes(code)) {
        settings = await fetchSettings();
        await hello({ refreshed: true });
        return;
      }
      if (answer.type !== "hello") throw new Error(`The signaling server refused us: ${describe(answer)}`);
      accepted(answer.hello);
    }

    function accepted(answer) {
      state.selfId = answer.sessionid;
      resumeId = answer.resumeid;
      signaling.features = (answer.server && answer.server.features) || [];
      signaling.mcu = signaling.features.includes("mcu");
      signaling.publishType = welcome ? "video" : "screen";
      root.dataset.mcu = String(signaling.mcu);
    }

    async function joinSignalingRoom() {
      const answer = await request({ type: "room", room: { roomid: token, sessionid: state.sessionId } });
      if (answer.type !== "room") throw new Error(`The signaling server did not let us join: ${describe(answer)}`);
    }

    function describe(answer) {
      return (answer.error && (answer.error.message || answer.error.code)) || answer.type;
    }

    /**
     * The WebSocket closed without our bye: reconnect with backoff (1 s doubling to 10 s).
     * Resume the server session (`resumeid`) while the server still knows it: the room,
     * the peers and their ids stay. Otherwise (the server restarted, or forgot us) start
     * afresh through `rejoin`: a new Talk session, fresh signaling settings and ticket, a
     * new hello, the room and the call joined again, and every peer connection set up anew
     * (the others see our old session leave and the new one join the call).
     */
    async function dropped() {
      if (closed || reconnecting || state.signaling !== signaling) return;
      reconnecting = true;
      try {
        await reconnect();
      } finally {
        reconnecting = false;
      }
    }

    async function reconnect() {
      for (const resolve of pending.values()) resolve({ type: "error", error: { code: "connection_lost" } });
      pending.clear();
      status("Lost connection to the signaling server; reconnecting…");
      for (let attempt = 1; !closed; attempt++) {
        await sleep(Math.min(10000, 500 * 2 ** attempt));
        if (closed) return;
        try {
          await open();
          const answer = resumeId ? await request({ type: "hello", hello: { version: "1.0", resumeid: resumeId } }) : null;
          if (answer && answer.type === "hello") {
            accepted(answer.hello);
            status(state.inCall ? "In the call." : "Connected.");
            return;
          }
          // The session is gone (`no_such_session`): a new one, whose peers start afresh.
          signaling.close();
          await rejoin("Reconnected to the signaling server; rejoining…");
          return;
        } catch (problem) {
          const given = socket;
          socket = null;
          if (given) given.close();
          status(`Lost connection to the signaling server; retrying (attempt ${attempt})…`);
        }
      }
    }

    function publishSessions() {
      handleUsers([...sessions.values()]);
    }

    function receive(message) {
      if (message.id && pending.has(message.id)) {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve(message);
        return;
      }
      if (message.type === "message" || message.type === "control") {
        const body = message[message.type] || {};
        let data = body.data;
        if (typeof data === "string") data = JSON.parse(data);
        if (!data || typeof data !== "object") return;
        const sender = (body.sender && body.sender.sessionid) || null;
        data = { ...data, from: data.from || sender };
        if (message.type === "control") data.type = "control";
        handleMessage(data);
      } else if (message.type === "event") {
        receiveEvent(message.event || {});
      } else if (message.type === "error") {
        console.warn("signaling server error", message.error);
      } else if (message.type === "bye") {
        closed = true;
        leaveLocally("The signaling server ended the session.");
      }
    }

    function receiveEvent(event) {
      if (event.target === "room" && event.type === "join") {
        for (const entry of event.join || []) {
          const known = sessions.get(entry.sessionid) || { sessionId: entry.sessionid, inCall: 0 };
          sessions.set(entry.sessionid, { ...known, userId: entry.userid || "", actorId: entry.userid || "" });
          if (entry.user && entry.user.displayname) state.nicks.set(entry.sessionid, entry.user.displayname);
        }
        publishSessions();
      } else if (event.target === "room" && event.type === "leave") {
        for (const id of event.leave || []) sessions.delete(id);
        publishSessions();
      } else if (event.target === "participants" && event.type === "update") {
        const update = event.update || {};
        if (update.all && Number(update.incall) === 0) {
          for (const entry of sessions.values()) entry.inCall = 0;
        }
        for (const entry of [...(update.changed || []), ...(update.users || [])]) {
          if (!entry.sessionId) continue;
          sessions.set(entry.sessionId, { ...(sessions.get(entry.sessionId) || {}), ...entry });
          if (entry.displayName) state.nicks.set(entry.sessionId, entry.displayName);
        }
        publishSessions();
      } else if (event.target === "roomlist" && (event.type === "disinvite" || event.type === "delete")) {
        const roomId = (event.disinvite || event.delete || {}).roomid;
        if (roomId === token) {
          signaling.close();
          leaveLocally("You were removed from this conversation.");
        }
      }
    }

    return signaling;
  }

  function send(to, type, roomType, payload, sid) {
    const message = { to, type, roomType, payload: payload || {} };
    if (sid) message.sid = sid;
    state.signaling.send(message);
  }

  function sendToAll(type, payload) {
    for (const user of state.users.values()) {
      if (user.sessionId !== state.selfId && user.inCall & IN_CALL) send(user.sessionId, type, "video", payload);
    }
  }

  // --- who is here -------------------------------------------------------------------------

  function handleUsers(list) {
    state.users = new Map(list.map((user) => [user.sessionId, user]));
    renderPeople();
    if (!state.inCall) return;
    const me = state.users.get(state.selfId);
    // Only a list that showed us in the call can end it (an older one may still arrive).
    if (me && me.inCall & IN_CALL) state.selfSeenInCall = true;
    if (me && !(me.inCall & IN_CALL) && state.selfSeenInCall) {
      leaveLocally("The call ended.");
      return;
    }
    const others = list.filter((user) => user.sessionId !== state.selfId && user.inCall & IN_CALL);
    const present = new Set(others.map((user) => user.sessionId));
    present.add(state.selfId); // the MCU publisher's peer is named by our own id
    for (const peer of [...state.peers.values()]) {
      if (!present.has(peer.sessionId)) closePeer(peer);
    }
    for (const tile of document.querySelectorAll(".tile.remote")) {
      if (!present.has(tile.dataset.session)) tile.remove();
    }
    for (const user of others) {
      const tile = tileFor(user.sessionId, "video");
      // Flags tell what a session sends now; mute/unmute messages say it sooner.
      tile.dataset.audio = user.inCall & WITH_AUDIO ? "on" : "off";
      tile.dataset.video = user.inCall & WITH_VIDEO ? "on" : "off";
      renderBadges(tile);
    }
    if (state.signaling.mcu) {
      connectThroughMcu(others);
      return;
    }
    for (const user of others) {
      if (state.peers.has(`${user.sessionId}|video`)) continue;
      const mine = state.flags & (WITH_AUDIO | WITH_VIDEO);
      const theirs = user.inCall & (WITH_AUDIO | WITH_VIDEO);
      if (mine && (!theirs || user.sessionId < state.selfId)) {
        createPeer(user.sessionId, "video", { offer: true });
      } else if (mine && !state.fallbacks.has(user.sessionId)) {
        // The other side should offer; if nothing comes, offer ourselves (as the Talk web client).
        state.fallbacks.set(user.sessionId, setTimeout(() => {
          state.fallbacks.delete(user.sessionId);
          if (state.inCall && state.users.has(user.sessionId) && !state.peers.has(`${user.sessionId}|video`)) {
            createPeer(user.sessionId, "video", { offer: true });
          }
        }, OFFER_FALLBACK_MS));
      }
    }
    if (state.screenStream) {
      for (const user of others) {
        if (!state.peers.has(`${user.sessionId}|screen`)) createPeer(user.sessionId, "screen", { offer: true });
      }
    }
  }

  /**
   * With an MCU: publish our stream once (an offer to our own signaling session) and ask
   * for the stream of every other sender ("requestoffer"), again every SUBSCRIBE_RETRY_MS
   * until its offer came (a publisher may not have published yet).
   */
  function connectThroughMcu(others) {
    const kind = state.signaling.publishType;
    if (state.flags & (WITH_AUDIO | WITH_VIDEO) && !state.peers.has(`${state.selfId}|${kind}`)) {
      createPeer(state.selfId, kind, { offer: true, role: "publisher" });
    }
    for (const user of others) {
      if (!(user.inCall & (WITH_AUDIO | WITH_VIDEO))) continue;
      if (state.peers.has(`${user.sessionId}|${kind}`) || state.fallbacks.has(user.sessionId)) continue;
      const ask = () => {
        if (!state.inCall || !state.users.has(user.sessionId) || state.peers.has(`${user.sessionId}|${kind}`)) {
          state.fallbacks.delete(user.sessionId);
          return;
        }
        send(user.sessionId, "requestoffer", kind, {});
        state.fallbacks.set(user.sessionId, setTimeout(ask, SUBSCRIBE_RETRY_MS));
      };
      ask();
    }
  }

  function renderPeople() {
    const items = [...state.users.values()].map((user) => {
      const item = document.createElement("li");
      item.dataset.session = user.sessionId;
      item.dataset.inCall = String(Boolean(user.inCall & IN_CALL));
      const me = user.sessionId === state.selfId;
      item.textContent = me ? `${state.nick} (you)` : state.nicks.get(user.sessionId) || user.actorId || user.userId || "Guest";
      return item;
    });
    $("people").replaceChildren(...items);
  }

  // --- peers -------------------------------------------------------------------------------

  /**
   * Create the connection to `sessionId` for `roomType`. Roles: "p2p" (a browser at the
   * other end), "publisher" (our stream to the MCU), "subscriber" (a stream from the MCU).
   */
  function createPeer(sessionId, roomType, { offer, sid, role = "p2p" } = {}) {
    const pc = new RTCPeerConnection({ iceServers: state.ice, iceTransportPolicy: state.icePolicy });
    // A camera stream shows in the sender's "video" tile, whatever type it travels as.
    const tileType = role === "p2p" ? roomType : "video";
    const peer = { pc, sessionId, roomType, role, tileKey: `${sessionId}|${tileType}`, sid: sid || String(Date.now()), pending: [], offerer: Boolean(offer), restarts: 0 };
    state.peers.set(`${sessionId}|${roomType}`, peer);
    const stream = state.localStream;
    if (role === "publisher") {
      for (const track of stream ? stream.getTracks() : []) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    } else if (role === "p2p" && roomType === "video") {
      for (const track of stream ? stream.getTracks() : []) pc.addTrack(track, stream);
      if (offer) {
        if (!stream || !stream.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
        if (!stream || !stream.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
      }
    } else if (role === "p2p" && offer && state.screenStream) {
      for (const track of state.screenStream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [state.screenStream] });
    }
    pc.onicecandidate = (event) => {
      if (event.candidate) {
        const { candidate, sdpMid, sdpMLineIndex } = event.candidate;
        send(sessionId, "candidate", roomType, { candidate: { candidate, sdpMid, sdpMLineIndex } }, peer.sid);
      } else {
        send(sessionId, "endOfCandidates", roomType, {}, peer.sid);
      }
    };
    pc.ontrack = (event) => {
      if (role === "publisher" || (roomType === "screen" && role === "p2p" && peer.offerer)) return;
      const tile = tileFor(sessionId, tileType);
      const video = tile.querySelector("video");
      const remote = event.streams[0] || new MediaStream([event.track]);
      if (video.srcObject !== remote) video.srcObject = remote;
    };
    pc.onconnectionstatechange = () => {
      const tile = role === "publisher" ? $("local-tile") : document.querySelector(`.tile[data-key="${CSS.escape(peer.tileKey)}"]`);
      if (tile) tile.dataset.connection = pc.connectionState;
      if (pc.connectionState === "failed" && peer.offerer && peer.restarts < 5) {
        peer.restarts += 1;
        negotiate(peer, { iceRestart: true });
      }
    };
    if (offer) negotiate(peer);
    return peer;
  }

  async function negotiate(peer, options = {}) {
    const description = await peer.pc.createOffer(options);
    await peer.pc.setLocalDescription(description);
    send(peer.sessionId, "offer", peer.roomType, { type: "offer", sdp: description.sdp, nick: state.nick }, peer.sid);
  }

  function closePeer(peer) {
    peer.pc.close();
    state.peers.delete(`${peer.sessionId}|${peer.roomType}`);
    if (peer.role === "p2p" && peer.roomType === "screen") {
      const tile = document.querySelector(`.tile[data-key="${CSS.escape(peer.tileKey)}"]`);
      if (tile) tile.remove();
    }
  }

  function closeAllPeers() {
    for (const peer of [...state.peers.values()]) closePeer(peer);
    for (const timer of state.fallbacks.values()) clearTimeout(timer);
    state.fallbacks.clear();
    for (const tile of document.querySelectorAll(".tile.remote")) tile.remove();
  }

  async function addCandidates(peer, candidates) {
    for (const candidate of candidates) {
      try {
        await peer.pc.addIceCandidate(candidate);
      } catch (problem) {
        console.warn("ICE candidate refused", problem);
      }
    }
  }

  async function handleMessage(message) {
    try {
      await handleSignal(message);
    } catch (problem) {
      console.error("signaling message failed", message && message.type, problem);
    }
  }

  async function handleSignal(message) {
    const from = message.from;
    const mcu = state.signaling && state.signaling.mcu;
    // From ourselves only the MCU's answers to our publisher.
    if (!from || (from === state.selfId && !mcu)) return;
    const roomType = message.roomType === "screen" ? "screen" : "video";
    const key = `${from}|${roomType}`;
    const payload = message.payload || {};
    let peer = state.peers.get(key);
    switch (message.type) {
      case "offer":
        if (!state.inCall) return;
        if (payload.nick) setNick(from, payload.nick);
        if (mcu) {
          // The MCU offers a subscription: a new offer replaces the old connection.
          if (peer) closePeer(peer);
          clearTimeout(state.fallbacks.get(from));
          state.fallbacks.delete(from);
          peer = createPeer(from, roomType, { sid: message.sid, role: "subscriber" });
        } else if (peer && peer.sid !== message.sid && !peer.offerer) {
          closePeer(peer);
          peer = null;
        } else if (peer && peer.offerer && peer.pc.signalingState !== "stable") {
          // Both offered at once: the smaller session id yields (the larger one offers).
          if (state.selfId > from) return;
          closePeer(peer);
          peer = null;
        }
        if (!peer) peer = createPeer(from, roomType, { sid: message.sid });
        await peer.pc.setRemoteDescription({ type: "offer", sdp: payload.sdp });
        await addCandidates(peer, peer.pending.splice(0));
        {
          const answer = await peer.pc.createAnswer();
          await peer.pc.setLocalDescription(answer);
          send(from, "answer", roomType, { type: "answer", sdp: answer.sdp, nick: state.nick }, peer.sid);
        }
        break;
      case "answer":
        if (payload.nick) setNick(from, payload.nick);
        if (peer && peer.pc.signalingState === "have-local-offer") {
          await peer.pc.setRemoteDescription({ type: "answer", sdp: payload.sdp });
          await addCandidates(peer, peer.pending.splice(0));
        }
        break;
      case "candidate":
        if (!peer || !payload.candidate) return;
        if (peer.pc.remoteDescription) await addCandidates(peer, [payload.candidate]);
        else peer.pending.push(payload.candidate);
        break;
      case "mute":
      case "unmute":
        setBadge(from, payload.name, message.type === "unmute");
        break;
      case "raiseHand":
        setHand(from, Boolean(payload.state));
        break;
      case "nickChanged":
        setNick(from, payload.name);
        break;
      case "unshareScreen":
        if (state.peers.has(`${from}|screen`)) closePeer(state.peers.get(`${from}|screen`));
        break;
      case "control":
        if (payload.action === "forceMute" && payload.peerId === state.selfId && state.audioOn) toggleAudio();
        break;
      default:
        break;
    }
  }

  // --- tiles -------------------------------------------------------------------------------

  function tileFor(sessionId, roomType) {
    const key = `${sessionId}|${roomType}`;
    let tile = document.querySelector(`.tile[data-key="${CSS.escape(key)}"]`);
    if (tile) return tile;
    tile = document.createElement("figure");
    tile.className = `tile remote${roomType === "screen" ? " screen" : ""}`;
    tile.dataset.key = key;
    tile.dataset.session = sessionId;
    tile.dataset.roomType = roomType;
    tile.dataset.connection = "new";
    tile.dataset.video = "on";
    tile.dataset.audio = "on";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = (state.nicks.get(sessionId) || "…") + (roomType === "screen" ? " (screen)" : "");
    const badges = document.createElement("span");
    badges.className = "badges";
    caption.append(name, " ", badges);
    tile.append(video, caption);
    $("tiles").append(tile);
    return tile;
  }

  function setNick(sessionId, nick) {
    if (!nick) return;
    state.nicks.set(sessionId, String(nick).slice(0, 64));
    for (const tile of document.querySelectorAll(`.tile.remote[data-session="${CSS.escape(sessionId)}"]`)) {
      tile.querySelector(".name").textContent = state.nicks.get(sessionId) + (tile.dataset.roomType === "screen" ? " (screen)" : "");
    }
    renderPeople();
  }

  function renderBadges(tile) {
    const badges = [];
    if (tile.dataset.audio === "off") badges.push("🔇");
    if (tile.dataset.video === "off") badges.push("📷✕");
    if (tile.dataset.hand === "true") badges.push("✋");
    tile.querySelector(".badges").textContent = badges.join(" ");
  }

  function setBadge(sessionId, name, on) {
    const tile = tileFor(sessionId, "video");
    if (name === "audio" || name === "video") tile.dataset[name] = on ? "on" : "off";
    renderBadges(tile);
  }

  function setHand(sessionId, raised) {
    const tile = tileFor(sessionId, "video");
    tile.dataset.hand = String(raised);
    renderBadges(tile);
  }

  // --- the call ----------------------------------------------------------------------------

  async function getMedia() {
    for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
      try {
        return await navigator.mediaDevices.getUserMedia(constraints);
      } catch (problem) {
        if (problem.name === "NotAllowedError") break;
      }
    }
    error("No camera or microphone permission: you are in the call without sending audio or video.");
    return null;
  }

  async function enterCall() {
    if (!state.localStream) state.localStream = await getMedia();
    const stream = state.localStream;
    state.audioOn = Boolean(stream && stream.getAudioTracks().length);
    state.videoOn = Boolean(stream && stream.getVideoTracks().length);
    state.flags = IN_CALL | (state.audioOn ? WITH_AUDIO : 0) | (state.videoOn ? WITH_VIDEO : 0);
    const answer = await ocs("POST", `${API}/v4/call/${token}`, { flags: state.flags, silent: false });
    if (answer.status !== 200) {
      stopLocalMedia();
      if (answer.status === 412) throw new Error("The lobby is closed: wait until a moderator opens it.");
      if (answer.status === 403) {
        throw new Error(state.room && state.room.readOnly ? "This conversation is read-only: no calls." : "You may not start a call here.");
      }
      if (answer.status === 400 && answer.data && answer.data.error === "consent") throw new Error("This call needs recording consent.");
      throw new Error(`Could not join the call (HTTP ${answer.status}).`);
    }
    state.inCall = true;
    state.selfSeenInCall = false;
    $("local-video").srcObject = stream;
    $("local-tile").hidden = false;
    $("local-tile").dataset.video = state.videoOn ? "on" : "off";
    $("join-form").hidden = true;
    $("controls").hidden = false;
    const moderator = MODERATOR_TYPES.includes(state.room.participantType);
    $("end-call").hidden = !moderator;
    // Through an MCU the page sends its camera only (0.4.1 may carry it as "screen" already).
    $("share-screen").hidden = state.signaling.mcu || !(navigator.mediaDevices.getDisplayMedia && (moderator || state.room.permissions & PUBLISH_SCREEN));
    $("toggle-audio").disabled = !(stream && stream.getAudioTracks().length);
    $("toggle-video").disabled = !(stream && stream.getVideoTracks().length);
    status("In the call.");
    // The list that shows us in the call may have come before the answer.
    handleUsers([...state.users.values()]);
  }

  function stopLocalMedia() {
    for (const stream of [state.localStream, state.screenStream]) {
      for (const track of stream ? stream.getTracks() : []) track.stop();
    }
    state.localStream = null;
    state.screenStream = null;
  }

  function leaveLocally(message) {
    state.inCall = false;
    closeAllPeers();
    stopLocalMedia();
    $("local-tile").hidden = true;
    $("controls").hidden = true;
    showJoinForm();
    status(message);
  }

  function showJoinForm() {
    $("join-form").hidden = false;
    $("join-call").disabled = false;
  }

  async function updateFlags() {
    state.flags = IN_CALL | (state.audioOn ? WITH_AUDIO : 0) | (state.videoOn ? WITH_VIDEO : 0);
    await ocs("PUT", `${API}/v4/call/${token}`, { flags: state.flags });
  }

  async function toggleAudio() {
    state.audioOn = !state.audioOn;
    for (const track of state.localStream ? state.localStream.getAudioTracks() : []) track.enabled = state.audioOn;
    $("toggle-audio").textContent = state.audioOn ? "Mute" : "Unmute";
    $("toggle-audio").setAttribute("aria-pressed", String(!state.audioOn));
    sendToAll(state.audioOn ? "unmute" : "mute", { name: "audio" });
    await updateFlags();
  }

  async function toggleVideo() {
    state.videoOn = !state.videoOn;
    for (const track of state.localStream ? state.localStream.getVideoTracks() : []) track.enabled = state.videoOn;
    $("toggle-video").textContent = state.videoOn ? "Stop video" : "Start video";
    $("toggle-video").setAttribute("aria-pressed", String(!state.videoOn));
    $("local-tile").dataset.video = state.videoOn ? "on" : "off";
    sendToAll(state.videoOn ? "unmute" : "mute", { name: "video" });
    await updateFlags();
  }

  function toggleHand() {
    state.hand = !state.hand;
    $("raise-hand").textContent = state.hand ? "Lower hand" : "Raise hand";
    $("raise-hand").setAttribute("aria-pressed", String(state.hand));
    sendToAll("raiseHand", { state: state.hand, timestamp: Date.now() });
  }

  async function toggleScreen() {
    if (state.screenStream) {
      stopScreen();
      return;
    }
    try {
      state.screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (problem) {
      error("Screen sharing was not allowed.");
      return;
    }
    state.screenStream.getVideoTracks()[0].addEventListener("ended", stopScreen);
    $("share-screen").textContent = "Stop sharing";
    $("share-screen").setAttribute("aria-pressed", "true");
    handleUsers([...state.users.values()]);
  }

  function stopScreen() {
    if (!state.screenStream) return;
    for (const track of state.screenStream.getTracks()) track.stop();
    state.screenStream = null;
    for (const peer of [...state.peers.values()]) {
      if (peer.roomType === "screen" && peer.offerer) {
        send(peer.sessionId, "unshareScreen", "screen", {}, peer.sid);
        closePeer(peer);
      }
    }
    $("share-screen").textContent = "Share screen";
    $("share-screen").setAttribute("aria-pressed", "false");
  }

  async function leaveCall({ everyone = false } = {}) {
    await ocs("DELETE", `${API}/v4/call/${token}`, everyone ? { all: true } : undefined);
    leaveLocally(everyone ? "You ended the call for everyone." : "You left the call.");
  }

  // --- wiring ------------------------------------------------------------------------------

  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    error("");
    $("join-call").disabled = true;
    try {
      if (!state.sessionId) {
        status("Joining the conversation…");
        await joinRoom();
      }
      status("Joining the call…");
      await enterCall();
    } catch (problem) {
      error(problem.message);
      status(state.sessionId ? "In the conversation, not in the call." : "Not joined.");
      showJoinForm();
    }
  });
  $("toggle-audio").addEventListener("click", toggleAudio);
  $("toggle-video").addEventListener("click", toggleVideo);
  $("raise-hand").addEventListener("click", toggleHand);
  $("share-screen").addEventListener("click", toggleScreen);
  $("leave-call").addEventListener("click", () => leaveCall());
  $("end-call").addEventListener("click", () => leaveCall({ everyone: true }));
  window.addEventListener("pagehide", () => {
    if (!state.sessionId) return;
    if (state.signaling) state.signaling.close();
    closeAllPeers();
    ocs("DELETE", `${API}/v4/room/${token}/participants/active`, undefined, { keepalive: true });
  });

  // Exposed for the browser tests and the curious: read-only views of the call.
  window.talkCall = {
    state,
    peerStates: () => [...state.peers.values()].map((peer) => ({ sessionId: peer.sessionId, roomType: peer.roomType, role: peer.role, connection: peer.pc.connectionState })),
    /** Resolve to the types of the local and remote candidates of each connection's selected pair. */
    selectedCandidates: () => Promise.all([...state.peers.values()].map(async (peer) => {
      const stats = await peer.pc.getStats();
      for (const report of stats.values()) {
        if (report.type !== "transport" || !report.selectedCandidatePairId) continue;
        const pair = stats.get(report.selectedCandidatePairId);
        return { sessionId: peer.sessionId, local: stats.get(pair.localCandidateId).candidateType, remote: stats.get(pair.remoteCandidateId).candidateType };
      }
      return { sessionId: peer.sessionId, local: null, remote: null };
    })),
  };
})();
