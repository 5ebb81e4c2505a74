/*
 * The call page of talk_calls: a browser client of the public Talk API, plain JavaScript.
 *
 * Join the room (POST room/{token}/participants/active), read the signaling settings,
 * long-poll GET signaling/{token} for messages and usersInRoom, join the call
 * (POST call/{token}) and set up one RTCPeerConnection per remote session as the Talk web
 * client does (talk-signaling B4): the larger session id offers, a side with neither audio
 * nor video never offers. Offers, answers and candidates go through POST signaling/{token}.
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

  const root = document.getElementById("talk-call");
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);

  const state = {
    sessionId: null,
    room: null,
    nick: root.dataset.displayName || "Guest",
    ice: [],
    inCall: false,
    flags: 0,
    localStream: null,
    screenStream: null,
    audioOn: false,
    videoOn: false,
    hand: false,
    users: new Map(), // sessionId -> usersInRoom entry
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
    const settings = await ocs("GET", `${API}/v3/signaling/settings?token=${encodeURIComponent(token)}`);
    if (settings.status === 200) state.ice = [...(settings.data.stunservers || []), ...(settings.data.turnservers || [])];
    startPolling();
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
        await rejoin(answer.status);
        return;
      }
      failures += 1;
      status(`Lost connection to the server; retrying (attempt ${failures})…`);
      await sleep(Math.min(10000, 500 * 2 ** failures));
    }
  }

  async function rejoin(httpStatus) {
    const wasInCall = state.inCall;
    closeAllPeers();
    state.inCall = false;
    status(httpStatus === 409 ? "This conversation was opened elsewhere; rejoining…" : "Session ended; rejoining…");
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
        const message = typeof entry.data === "string" ? JSON.parse(entry.data) : entry.data;
        try {
          await handleMessage(message);
        } catch (problem) {
          console.error("signaling message failed", message.type, problem);
        }
      } else if (entry.type === "usersInRoom") {
        handleUsers(entry.data || []);
      }
    }
  }

  function send(to, type, roomType, payload, sid) {
    const fn = { to, type, roomType, payload: payload || {} };
    if (sid) fn.sid = sid;
    state.sendQueue.push({ ev: "message", fn: JSON.stringify(fn), sessionId: state.sessionId });
    flush();
  }

  function sendToAll(type, payload) {
    for (const user of state.users.values()) {
      if (user.sessionId !== state.sessionId && user.inCall & IN_CALL) send(user.sessionId, type, "video", payload);
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

  // --- who is here -------------------------------------------------------------------------

  function handleUsers(list) {
    state.users = new Map(list.map((user) => [user.sessionId, user]));
    renderPeople();
    if (!state.inCall) return;
    const me = state.users.get(state.sessionId);
    if (me && !(me.inCall & IN_CALL)) {
      leaveLocally("The call ended.");
      return;
    }
    const others = list.filter((user) => user.sessionId !== state.sessionId && user.inCall & IN_CALL);
    const present = new Set(others.map((user) => user.sessionId));
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
      if (state.peers.has(`${user.sessionId}|video`)) continue;
      const mine = state.flags & (WITH_AUDIO | WITH_VIDEO);
      const theirs = user.inCall & (WITH_AUDIO | WITH_VIDEO);
      if (mine && (!theirs || user.sessionId < state.sessionId)) {
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

  function renderPeople() {
    const items = [...state.users.values()].map((user) => {
      const item = document.createElement("li");
      item.dataset.session = user.sessionId;
      item.dataset.inCall = String(Boolean(user.inCall & IN_CALL));
      const me = user.sessionId === state.sessionId;
      item.textContent = me ? `${state.nick} (you)` : state.nicks.get(user.sessionId) || user.actorId || user.userId || "Guest";
      return item;
    });
    $("people").replaceChildren(...items);
  }

  // --- peers -------------------------------------------------------------------------------

  function createPeer(sessionId, roomType, { offer, sid } = {}) {
    const pc = new RTCPeerConnection({ iceServers: state.ice });
    const peer = { pc, sessionId, roomType, sid: sid || String(Date.now()), pending: [], offerer: Boolean(offer), restarts: 0 };
    state.peers.set(`${sessionId}|${roomType}`, peer);
    if (roomType === "video") {
      const stream = state.localStream;
      for (const track of stream ? stream.getTracks() : []) pc.addTrack(track, stream);
      if (offer) {
        if (!stream || !stream.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
        if (!stream || !stream.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
      }
    } else if (offer && state.screenStream) {
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
      if (roomType === "screen" && peer.offerer) return;
      const tile = tileFor(sessionId, roomType);
      const video = tile.querySelector("video");
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (video.srcObject !== stream) video.srcObject = stream;
    };
    pc.onconnectionstatechange = () => {
      const tile = document.querySelector(`.tile[data-key="${CSS.escape(`${sessionId}|${roomType}`)}"]`);
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
    if (peer.roomType === "screen") {
      const tile = document.querySelector(`.tile[data-key="${CSS.escape(`${peer.sessionId}|screen`)}"]`);
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
    const from = message.from;
    if (!from || from === state.sessionId) return;
    const roomType = message.roomType === "screen" ? "screen" : "video";
    const key = `${from}|${roomType}`;
    const payload = message.payload || {};
    let peer = state.peers.get(key);
    switch (message.type) {
      case "offer":
        if (!state.inCall) return;
        if (payload.nick) setNick(from, payload.nick);
        if (peer && peer.sid !== message.sid && !peer.offerer) {
          closePeer(peer);
          peer = null;
        } else if (peer && peer.offerer && peer.pc.signalingState !== "stable") {
          // Both offered at once: the smaller session id yields (the larger one offers).
          if (state.sessionId > from) return;
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
        if (payload.action === "forceMute" && payload.peerId === state.sessionId && state.audioOn) toggleAudio();
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
    $("local-video").srcObject = stream;
    $("local-tile").hidden = false;
    $("local-tile").dataset.video = state.videoOn ? "on" : "off";
    $("join-form").hidden = true;
    $("controls").hidden = false;
    const moderator = MODERATOR_TYPES.includes(state.room.participantType);
    $("end-call").hidden = !moderator;
    $("share-screen").hidden = !(navigator.mediaDevices.getDisplayMedia && (moderator || state.room.permissions & PUBLISH_SCREEN));
    $("toggle-audio").disabled = !(stream && stream.getAudioTracks().length);
    $("toggle-video").disabled = !(stream && stream.getVideoTracks().length);
    status("In the call.");
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
    state.pollGeneration += 1;
    closeAllPeers();
    ocs("DELETE", `${API}/v4/room/${token}/participants/active`, undefined, { keepalive: true });
  });

  // Exposed for the browser tests and the curious: read-only views of the call.
  window.talkCall = {
    state,
    peerStates: () => [...state.peers.values()].map((peer) => ({ sessionId: peer.sessionId, roomType: peer.roomType, connection: peer.pc.connectionState })),
  };
})();
