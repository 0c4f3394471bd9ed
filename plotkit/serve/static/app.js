// plotkit serve: the page. Vanilla JS, no build step, nothing fetched from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
const TITLES = {
  pen: "Change the pen",
  pause: "Time to refresh the pen",
  button: "Paused",
  paused: "Paused",
  home: "Carriage to home",
};
const STATES = {
  running: "Plotting",
  prompt: "Waiting for you",
  stopping: "Stopping…",
  stopped: "Stopped",
  finished: "Finished",
  error: "Error",
};

let view = null; // the drawing shown: geometry and estimate from /api/drawing
let viewKey = "";
let server = { boot: "", version: -1, plot: null, last: null, queue: [] };
let following = true; // the preview follows the running plot until another drawing is picked
let realScale = false;
let askedId = 0; // the question the dialog shows
const answered = new Set(); // questions this page answered: a late state must not ask them again
let loading = false; // a drawing is on its way: Plot must not plot the one shown before

// -- helpers ----------------------------------------------------------------------------------
// as plotkit's format_duration writes it: 1h02m03s, 4m05s
function duration(s) {
  if (s == null || !isFinite(s)) return "–";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h ? `${h}h${String(m).padStart(2, "0")}m${sec}s` : `${m}m${sec}s`;
}
const metres = (mm) => `${(mm / 1000).toFixed(2)} m`;

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 8000);
}

async function api(path, body) {
  const init = body === undefined ? { method: "POST" } : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  return answerOf(await fetch(path, init));
}

async function answerOf(response) {
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const message = (data && data.error) || `the server answered ${response.status}`;
    toast(message);
    throw new Error(message);
  }
  if (data && "queue" in data) show(data);
  return data;
}

function settings() {
  return {
    plotter: $("plotter").value,
    optimize: $("optimize").checked,
    rotate: $("rotate").checked,
    pause_every: $("pause-every").value.trim(),
  };
}

function setControls(s) {
  $("plotter").value = s.plotter;
  $("optimize").checked = s.optimize;
  $("rotate").checked = s.rotate;
  $("pause-every").value = s.pause_every || "";
}

// -- the folder and uploads -------------------------------------------------------------------
async function loadSetup(select) {
  const setup = await (await fetch("/api/setup")).json();
  const list = $("drawings");
  list.replaceChildren(new Option("Pick a drawing…", ""));
  for (const name of setup.drawings) list.add(new Option(name, name));
  if (!$("plotter").options.length) {
    for (const name of setup.plotters) $("plotter").add(new Option(name, name));
    $("plotter").value = setup.plotter;
  }
  if (select) list.value = select;
}

async function upload(file) {
  if (!file) return;
  const response = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
  const data = await answerOf(response);
  await loadSetup(data.name);
  following = false;
  await showDrawing(data.name, settings());
}

// -- the sheet --------------------------------------------------------------------------------
function el(name, attrs) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

async function showDrawing(name, s) {
  const key = JSON.stringify([name, s.plotter, s.optimize, s.rotate]);
  if (!name) return;
  if (key === viewKey) return;
  viewKey = key;
  loading = true;
  updateButtons();
  const q = new URLSearchParams({ name, plotter: s.plotter, optimize: s.optimize ? "1" : "0", rotate: s.rotate ? "1" : "0" });
  const response = await fetch(`/api/drawing?${q}`);
  let data;
  try {
    data = await answerOf(response);
  } catch {
    if (viewKey === key) [viewKey, loading] = ["", false];
    updateButtons();
    return;
  }
  if (viewKey !== key) return; // a newer request won
  loading = false;
  view = data;
  $("drawings").value = name;
  drawSheet();
  showEstimate();
}

function drawSheet() {
  const svg = $("sheet");
  const [w, h] = view.page_mm;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.dataset.w = w;
  svg.dataset.h = h;
  svg.replaceChildren();
  const byLayer = view.layers.map(() => []);
  view.strokes.forEach(([layer, d]) => byLayer[layer].push(d));
  view.layers.forEach((layer, i) => {
    const g = el("g", {
      class: "layer", stroke: layer.color, "stroke-width": layer.width_mm, fill: "none",
      "stroke-linecap": "round", "stroke-linejoin": "round",
    });
    g.append(el("path", { class: "todo", d: byLayer[i].join("") }), el("path", { class: "done", d: "" }));
    svg.append(g);
  });
  const t = view.travel_style;
  svg.append(el("path", {
    id: "travel-path", d: view.travel, fill: "none", stroke: t.color, "stroke-width": t.width_mm,
    opacity: t.opacity, visibility: $("travel").checked ? "visible" : "hidden",
  }));
  svg.removeAttribute("hidden");
  $("drop-hint").hidden = true;
  $("sheet-title").textContent = `${view.name} · ${Math.round(w)} × ${Math.round(h)} mm`;
  const legend = $("legend");
  legend.replaceChildren();
  view.layers.forEach((layer, i) => {
    const li = document.createElement("li");
    li.dataset.layer = i;
    li.innerHTML = `<span class="swatch"></span><span class="name"></span><span class="width"></span>`;
    li.querySelector(".swatch").style.background = layer.color;
    li.querySelector(".name").textContent = `${i + 1}. ${layer.name}`;
    li.querySelector(".width").textContent = `${+layer.width_mm.toFixed(2)} mm`;
    legend.append(li);
  });
  fit();
  paintProgress();
}

function fit() {
  const svg = $("sheet");
  if (svg.hasAttribute("hidden")) return;
  const w = +svg.dataset.w, h = +svg.dataset.h;
  const box = $("sheet-scroll");
  box.classList.toggle("real", realScale);
  if (realScale) {
    svg.style.width = `${w}mm`;
    svg.style.height = `${h}mm`;
    return;
  }
  const style = getComputedStyle(box);
  const availW = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const availH = Math.max(240, window.innerHeight * (window.innerWidth <= 820 ? 0.55 : 0.72));
  const scale = Math.min(availW / w, availH / h);
  svg.style.width = `${Math.floor(w * scale)}px`;
  svg.style.height = `${Math.floor(h * scale)}px`;
}

function showEstimate() {
  const e = view.estimate;
  $("est-time").textContent = duration(e.seconds);
  $("est-drawing").textContent = duration(e.drawing_seconds);
  $("est-down").textContent = metres(e.pen_down_mm);
  $("est-up").textContent = metres(e.pen_up_mm);
  $("est-lifts").textContent = e.lifts;
  $("est-layers").textContent = e.layers;
  $("problem").hidden = !view.problem;
  $("problem").textContent = view.problem || "";
  updateButtons();
}

// strokes drawn so far, in plotting order, at full strength; the rest faint
function paintProgress() {
  if (!view) return;
  const plot = server.plot;
  const shown = plot && view.name === plot.name && sameSettings(plot.settings);
  const done = shown && plot.status ? plot.status.strokes_done : 0;
  const parts = view.layers.map(() => []);
  for (let k = 0; k < Math.min(done, view.strokes.length); k++) parts[view.strokes[k][0]].push(view.strokes[k][1]);
  const groups = $("sheet").querySelectorAll("g.layer");
  groups.forEach((g, i) => g.querySelector(".done").setAttribute("d", parts[i].join("")));
  $("sheet").classList.toggle("plotting", !!shown);
  for (const todo of $("sheet").querySelectorAll(".todo")) todo.style.opacity = shown ? "" : "1";
  const current = shown && plot.status ? plot.status.layer : -1;
  for (const li of $("legend").children) li.classList.toggle("current", +li.dataset.layer === current);
}

function sameSettings(s) {
  const mine = JSON.parse(viewKey || "[]");
  return mine[1] === s.plotter && mine[2] === s.optimize && mine[3] === s.rotate;
}

// -- the plot, pushed by the server -----------------------------------------------------------
// States come by two ways, the event stream and the answers to commands, and may cross:
// only one at least as new as the last shown is shown (a new boot is a restarted server).
function isNewer(state) {
  return state.boot !== server.boot || state.version >= server.version;
}

function show(state) {
  if (!isNewer(state)) return;
  server = state;
  const plot = state.plot;
  const run = plot || state.last;
  const pill = $("plotter-state");
  const phase = plot ? plot.state : "idle";
  pill.className = `pill ${phase}`;
  pill.textContent = plot ? STATES[plot.state] : "Idle";

  const card = $("run");
  card.hidden = !run;
  if (run) {
    card.className = `card run ${run.state}`;
    const s = run.status;
    $("run-name").textContent = run.name;
    const percent = s ? Math.floor((100 * s.drawn_mm) / Math.max(s.total_mm, 1e-9)) : 0;
    $("run-percent").textContent = s ? `${run.state === "finished" ? 100 : percent}%` : "";
    $("run-bar").style.width = `${run.state === "finished" ? 100 : percent}%`;
    const layer = $("run-layer");
    layer.replaceChildren();
    if (s) {
      const color = run.layers && run.layers[s.layer] ? run.layers[s.layer].color : "#000";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = color;
      layer.append(sw, `Pen ${s.layer + 1}/${s.layers}: ${s.layer_name}`);
    }
    $("run-drawn").textContent = s ? `${(s.drawn_mm / 1000).toFixed(2)} / ${metres(s.total_mm)}` : "–";
    $("run-strokes").textContent = s ? `${s.strokes_done}/${s.strokes}` : "–";
    $("run-elapsed").textContent = s ? duration(s.elapsed_s) : "–";
    $("run-eta").textContent = s && run.state !== "finished" ? duration(s.eta_s) : "–";
    $("run-message").textContent = run.state === "running" ? "" : run.message || "";
    const live = plot && ["running", "prompt", "stopping"].includes(plot.state);
    const parked = plot && ["stopped", "error"].includes(plot.state);
    $("pause").hidden = $("stop").hidden = !live;
    $("pause").disabled = !plot || plot.state !== "running";
    $("stop").disabled = !plot || plot.state === "stopping";
    $("resume").hidden = $("start-over").hidden = !parked;
    $("show-plot").hidden = !plot || following;
  }
  if (plot && following) {
    setControls(plot.settings);
    showDrawing(plot.name, plot.settings);
  }
  ask(plot && plot.question);
  showQueue();
  paintProgress();
  updateButtons();
}

function ask(question) {
  const dialog = $("prompt");
  if (!question || answered.has(question.id)) {
    if (dialog.open) dialog.close();
    return;
  }
  if (question.id === askedId && dialog.open) return;
  askedId = question.id;
  $("prompt-title").textContent = TITLES[question.kind] || "The plotter waits";
  $("prompt-message").textContent = `${question.message}.`;
  $("prompt-skip").hidden = question.kind !== "pause";
  $("prompt-continue").textContent = question.kind === "pen" ? "The pen is in: go on" : "Continue";
  if (!dialog.open) dialog.showModal();
}

function showQueue() {
  const list = $("queue");
  list.replaceChildren();
  server.queue.forEach((item, i) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = item.name;
    const remove = document.createElement("button");
    remove.className = "ghost";
    remove.textContent = "Remove";
    remove.onclick = () => api("/api/unqueue", { index: i }).catch(() => {});
    li.append(name, remove);
    list.append(li);
  });
  $("queue-count").textContent = server.queue.length || "";
  $("queue-empty").hidden = server.queue.length > 0;
  $("next").hidden = !server.queue.length || !!server.plot;
}

function updateButtons() {
  const ready = !!view && !view.problem && !loading;
  $("plot").disabled = !ready || !!server.plot;
  $("enqueue").disabled = !ready;
}

// -- wiring -----------------------------------------------------------------------------------
function pickedChanged() {
  following = false;
  viewKey = "";
  showDrawing($("drawings").value, settings());
}

function connect() {
  const events = new EventSource("/api/events");
  events.onmessage = (e) => show(JSON.parse(e.data));
  events.onerror = () => {
    $("plotter-state").textContent = "Reconnecting…";
  };
}

window.addEventListener("DOMContentLoaded", async () => {
  await loadSetup();
  connect();
  $("drawings").onchange = pickedChanged;
  for (const id of ["plotter", "optimize", "rotate"]) $(id).onchange = pickedChanged;
  $("travel").onchange = () => {
    const t = document.getElementById("travel-path");
    if (t) t.setAttribute("visibility", $("travel").checked ? "visible" : "hidden");
  };
  $("file").onchange = () => upload($("file").files[0]).catch(() => {}).finally(() => ($("file").value = ""));
  const area = document.body;
  area.addEventListener("dragover", (e) => { e.preventDefault(); $("sheet-scroll").classList.add("dragging"); });
  area.addEventListener("dragleave", () => $("sheet-scroll").classList.remove("dragging"));
  area.addEventListener("drop", (e) => {
    e.preventDefault();
    $("sheet-scroll").classList.remove("dragging");
    upload(e.dataTransfer.files[0]).catch(() => {});
  });
  const body = () => ({ name: view.name, settings: settings() });
  $("plot").onclick = () => { following = true; api("/api/plot", body()).catch(() => {}); };
  $("enqueue").onclick = () => api("/api/queue", body()).catch(() => {});
  $("next").onclick = () => { following = true; api("/api/next").catch(() => {}); };
  $("pause").onclick = () => api("/api/pause").catch(() => {});
  $("stop").onclick = () => api("/api/stop").catch(() => {});
  $("resume").onclick = () => { following = true; api("/api/resume").catch(() => {}); };
  $("start-over").onclick = () => {
    if (confirm("Forget this plot's progress and plot it from the start later?")) api("/api/start-over").catch(() => {});
  };
  $("show-plot").onclick = () => { following = true; show(server); };
  $("scale-fit").onclick = () => { realScale = false; $("scale-fit").classList.add("on"); $("scale-real").classList.remove("on"); fit(); };
  $("scale-real").onclick = () => { realScale = true; $("scale-real").classList.add("on"); $("scale-fit").classList.remove("on"); fit(); };
  window.addEventListener("resize", fit);
  const dialog = $("prompt");
  dialog.addEventListener("cancel", (e) => e.preventDefault()); // Esc does not answer
  for (const button of dialog.querySelectorAll("button[data-choice]")) {
    button.onclick = () => {
      const id = askedId;
      answered.add(id);
      dialog.close();
      api("/api/answer", { id, choice: button.dataset.choice }).catch(() => {});
    };
  }
});
