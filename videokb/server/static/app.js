// videokb's page: plain JS, no build step, nothing fetched from elsewhere. Talks to /api only.
"use strict";
const $ = (sel) => document.querySelector(sel);
const state = { results: [], selected: -1, image: null, query: "", video: null, offset: 0, videos: [], config: {} };
window.videokb = state;  // read by the browser test (player offset when a clip plays)

function mmss(t) {
  t = Math.max(0, Math.round(t));
  const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
  const p = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${p(m)}:${p(s)}` : `${p(m)}:${p(s)}`;
}
function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
const STOPWORDS = new Set("a an and are as at be by did do does for from how in is it of on or the to was what when where which who why with".split(" "));
function highlight(text, query) {
  const words = ((query || "").toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) || []).filter((w) => !STOPWORDS.has(w));
  const html = esc(text);
  if (!words.length) return html;
  // Whole words, with a short ending ("cost" marks "costs").
  const re = new RegExp("(?<![\\p{L}\\p{N}])(?:" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")\\p{L}{0,2}(?![\\p{L}\\p{N}])", "giu");
  return html.replace(/(<[^>]*>)|([^<]+)/g, (m, tag, txt) => tag || txt.replace(re, "<mark>$&</mark>"));
}
function toast(msg) {
  const t = $("#toast"); t.textContent = msg; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.hidden = true), 6000);
}

async function api(path, opts = {}) {
  const resp = await fetch(path, opts);
  if (resp.status === 401 && !opts.retried) {
    const token = prompt("This server needs its API token:");
    if (token) {
      const r = await fetch("/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
      if (r.ok) return api(path, { ...opts, retried: true });
    }
  }
  const body = (resp.headers.get("content-type") || "").includes("json") ? await resp.json() : await resp.text();
  if (!resp.ok) throw new Error((body && body.detail) || `${resp.status} ${resp.statusText}`);
  return body;
}

// ---------------------------------------------------------------- search
function modalities() {
  return ["speech", "ocr", "visual"].filter((m) => $("#mod-" + m).checked);
}

async function runSearch() {
  const q = $("#q").value.trim();
  const video = $("#video-filter").value;
  if (!q && !state.image) return;
  $("#search-status").textContent = "searching…";
  const t0 = performance.now();
  try {
    let results;
    if (state.image) {
      const fd = new FormData();
      fd.append("image", state.image, state.image.name || "picture.png");
      if (video) fd.append("video_ids", video);
      fd.append("k", "24");
      results = await api("/api/search/image", { method: "POST", body: fd });
      state.query = "";
    } else {
      results = await api("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: q, modalities: modalities(), video_ids: video ? [video] : [], k: 24 }) });
      state.query = q;
    }
    state.results = results;
    $("#search-status").textContent = `${results.length} moments in ${Math.round(performance.now() - t0)} ms`;
    renderResults();
  } catch (e) {
    $("#search-status").textContent = "";
    toast(e.message);
  }
}

function renderResults() {
  const box = $("#results");
  box.innerHTML = "";
  if (!state.results.length) { box.innerHTML = '<p class="muted">No matching moments.</p>'; return; }
  state.results.forEach((m, i) => {
    const card = document.createElement("article");
    card.className = "card"; card.tabIndex = 0; card.dataset.index = i;
    card.dataset.videoId = m.video_id; card.dataset.start = m.start_s;
    const thumb = m.keyframe ? `<img loading="lazy" alt="" src="/api/videos/${m.video_id}/keyframes/${m.keyframe.frame_idx}.jpg">` : "";
    const boxes = m.boxes.map((b) => {
      const [x0, y0, x1, y1] = b.bbox_xyxy;
      return `<rect class="${b.kind === "ocr" ? "ocr" : "region"}" x="${x0 * 100}" y="${y0 * 100}" width="${(x1 - x0) * 100}" height="${(y1 - y0) * 100}"><title>${esc(b.text)}</title></rect>`;
    }).join("");
    card.innerHTML = `<div class="thumb">${thumb}<svg viewBox="0 0 100 100" preserveAspectRatio="none">${boxes}</svg></div>
      <div class="meta"><div class="name" title="${esc(m.name)}">${esc(m.name)}</div>
      <div class="when">${mmss(m.start_s)}-${mmss(m.end_s)}</div>
      <div>${m.modalities.map((x) => `<span class="chip ${x}">${x}</span>`).join("")}</div>
      <div class="snippet">${highlight(m.snippet, state.query)}</div></div>`;
    card.addEventListener("click", () => { select(i); play(m.video_id, m.start_s); });
    box.appendChild(card);
  });
  select(0, false);
}

function select(i, focus = true) {
  const cards = document.querySelectorAll(".card");
  if (!cards.length) return;
  i = Math.max(0, Math.min(cards.length - 1, i));
  cards.forEach((c) => c.classList.remove("selected"));
  cards[i].classList.add("selected");
  if (focus) { cards[i].focus(); cards[i].scrollIntoView({ block: "nearest" }); }
  state.selected = i;
}

function columns() {
  const cards = document.querySelectorAll(".card");
  if (cards.length < 2) return 1;
  const top = cards[0].offsetTop;
  let n = 0; for (const c of cards) { if (c.offsetTop !== top) break; n++; }
  return n;
}

// ---------------------------------------------------------------- image queries
function setImage(file) {
  if (!file || !file.type.startsWith("image/")) { toast("That is not a picture."); return; }
  if (state.config.max_image_bytes && file.size > state.config.max_image_bytes) { toast("The picture is too large."); return; }
  state.image = file;
  $("#image-preview").src = URL.createObjectURL(file);
  $("#image-chip").hidden = false;
  runSearch();
}
function clearImage() { state.image = null; $("#image-chip").hidden = true; $("#image-file").value = ""; }

// ---------------------------------------------------------------- player
async function play(videoId, start) {
  const player = $("#player");
  $("#player-panel").hidden = false;
  if (!state.video || state.video.video_id !== videoId) {
    const v = await api(`/api/videos/${videoId}`);
    state.video = v;
    $("#player-title").textContent = v.name;
    loadTimeline(videoId);
  }
  const v = state.video;
  let src, offset = 0;
  if (v.playable) {
    src = `/api/videos/${videoId}/media`;
    $("#player-note").textContent = "";
  } else {  // the browser cannot play this file: a short H.264 clip around the moment
    offset = Math.max(0, start - 5);
    src = `/api/videos/${videoId}/clip?start_s=${offset.toFixed(1)}&end_s=${(offset + 60).toFixed(1)}`;
    $("#player-note").textContent = `(${v.video_codec} file: playing a clip from ${mmss(offset)})`;
  }
  const target = start - offset;
  if (player.dataset.src !== src) {
    player.dataset.src = src;
    state.offset = offset;
    player.src = src;
    player.addEventListener("loadedmetadata", () => { player.currentTime = target; player.play().catch(() => {}); }, { once: true });
  } else {
    player.currentTime = target;
    player.play().catch(() => {});
  }
  drawStrip(videoId);
}

async function loadTimeline(videoId) {
  const t = await api(`/api/videos/${videoId}/timeline`);
  const fill = (ol, rows) => {
    ol.innerHTML = "";
    rows.forEach((r) => {
      const li = document.createElement("li");
      li.dataset.start = r.start_s; li.dataset.end = r.end_s;
      li.innerHTML = `<time>${mmss(r.start_s)}</time>${esc(r.text)}`;
      li.addEventListener("click", () => play(videoId, r.start_s));
      ol.appendChild(li);
    });
  };
  fill($("#transcript"), t.segments);
  fill($("#onscreen"), t.ocr);
}

async function drawStrip(videoId) {
  const strip = $("#strip");
  const duration = state.video.duration_s || 1;
  let moments = state.results.filter((m) => m.video_id === videoId);
  if (state.query) {
    try {
      moments = await api("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: state.query, modalities: modalities(), video_ids: [videoId], k: 50 }) });
    } catch (e) { /* the strip keeps the moments already listed */ }
  }
  strip.innerHTML = '<div class="now"></div>';
  moments.forEach((m) => {
    const d = document.createElement("div");
    d.className = "mark";
    d.style.left = (100 * m.start_s / duration) + "%";
    d.style.width = (100 * (m.end_s - m.start_s) / duration) + "%";
    d.title = `${mmss(m.start_s)}-${mmss(m.end_s)}`;
    d.addEventListener("click", () => play(videoId, m.start_s));
    strip.appendChild(d);
  });
}

function followPlayback() {
  const t = $("#player").currentTime + state.offset;
  for (const ol of [$("#transcript"), $("#onscreen")]) {
    let active = null;
    for (const li of ol.children) {
      const on = t >= +li.dataset.start && t < +li.dataset.end;
      li.classList.toggle("active", on);
      if (on && !active) active = li;
    }
    if (active) ol.scrollTop = active.offsetTop - ol.offsetTop - ol.clientHeight / 3;
  }
  const now = $("#strip .now");
  if (now && state.video) now.style.left = (100 * t / (state.video.duration_s || 1)) + "%";
}

// ---------------------------------------------------------------- ask
function ask(question) {
  $("#draft").textContent = ""; $("#answer").textContent = "thinking…"; $("#citations").innerHTML = "";
  const es = new EventSource(`/api/ask?q=${encodeURIComponent(question)}`);
  es.addEventListener("token", (e) => {
    if ($("#answer").textContent === "thinking…") $("#answer").textContent = "";
    $("#draft").textContent += JSON.parse(e.data).text;
  });
  es.addEventListener("answer", (e) => {
    es.close();
    const r = JSON.parse(e.data);
    $("#draft").textContent = "";
    $("#answer").textContent = r.answer;  // only the supported sentences
    $("#citations").innerHTML = "";
    const seen = new Set();
    r.citations.forEach((c) => {
      if (seen.has(c.n)) return; seen.add(c.n);
      const b = document.createElement("button");
      b.className = "cite"; b.dataset.videoId = c.video_id; b.dataset.start = c.start_s;
      b.textContent = `[${c.n}] ${c.name} ${mmss(c.start_s)}-${mmss(c.end_s)}`;
      b.addEventListener("click", () => play(c.video_id, c.start_s));
      $("#citations").appendChild(b);
    });
  });
  es.addEventListener("error", (e) => {
    es.close();
    let msg = "the answer stream broke off";
    try { msg = JSON.parse(e.data).detail; } catch (_) { /* a network error carries no data */ }
    $("#answer").textContent = "";
    toast(msg);
  });
}

// ---------------------------------------------------------------- library
async function loadVideos() {
  state.videos = await api("/api/videos");
  const sel = $("#video-filter");
  sel.length = 1;
  state.videos.forEach((v) => sel.add(new Option(v.name, v.video_id)));
  const tbody = $("#videos tbody");
  tbody.innerHTML = "";
  state.videos.forEach((v) => {
    const models = Object.entries(v.models || {}).map(([k, m]) => `${k}: ${String(m).split(":")[0]}`).join(", ");
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${esc(v.name)}</td><td>${mmss(v.duration_s || 0)}</td><td>${esc(v.language || "-")}</td>
      <td>${v.speech_words_per_min ?? "-"}</td><td>${v.n_keyframes ?? "-"}</td><td>${esc(models)}</td><td>${esc((v.ingested_at || "").slice(0, 19).replace("T", " "))}</td>`;
    tbody.appendChild(tr);
  });
}

async function loadStatus() {
  const s = await api("/api/status");
  const run = s.last_run;
  const files = Object.entries(s.files).map(([k, n]) => `${n} ${k}`).join(", ");
  $("#run-status").textContent = run
    ? `${new Date(run.started_at * 1000).toLocaleString()}: ${run.status}${files ? " — " + files : ""}`
    : "no ingest has run on this index yet";
  if (s.server_ingest.error) $("#run-status").textContent += ` — ${s.server_ingest.error}`;
  $("#run-failed").innerHTML = s.failed.map((f) => `<li>${esc(f.path)}: ${esc(f.reason)}</li>`).join("");
  $("#run-remaining").innerHTML = s.remaining.map((f) => `<li>remaining: ${esc(f.path)} (${esc(f.state)})</li>`).join("");
  const live = (run && run.status === "running") || s.server_ingest.running;
  clearTimeout(loadStatus.timer);
  if (live && !$("#view-library").hidden) loadStatus.timer = setTimeout(() => { loadStatus(); loadVideos(); }, 2000);
}

function show(view) {
  document.querySelectorAll(".view").forEach((v) => (v.hidden = v.id !== "view-" + view));
  document.querySelectorAll(".tab[data-view]").forEach((t) => t.classList.toggle("active", t.dataset.view === view));
  if (view === "library") { loadVideos(); loadStatus(); }
}

// ---------------------------------------------------------------- wiring
document.addEventListener("DOMContentLoaded", async () => {
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); if ($("#q").value.trim()) clearImage(); runSearch(); });
  $("#ask-form").addEventListener("submit", (e) => { e.preventDefault(); const q = $("#question").value.trim(); if (q) ask(q); });
  $("#image-file").addEventListener("change", (e) => setImage(e.target.files[0]));
  $("#image-clear").addEventListener("click", clearImage);
  document.querySelectorAll(".tab[data-view]").forEach((t) => t.addEventListener("click", () => show(t.dataset.view)));
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("dragging"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("dragging");
    if (e.dataTransfer.files.length) setImage(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
    if (item) { e.preventDefault(); setImage(item.getAsFile()); }
  });
  $("#player").addEventListener("timeupdate", followPlayback);
  $("#ingest-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/api/ingest", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ folder: $("#ingest-folder").value }) });
      $("#ingest-msg").textContent = "ingest started";
      loadStatus();
    } catch (err) { $("#ingest-msg").textContent = err.message; }
  });
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (e.key === "/" && !typing) { e.preventDefault(); $("#q").focus(); $("#q").select(); return; }
    if ($("#view-search").hidden || !state.results.length) return;
    if (typing && !(document.activeElement.id === "q" && e.key === "ArrowDown")) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() }[e.key];
    if (step !== undefined) {
      e.preventDefault();
      select(document.activeElement.id === "q" ? 0 : state.selected + step);
    } else if (e.key === "Enter" && state.selected >= 0) {
      e.preventDefault();
      const m = state.results[state.selected];
      play(m.video_id, m.start_s);
    }
  });
  try {
    state.config = await api("/api/config");
    $("#ingest-admin").hidden = !state.config.allow_ingest;
    await loadVideos();
  } catch (e) { toast(e.message); }
});
