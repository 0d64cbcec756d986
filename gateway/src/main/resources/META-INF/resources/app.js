// The t2i page: compose a prompt, follow the job as it runs, browse earlier jobs.
// Everything the server says is put on the page with textContent, never parsed as HTML.

const KEY_STORAGE = "t2i.apiKey";
const SSE = "text/event-stream";
const SCHEDULER_DEFAULT = "SCHEDULER_UNSPECIFIED";
const TERMINAL_STATES = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"]);
const WINDOW_HUES = 4;
const TOKENIZE_DELAY_MS = 200;
const MAX_RECONNECTS = 3;
const PAGE_SIZE = 20;
const ALT_PROMPT_CHARS = 200;

const STATE_WORDS = {
  QUEUED: "Queued",
  TOKENIZING: "Tokenizing",
  ENCODING: "Encoding",
  DENOISING: "Denoising",
  SUCCEEDED: "Done",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
  EXPIRED: "Expired",
};

const ERROR_WORDS = {
  CANCELLED: "Cancelled",
  DEADLINE_EXCEEDED: "Timed out",
  RESOURCE_EXHAUSTED: "Refused",
  UNAVAILABLE: "Unavailable",
};

// Request field (snake_case, as error bodies name it) -> id of the input that edits it.
const FIELD_INPUTS = new Map([
  ["prompt", "prompt"],
  ["negative_prompt", "negative"],
  ["width", "width"],
  ["height", "height"],
  ["steps", "steps"],
  ["guidance_scale", "guidance"],
  ["count", "count"],
  ["seed", "seed"],
  ["model", "model"],
  ["scheduler", "scheduler"],
]);

const $ = (id) => document.getElementById(id);

const form = $("generate-form");
const promptInput = $("prompt");
const modelSelect = $("model");
const schedulerSelect = $("scheduler");
const generateButton = $("generate");
const statusLine = $("status");
const progressBar = $("progress");
const previewImage = $("preview");
const resultBox = $("result");
const cancelButton = $("cancel");
const galleryList = $("gallery-list");
const stateFilter = $("state-filter");
const moreButton = $("gallery-more");
const detailDialog = $("job-detail");
const keyDialog = $("api-key-dialog");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function withRetryHint(message, retryAfterMs) {
  const seconds = Math.ceil(Number(retryAfterMs || 0) / 1000);
  if (seconds <= 0) return message;
  const stop = /[.!?]$/.test(message) ? "" : ".";
  return `${message}${stop} Try again in ${plural(seconds, "second", "seconds")}.`;
}

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Object URLs pin their blobs in memory until revoked, so each view keeps the ones it made.
function urlBag() {
  const urls = [];
  return {
    add(blob) {
      const url = URL.createObjectURL(blob);
      urls.push(url);
      return url;
    },
    revokeAll() {
      urls.splice(0).forEach((url) => URL.revokeObjectURL(url));
    },
  };
}

function pngBlob(base64) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: "image/png" });
}

// ---------------------------------------------------------------------------------------------
// API calls and the key

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || "";
    this.field = body.field || "";
    this.retryAfterMs = Number(body.retryAfterMs || 0);
  }

  static async from(response) {
    let body = {};
    try {
      body = await response.json();
    } catch {
      // A proxy in between may answer with HTML; the status is all there is to say then.
    }
    if (!body || typeof body !== "object") body = {};
    if (!body.message) body = { ...body, message: `${response.status} ${response.statusText}`.trim() };
    return new ApiError(response.status, body);
  }
}

const auth = {
  key: readStoredKey(),
  needed: false,
  pending: null,
};

function readStoredKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

function storeKey(key) {
  auth.key = key;
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage can be switched off; the key then lives only as long as the page.
  }
  updateKeyLinks();
}

function updateKeyLinks() {
  $("enter-key").hidden = !(auth.needed && !auth.key);
}

// Every call that meets a 401 while the dialog is open waits for the same answer.
function askForKey(reason) {
  if (!auth.pending) {
    auth.pending = new Promise((resolve) => {
      $("api-key-message").textContent = reason;
      $("api-key-error").textContent = "";
      $("api-key").value = "";
      keyDialog.returnValue = "";
      keyDialog.addEventListener("close", () => {
        auth.pending = null;
        resolve(keyDialog.returnValue === "saved");
      }, { once: true });
      keyDialog.showModal();
    });
  }
  return auth.pending;
}

async function api(path, { method = "GET", json, signal, accept = "application/json" } = {}) {
  for (;;) {
    const usedKey = auth.key;
    const headers = { Accept: accept };
    if (json !== undefined) headers["Content-Type"] = "application/json";
    if (usedKey) headers.Authorization = `Bearer ${usedKey}`;
    const response = await fetch(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      signal,
      cache: "no-store",
    });
    if (response.ok) return response;
    const error = await ApiError.from(response);
    if (response.status !== 401) throw error;
    // Another call may have brought a new key while this one was on the way.
    if (auth.key && auth.key !== usedKey) continue;
    auth.needed = true;
    updateKeyLinks();
    const reason = usedKey
      ? `The key was not accepted (${error.message}). Enter a valid key.`
      : "This service needs an API key.";
    if (!(await askForKey(reason))) throw error;
  }
}

async function getJson(path, options) {
  const response = await api(path, options);
  return response.json();
}

function jobPath(jobId) {
  return `/api/jobs/${encodeURIComponent(jobId)}`;
}

async function fetchImage(jobId, index) {
  const response = await api(`${jobPath(jobId)}/images/${index}.png`, { accept: "image/png" });
  return response.blob();
}

// EventSource cannot send the Authorization header, so the stream is read and parsed here.
// Calls onEvent(name, data) per event; stops and returns true once onEvent returns true.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let scanned = 0;
  let name = "";
  let data = [];

  const dispatch = () => {
    const eventName = name || "message";
    const payload = data.join("\n");
    const had = data.length > 0;
    name = "";
    data = [];
    if (!had) return false;
    let parsed;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return false;
    }
    return onEvent(eventName, parsed) === true;
  };

  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let end;
      // Image events carry megabytes of base64 on one line; scanning from where the last
      // search stopped keeps a long line from being searched again with every chunk.
      while ((end = buffer.indexOf("\n", scanned)) >= 0) {
        let line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        scanned = 0;
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line === "") {
          if (dispatch()) return true;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") name = fieldValue;
        else if (field === "data") data.push(fieldValue);
      }
      scanned = buffer.length;
      if (done) return dispatch();
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Models and the form

const models = new Map();

async function loadModels() {
  const answer = await getJson("/api/models");
  const list = answer.models || [];
  models.clear();
  const options = list.map((model) => {
    models.set(model.name, model);
    const option = el("option", "", model.isDefault ? `${model.name} (default)` : model.name);
    option.value = model.name;
    option.selected = Boolean(model.isDefault);
    return option;
  });
  if (options.length === 0) {
    const option = el("option", "", "Server default");
    option.value = "";
    options.push(option);
  }
  modelSelect.replaceChildren(...options);
  applyModelDefaults();
}

function applyModelDefaults() {
  const model = models.get(modelSelect.value);
  $("width").placeholder = model?.defaultWidth ? String(model.defaultWidth) : "default";
  $("height").placeholder = model?.defaultHeight ? String(model.defaultHeight) : "default";
  schedulerSelect.options[0].textContent = model?.defaultScheduler
    ? `Model default (${model.defaultScheduler})`
    : "Model default";
}

function ensureOption(select, value) {
  if (![...select.options].some((option) => option.value === value)) {
    const option = el("option", "", value);
    option.value = value;
    select.append(option);
  }
  select.value = value;
}

// Empty fields are left out so that the server applies its own defaults.
function readRequest() {
  const request = { prompt: promptInput.value };
  const negative = $("negative").value;
  if (negative.trim()) request.negativePrompt = negative;
  if (modelSelect.value) request.model = modelSelect.value;
  for (const [key, id] of [["width", "width"], ["height", "height"], ["steps", "steps"],
    ["guidanceScale", "guidance"], ["count", "count"]]) {
    const value = $(id).value.trim();
    if (value !== "") request[key] = Number(value);
  }
  if (schedulerSelect.value && schedulerSelect.value !== SCHEDULER_DEFAULT) {
    request.scheduler = schedulerSelect.value;
  }
  // int64 travels as a string: JSON numbers lose precision past 2^53.
  const seed = $("seed").value.trim();
  if (seed) request.seed = seed;
  request.previews = $("previews").checked;
  return request;
}

function fillForm(request, keepSeed) {
  promptInput.value = request.prompt || "";
  $("negative").value = request.negativePrompt || "";
  if (request.model) ensureOption(modelSelect, request.model);
  applyModelDefaults();
  $("width").value = request.width || "";
  $("height").value = request.height || "";
  $("steps").value = request.steps || "";
  // The effective request has every default filled in, so a missing number really is 0.
  $("guidance").value = String(request.guidanceScale || 0);
  $("count").value = request.count || "";
  ensureOption(schedulerSelect, request.scheduler || SCHEDULER_DEFAULT);
  $("seed").value = keepSeed ? request.seed || "0" : "";
  $("previews").checked = Boolean(request.previews);
  scheduleTokenize();
}

function clearErrors() {
  for (const [field, id] of FIELD_INPUTS) {
    $(`error-${field}`).textContent = "";
    $(id).removeAttribute("aria-invalid");
  }
  $("form-error").textContent = "";
}

function showFieldError(field, message) {
  $(`error-${field}`).textContent = message;
  const input = $(FIELD_INPUTS.get(field));
  input.setAttribute("aria-invalid", "true");
  return input;
}

// A number input reports "" for text it cannot parse; say so instead of silently dropping it.
function checkNumbers() {
  let first = null;
  for (const [field, id] of FIELD_INPUTS) {
    const input = $(id);
    if (input.type === "number" && input.validity.badInput) {
      const marked = showFieldError(field, "Enter a number.");
      first ??= marked;
    }
  }
  first?.focus();
  return first === null;
}

function showRefusal(error) {
  if (!(error instanceof ApiError)) {
    $("form-error").textContent = `Could not reach the service: ${error.message}`;
    return;
  }
  const message = withRetryHint(error.message, error.retryAfterMs);
  if (FIELD_INPUTS.has(error.field)) {
    showFieldError(error.field, message).focus();
  } else {
    $("form-error").textContent = message;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors();
  if (!checkNumbers()) return;
  generate(readRequest());
});

promptInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

modelSelect.addEventListener("change", () => {
  applyModelDefaults();
  scheduleTokenize();
});

// ---------------------------------------------------------------------------------------------
// Following a job

const watch = {
  controller: null,
  jobId: "",
  prompt: "",
  running: false,
  shown: new Set(),
  urls: urlBag(),
};

function setStatus(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("is-error", isError);
}

function setRunning(running) {
  watch.running = running;
  cancelButton.disabled = !running;
}

// Only one job is followed at a time; starting another stops listening to the previous one
// (which keeps running on the server and shows up in the gallery).
function beginWatch(prompt) {
  watch.controller?.abort();
  const controller = new AbortController();
  watch.controller = controller;
  watch.jobId = "";
  watch.prompt = prompt;
  watch.shown.clear();
  watch.urls.revokeAll();
  setRunning(false);
  resultBox.replaceChildren();
  previewImage.hidden = true;
  previewImage.removeAttribute("src");
  progressBar.max = 1;
  progressBar.value = 0;
  $("job-id").textContent = "";
  $("seed-used").textContent = "";
  return controller;
}

async function generate(request) {
  const controller = beginWatch(request.prompt);
  setStatus("Submitting…");
  statusLine.scrollIntoView({ block: "nearest" });
  generateButton.disabled = true;
  let response;
  try {
    response = await api("/api/generate", {
      method: "POST", json: request, signal: controller.signal, accept: SSE,
    });
  } catch (error) {
    if (controller.signal.aborted) return;
    showRefusal(error);
    setStatus("Not started.", true);
    return;
  } finally {
    generateButton.disabled = false;
  }
  await follow(controller, response);
}

function watchJob(job) {
  const request = job.request || {};
  const controller = beginWatch(request.prompt || "");
  watch.jobId = job.jobId;
  $("job-id").textContent = job.jobId;
  $("seed-used").textContent = request.seed || "0";
  progressBar.max = job.totalSteps || request.steps || 1;
  progressBar.value = job.step || 0;
  setRunning(true);
  setStatus(describeProgress(job.state || "", job.step || 0, job.totalSteps || 0));
  statusLine.scrollIntoView({ block: "nearest" });
  follow(controller, null);
}

// Reads the job's events; if the connection drops before the job ends, listens again on
// /api/jobs/{id}/events, which serves the same events for a job already accepted.
async function follow(controller, firstResponse) {
  const { signal } = controller;
  let response = firstResponse;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response ??= await api(`${jobPath(watch.jobId)}/events`, { signal, accept: SSE });
      const ended = await readEvents(response, (name, data) => !signal.aborted && handleJobEvent(name, data));
      if (ended) return;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError) {
        setRunning(false);
        setStatus(`Lost track of the job: ${error.message}`, true);
        return;
      }
    }
    if (signal.aborted) return;
    response = null;
    if (!watch.jobId || attempt >= MAX_RECONNECTS) {
      setRunning(false);
      setStatus("Lost the connection to the job. The gallery shows how it ends.", true);
      return;
    }
    setStatus("Connection lost; reconnecting…");
    await delay(1000 * (attempt + 1));
    if (signal.aborted) return;
  }
}

// Returns true for the events after which the job is over.
function handleJobEvent(name, data) {
  switch (name) {
    case "accepted":
      onAccepted(data);
      return false;
    case "progress":
      onProgress(data);
      return false;
    case "preview":
      onPreview(data);
      return false;
    case "image":
      addResultImage(pngBlob(data.png || ""), data);
      return false;
    case "completed":
      onCompleted(data.job || {});
      return true;
    case "error":
      onJobError(data);
      return true;
    default:
      // Keep-alives and events this page does not know yet.
      return false;
  }
}

function onAccepted(data) {
  const request = data.effectiveRequest || {};
  watch.jobId = data.jobId || "";
  if (request.prompt !== undefined) watch.prompt = request.prompt;
  $("job-id").textContent = watch.jobId;
  $("seed-used").textContent = request.seed || "0";
  progressBar.max = request.steps || 1;
  progressBar.value = 0;
  setRunning(true);
  setStatus("Accepted.");
}

function queuePlace(position) {
  if (!position) return "";
  const ahead = Number(position.jobsAhead || 0);
  let text = ahead === 0 ? "next in line" : `${plural(ahead, "job", "jobs")} ahead`;
  if (position.stage) text += ` at ${position.stage}`;
  const start = position.estimatedStart ? new Date(position.estimatedStart) : null;
  if (start && !Number.isNaN(start.getTime())) {
    text += `, expected to start about ${start.toLocaleTimeString()}`;
  }
  return `: ${text}`;
}

function describeProgress(state, step, total, position) {
  const word = STATE_WORDS[state] || "Working";
  if (state === "QUEUED") return `${word}${queuePlace(position)}`;
  if (state === "DENOISING" && total > 0) return `${word}: step ${step} of ${total}`;
  return `${word}…`;
}

function onProgress(data) {
  const step = data.step || 0;
  const total = data.totalSteps || 0;
  if (total > 0) {
    progressBar.max = total;
    progressBar.value = Math.min(step, total);
  }
  setStatus(describeProgress(data.state || "", step, total, data.queuePosition));
}

function onPreview(data) {
  const step = data.step || 0;
  previewImage.src = `data:image/png;base64,${data.png || ""}`;
  // The attributes give the scaled-up image the right aspect ratio before it loads.
  if (data.width) previewImage.width = data.width;
  if (data.height) previewImage.height = data.height;
  previewImage.alt = `Approximate preview of image ${(data.index || 0) + 1} at step ${step} of ${data.totalSteps || 0}`;
  previewImage.hidden = false;
}

function addResultImage(blob, image) {
  const index = image.index || 0;
  if (watch.shown.has(index)) return;
  watch.shown.add(index);
  const seed = image.seed || "0";
  const url = watch.urls.add(blob);
  const figure = el("figure");
  const img = el("img", "result-image");
  img.src = url;
  img.alt = `Generated image for “${truncate(watch.prompt, ALT_PROMPT_CHARS)}”, seed ${seed}`;
  if (image.width) img.width = image.width;
  if (image.height) img.height = image.height;
  const caption = el("figcaption", "", `Seed ${seed} · ${image.width || "?"} × ${image.height || "?"} · `);
  const link = el("a", "result-download", "Download");
  link.href = url;
  link.download = `t2i-${watch.jobId}-${index}.png`;
  caption.append(link);
  figure.append(img, caption);
  resultBox.append(figure);
}

// Images whose events were missed (reconnects, watching a job started elsewhere) are fetched.
function fetchMissingImages(job) {
  const jobId = job.jobId || watch.jobId;
  const controller = watch.controller;
  for (const image of job.images || []) {
    const index = image.index || 0;
    if (watch.shown.has(index)) continue;
    fetchImage(jobId, index)
      .then((blob) => {
        if (watch.controller === controller) addResultImage(blob, image);
      })
      .catch(() => {
        // The gallery offers the job's images again.
      });
  }
}

function onCompleted(job) {
  setRunning(false);
  progressBar.value = progressBar.max;
  const state = job.state || "SUCCEEDED";
  if (state === "SUCCEEDED") {
    setStatus(`Done: ${plural((job.images || []).length, "image", "images")}.`);
  } else {
    setStatus(`${STATE_WORDS[state] || state}${job.reason ? `: ${job.reason}` : "."}`, true);
  }
  fetchMissingImages(job);
  loadGallery(true);
}

function onJobError(data) {
  setRunning(false);
  const code = data.code || "";
  const message = data.message || code || "the job ended without an image";
  setStatus(withRetryHint(`${ERROR_WORDS[code] || "Failed"}: ${message}`, data.retryAfterMs), true);
  if (watch.jobId) loadGallery(true);
}

cancelButton.addEventListener("click", async () => {
  const jobId = watch.jobId;
  if (!jobId) return;
  cancelButton.disabled = true;
  setStatus("Cancelling…");
  try {
    // The event stream reports the outcome; the answer here only says the request arrived.
    await api(`${jobPath(jobId)}/cancel`, { method: "POST", json: {} });
  } catch (error) {
    if (watch.jobId !== jobId) return;
    setStatus(`Could not cancel: ${error.message}`, true);
    cancelButton.disabled = !watch.running;
  }
});

// ---------------------------------------------------------------------------------------------
// Token inspector

const inspector = { timer: 0, controller: null };

function scheduleTokenize() {
  clearTimeout(inspector.timer);
  inspector.timer = setTimeout(tokenize, TOKENIZE_DELAY_MS);
}

async function tokenize() {
  inspector.controller?.abort();
  const prompt = promptInput.value;
  if (!prompt.trim()) {
    inspector.controller = null;
    $("tokens").replaceChildren();
    $("token-counts").textContent = "Type a prompt to see its tokens.";
    $("inspector-error").textContent = "";
    return;
  }
  const controller = new AbortController();
  inspector.controller = controller;
  const body = { prompt };
  if (modelSelect.value) body.model = modelSelect.value;
  try {
    const answer = await getJson("/api/tokenize", { method: "POST", json: body, signal: controller.signal });
    if (inspector.controller !== controller) return;
    renderTokens(answer);
    $("inspector-error").textContent = "";
  } catch (error) {
    if (controller.signal.aborted) return;
    $("inspector-error").textContent = `Tokens unavailable: ${error.message}`;
  }
}

function tokenSpan(token) {
  const span = el("span", "token");
  const cutOff = Boolean(token.cutOff);
  const chunk = token.chunk || 0;
  if (cutOff) span.classList.add("cut-off");
  else span.classList.add(`window-${chunk}`, `hue-${chunk % WINDOW_HUES}`);
  if (token.endOfWord) span.classList.add("end-of-word");
  span.append(el("span", "token-text", token.text || ""));

  const title = [];
  if (token.byteFragment) {
    span.classList.add("byte-fragment");
    title.push("part of a character: raw bytes");
    span.append(el("span", "visually-hidden", " (part of a character)"));
  }
  // Protobuf JSON leaves out zeros, so a missing weight is 0, not 1. Rounding hides float32 noise.
  const weight = Math.round((token.weight || 0) * 1000) / 1000;
  if (weight !== 1) {
    span.dataset.weight = String(weight);
    span.append(el("span", "token-weight", `×${weight}`));
  }
  title.push(`id ${token.id || 0}`, `position ${token.position || 0}`, `weight ${weight}`);
  title.push(cutOff ? "cut off" : `window ${chunk + 1}`);
  span.title = title.join(" · ");
  return span;
}

function renderTokens(answer) {
  const tokens = answer.tokens || [];
  const groups = [];
  let group = null;
  let groupKey = null;
  const perWindow = [];
  for (const token of tokens) {
    const cutOff = Boolean(token.cutOff);
    const chunk = token.chunk || 0;
    if (!cutOff) perWindow[chunk] = (perWindow[chunk] || 0) + 1;
    // Grouping with a text label shows the windows without relying on the colours.
    const key = cutOff ? "cut" : chunk;
    if (key !== groupKey) {
      group = el("div", "token-group");
      group.append(el("span", "group-label", cutOff ? "cut off" : `window ${chunk + 1}`));
      groups.push(group);
      groupKey = key;
    }
    group.append(tokenSpan(token));
  }
  $("tokens").replaceChildren(...groups);

  // Every window keeps two places for its start and end markers.
  const usable = Math.max((answer.window || 0) - 2, 0);
  const windows = Math.max(answer.chunkCount || 0, perWindow.length);
  const parts = [];
  for (let i = 0; i < windows; i += 1) {
    const count = perWindow[i] || 0;
    parts.push(i === 0 ? `window 1: ${count} of ${usable} tokens` : `window ${i + 1}: ${count} of ${usable}`);
  }
  const cut = answer.cutOffCount || 0;
  if (cut > 0) {
    const limit = answer.maxChunks ? ` (at most ${plural(answer.maxChunks, "window", "windows")})` : "";
    parts.push(`${plural(cut, "token", "tokens")} cut off${limit}`);
  }
  $("token-counts").textContent = parts.length ? parts.join(" · ") : "No tokens.";
}

promptInput.addEventListener("input", scheduleTokenize);

// ---------------------------------------------------------------------------------------------
// Gallery

const gallery = { seq: 0, nextPageToken: "", urls: urlBag() };

async function loadGallery(reset) {
  if (reset) gallery.seq += 1;
  const seq = gallery.seq;
  const params = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
  if (!reset && gallery.nextPageToken) params.set("pageToken", gallery.nextPageToken);
  if (stateFilter.value) params.set("state", stateFilter.value);
  moreButton.disabled = true;
  galleryList.setAttribute("aria-busy", "true");
  try {
    const page = await getJson(`/api/jobs?${params}`);
    if (seq !== gallery.seq) return;
    // The old page stays until the new one is here, so the list does not flicker.
    if (reset) {
      gallery.urls.revokeAll();
      galleryList.replaceChildren();
    }
    galleryList.append(...(page.jobs || []).map((job) => jobCard(job, seq)));
    gallery.nextPageToken = page.nextPageToken || "";
    moreButton.hidden = !gallery.nextPageToken;
    $("gallery-empty").hidden = galleryList.children.length > 0;
    $("gallery-error").textContent = "";
  } catch (error) {
    if (seq === gallery.seq) $("gallery-error").textContent = `Could not load the jobs: ${error.message}`;
  } finally {
    if (seq === gallery.seq) {
      moreButton.disabled = false;
      galleryList.removeAttribute("aria-busy");
    }
  }
}

function clearGallery() {
  gallery.seq += 1;
  gallery.urls.revokeAll();
  gallery.nextPageToken = "";
  galleryList.replaceChildren();
  moreButton.hidden = true;
  $("gallery-empty").hidden = false;
}

// dt and dd go straight into the list so that a two-column grid lines them up.
function addRow(list, term, value, className = "") {
  list.append(el("dt", "", term), el("dd", className, String(value)));
}

function jobCard(job, seq) {
  const request = job.request || {};
  const state = job.state || "STATE_UNSPECIFIED";
  const card = el("article", "job-card");
  card.tabIndex = 0;
  card.dataset.jobId = job.jobId || "";
  card.dataset.state = state;

  const thumb = el("div", "thumb");
  loadThumbnail(thumb, job, seq);

  const prompt = request.prompt || "";
  const heading = el("h3", "job-prompt", prompt || "(empty prompt)");
  heading.title = prompt;

  const meta = el("dl", "job-meta");
  addRow(meta, "Size", `${request.width || "?"} × ${request.height || "?"}`);
  addRow(meta, "Steps", request.steps || 0);
  addRow(meta, "Seed", request.seed || "0", "mono");
  const stateValue = el("dd");
  stateValue.append(el("span", `state-badge state-${state}`, state));
  meta.append(el("dt", "", "State"), stateValue);
  if (job.reason) addRow(meta, "Reason", job.reason);

  card.append(thumb, heading, meta);
  return card;
}

function loadThumbnail(holder, job, seq) {
  const first = (job.images || [])[0];
  if (!first) {
    holder.textContent = "No image";
    return;
  }
  fetchImage(job.jobId, first.index || 0)
    .then((blob) => {
      if (seq !== gallery.seq) return;
      const img = el("img");
      // The prompt is right below; the picture adds nothing a screen reader needs.
      img.alt = "";
      img.src = gallery.urls.add(blob);
      holder.append(img);
    })
    .catch(() => {
      holder.textContent = "Image unavailable";
    });
}

galleryList.addEventListener("click", (event) => {
  const card = event.target.closest(".job-card");
  if (card) openDetail(card.dataset.jobId, card);
});

galleryList.addEventListener("keydown", (event) => {
  const card = event.target;
  if ((event.key === "Enter" || event.key === " ") && card.classList.contains("job-card")) {
    event.preventDefault();
    openDetail(card.dataset.jobId, card);
  }
});

stateFilter.addEventListener("change", () => loadGallery(true));
moreButton.addEventListener("click", () => loadGallery(false));

// ---------------------------------------------------------------------------------------------
// Job detail

const detail = { jobId: "", job: null, urls: urlBag(), returnFocus: null };

async function openDetail(jobId, opener) {
  detail.jobId = jobId;
  detail.job = null;
  detail.returnFocus = opener;
  detail.urls.revokeAll();
  $("detail-job-id").textContent = jobId;
  $("detail-state").textContent = "Loading…";
  $("detail-error").textContent = "";
  $("detail-images").replaceChildren();
  $("detail-params").replaceChildren();
  $("detail-transitions").replaceChildren();
  $("detail-reason").textContent = "";
  $("detail-watch").hidden = true;
  $("rerun-same").disabled = true;
  $("rerun-new").disabled = true;
  if (!detailDialog.open) detailDialog.showModal();
  try {
    const job = await getJson(jobPath(jobId));
    if (detail.jobId !== jobId) return;
    detail.job = job;
    renderDetail(job);
  } catch (error) {
    if (detail.jobId !== jobId) return;
    $("detail-state").textContent = "";
    $("detail-error").textContent = `Could not load the job: ${error.message}`;
  }
}

function renderDetail(job) {
  const request = job.request || {};
  const state = job.state || "STATE_UNSPECIFIED";
  const steps = job.totalSteps ? ` · step ${job.step || 0} of ${job.totalSteps}` : "";
  $("detail-state").textContent = `State: ${state}${steps}`;

  const images = [...(job.images || [])].sort((a, b) => (a.index || 0) - (b.index || 0));
  const box = $("detail-images");
  if (images.length === 0) box.append(el("p", "hint", "No images."));
  for (const image of images) box.append(detailFigure(job, image));

  const params = $("detail-params");
  addRow(params, "Prompt", request.prompt || "");
  addRow(params, "Negative prompt", request.negativePrompt || "—");
  addRow(params, "Model", request.model || "—");
  addRow(params, "Size", `${request.width || "?"} × ${request.height || "?"}`);
  addRow(params, "Steps", request.steps || 0);
  addRow(params, "Guidance scale", request.guidanceScale || 0);
  addRow(params, "Scheduler", request.scheduler || SCHEDULER_DEFAULT);
  addRow(params, "Seed", request.seed || "0");
  addRow(params, "Images", request.count || 0);
  addRow(params, "Previews", request.previews ? "yes" : "no");

  const transitions = $("detail-transitions");
  for (const transition of job.transitions || []) {
    const item = el("li", "", `${transition.state || "STATE_UNSPECIFIED"} · `);
    const time = el("time");
    const at = new Date(transition.at);
    time.dateTime = transition.at || "";
    time.textContent = Number.isNaN(at.getTime()) ? transition.at || "" : at.toLocaleString();
    item.append(time);
    transitions.append(item);
  }
  if (!transitions.children.length) transitions.append(el("li", "", "No transitions recorded."));

  $("detail-reason").textContent = job.reason ? `Reason: ${job.reason}` : "";
  $("detail-watch").hidden = TERMINAL_STATES.has(state);
  $("rerun-same").disabled = false;
  $("rerun-new").disabled = false;
}

function detailFigure(job, image) {
  const index = image.index || 0;
  const seed = image.seed || "0";
  const figure = el("figure");
  const img = el("img", "detail-image");
  img.alt = `Image ${index + 1} for “${truncate(job.request?.prompt || "", ALT_PROMPT_CHARS)}”, seed ${seed}`;
  if (image.width) img.width = image.width;
  if (image.height) img.height = image.height;
  const caption = el("figcaption", "", `Image ${index + 1} · seed ${seed} · ${image.width || "?"} × ${image.height || "?"}`);
  figure.append(img, caption);
  const jobId = job.jobId || detail.jobId;
  fetchImage(jobId, index)
    .then((blob) => {
      if (detail.jobId !== jobId) return;
      const url = detail.urls.add(blob);
      img.src = url;
      // The link needs the fetched blob: a plain URL would be asked for without the key.
      const link = el("a", "download", `Download image ${index + 1}`);
      link.href = url;
      link.download = `t2i-${jobId}-${index}.png`;
      caption.append(link);
    })
    .catch((error) => {
      if (detail.jobId === jobId) caption.append(` · could not load: ${error.message}`);
    });
  return figure;
}

function rerun(keepSeed) {
  const job = detail.job;
  if (!job) return;
  fillForm(job.request || {}, keepSeed);
  // The generate button is disabled while submitting; the prompt shows what runs again.
  detail.returnFocus = promptInput;
  detailDialog.close();
  form.requestSubmit();
}

$("rerun-same").addEventListener("click", () => rerun(true));
$("rerun-new").addEventListener("click", () => rerun(false));
$("detail-close").addEventListener("click", () => detailDialog.close());
$("detail-watch").addEventListener("click", () => {
  const job = detail.job;
  if (!job) return;
  detail.returnFocus = cancelButton;
  detailDialog.close();
  watchJob(job);
});

detailDialog.addEventListener("close", () => {
  detail.jobId = "";
  detail.job = null;
  detail.urls.revokeAll();
  const target = detail.returnFocus;
  detail.returnFocus = null;
  if (target?.isConnected) target.focus({ preventScroll: true });
});

// ---------------------------------------------------------------------------------------------
// Key dialog and start

$("api-key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) {
    $("api-key-error").textContent = "Enter the key.";
    $("api-key").focus();
    return;
  }
  storeKey(key);
  $("key-note").textContent = "";
  keyDialog.close("saved");
  // Calls waiting for the key retry by themselves; what was never loaded (or was cleared
  // when the last key was forgotten) is loaded now.
  if (!starting) {
    if (models.size === 0) start();
    else if (galleryList.children.length === 0) loadGallery(true);
  }
});

$("api-key-cancel").addEventListener("click", () => keyDialog.close("cancelled"));

$("forget-key").addEventListener("click", (event) => {
  event.preventDefault();
  const had = Boolean(auth.key);
  storeKey("");
  if (had) {
    // The listed jobs belong to the key's owner; they go with the key.
    clearGallery();
    $("key-note").textContent = "Key forgotten. You will be asked for one when it is needed.";
  } else {
    $("key-note").textContent = "No key is stored.";
  }
});

$("enter-key").addEventListener("click", (event) => {
  event.preventDefault();
  askForKey("Enter your API key.");
});

let starting = false;

async function start() {
  starting = true;
  $("form-error").textContent = "";
  try {
    await loadModels();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      $("form-error").textContent = "An API key is needed: choose “Enter API key” at the top of the page.";
      return;
    }
    $("form-error").textContent = `Could not load the models: ${error.message}`;
  } finally {
    starting = false;
  }
  loadGallery(true);
  if (promptInput.value.trim()) scheduleTokenize();
}

updateKeyLinks();
start();
