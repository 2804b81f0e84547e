/* The PDF viewer of cited passages, served at /viewer. pdf.js (service/static/pdfjs/, vendored
 * from npm's pdfjs-dist) draws one page on a canvas with its text layer above it, and the cited
 * passage is marked in that text layer (its supporting spans more strongly).
 *
 * Where the PDF comes from:
 * - Framed by the widget (the usual way): the widget fetches GET /v1/files/ID itself, with the
 *   key it already sends, and posts the bytes here ({type: "rag-viewer-open", pdf, page: the
 *   page to open, first/pageEnd: the passage's pages, passage, spans, title}); so no key ever
 *   travels to this page. This page answers
 *   "rag-viewer-ready" when it can take them, "rag-viewer-shown" {page, pages, highlights}
 *   after each page is drawn, and "rag-viewer-close" on Escape.
 * - Opened directly: /viewer?doc=ID&page=N[&page_end=M][&text=PASSAGE] fetches the file from
 *   this origin, with the key the chat page keeps for the tab (sessionStorage), if any.
 * Text from the PDF or the server is only ever set as text, never parsed as HTML.
 */
import { GlobalWorkerOptions, TextLayer, getDocument } from "./pdfjs/pdf.min.mjs";

GlobalWorkerOptions.workerSrc = new URL("./pdfjs/pdf.worker.min.mjs", import.meta.url).href;

const PAGE_KEY = "rag-widget-api-key"; // the chat page's key for the tab (widget.js)
const $ = (id) => document.getElementById(id);
const view = { pdf: null, page: 1, first: 1, last: 1, passage: "", spans: [], rendering: null };
const framed = window.parent !== window;

function say(text, isError) {
  $("status").textContent = text;
  if (isError) document.body.dataset.error = "1"; else delete document.body.dataset.error;
}

function tell(message) {
  if (framed) window.parent.postMessage(message, "*"); // no secrets: page numbers only
}

async function open(message) {
  const start = Math.max(1, Number(message.page) || 1);
  view.first = Math.min(start, Math.max(1, Number(message.first) || start));
  view.last = Math.max(start, Number(message.pageEnd) || start);
  view.passage = String(message.passage || "");
  view.spans = (Array.isArray(message.spans) ? message.spans : []).map(String);
  if (message.title) {
    $("title").textContent = String(message.title);
    document.title = String(message.title) + " \u2013 source";
  }
  try {
    const task = getDocument({ data: new Uint8Array(message.pdf), isEvalSupported: false,
      enableXfa: false, stopAtErrors: false });
    view.pdf = await task.promise;
  } catch (err) {
    say("This PDF could not be shown: " + (err && err.message ? err.message : err), true);
    return;
  }
  await show(Math.min(start, view.pdf.numPages));
}

async function show(number) {
  if (!view.pdf) return;
  if (view.rendering) view.rendering.cancel();
  view.page = number;
  const page = await view.pdf.getPage(number);
  const box = $("page");
  const room = Math.max(200, $("main").clientWidth - 32);
  const scale = Math.min(2.5, room / page.getViewport({ scale: 1 }).width);
  const viewport = page.getViewport({ scale });
  const ratio = window.devicePixelRatio || 1;
  const canvas = $("canvas");
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = Math.floor(viewport.width) + "px";
  canvas.style.height = Math.floor(viewport.height) + "px";
  box.style.width = canvas.style.width;
  box.style.setProperty("--total-scale-factor", String(scale));
  view.rendering = page.render({ canvas, viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined });
  try {
    await view.rendering.promise;
  } catch (err) {
    if (err && err.name === "RenderingCancelledException") return;
    throw err;
  }
  const container = $("text");
  container.replaceChildren();
  const layer = new TextLayer({ textContentSource: await page.getTextContent(), container,
    viewport });
  await layer.render();
  const marks = number >= view.first && number <= view.last ? highlight(layer.textDivs) : 0;
  const total = view.pdf.numPages;
  document.body.dataset.page = String(number);
  document.body.dataset.highlights = String(marks);
  say("Page " + number + " of " + total);
  $("prev").disabled = number <= 1;
  $("next").disabled = number >= total;
  const first = container.querySelector("mark");
  if (first) first.scrollIntoView({ block: "center" });
  tell({ type: "rag-viewer-shown", page: number, pages: total, highlights: marks });
}

// ---- finding the passage in the page's text --------------------------------------------------
// Text is compared without whitespace, punctuation or case (pypdf, which indexed it, and pdf.js
// break lines and space words differently): a best-effort match.
function squeeze(text) {
  const chars = [];
  const where = [];
  const normal = text.normalize("NFKC").toLowerCase();
  for (let i = 0; i < normal.length; i++) {
    if (/[\p{L}\p{N}]/u.test(normal[i])) { chars.push(normal[i]); where.push(i); }
  }
  return { text: chars.join(""), where };
}

// [start, end) of ``needle`` in ``hay`` (both squeezed): the whole of it, else the stretch from
// the first to the last of its 32-character windows found here (a passage that runs onto the
// next page, or whose middle reads differently).
function locate(hay, needle) {
  if (!needle) return null;
  const whole = hay.indexOf(needle);
  if (whole >= 0) return [whole, whole + needle.length];
  const size = Math.min(32, needle.length);
  let start = -1;
  let from = 0;
  for (; from + size <= needle.length; from += 8) {
    start = hay.indexOf(needle.slice(from, from + size));
    if (start >= 0) break;
  }
  if (start < 0) return null;
  for (let to = needle.length; to - size > from; to -= 8) {
    const end = hay.lastIndexOf(needle.slice(to - size, to));
    if (end >= start) return [start, end + size];
  }
  return [start, start + size];
}

// The passage's part on this page: a passage that began on an earlier page runs from the top
// of this one, and one that goes on to a later page runs to its end.
function passageRange(hay, needle) {
  const continued = view.page > view.first;
  const continues = view.page < view.last;
  const range = locate(hay, needle);
  if (!range) return continued && continues ? [0, hay.length] : null;
  return [continued ? 0 : range[0], continues ? hay.length : range[1]];
}

// Mark the passage (level 1) and its spans (level 2) in the text layer's divs; the count of
// marks made.
function highlight(divs) {
  const map = []; // squeezed character -> [div, character in the div's text]
  let hay = "";
  divs.forEach((div, d) => {
    const s = squeeze(div.textContent);
    hay += s.text;
    s.where.forEach((at) => map.push([d, at]));
  });
  const levels = divs.map((div) => new Uint8Array(div.textContent.length));
  const mark = (range, level) => {
    if (!range) return;
    for (let i = range[0]; i < range[1] && i < map.length; i++) {
      const [d, at] = map[i];
      levels[d][at] = Math.max(levels[d][at], level);
    }
  };
  mark(passageRange(hay, squeeze(view.passage).text), 1);
  view.spans.forEach((span) => mark(locate(hay, squeeze(span).text), 2));
  let count = 0;
  divs.forEach((div, d) => {
    if (levels[d].some((l) => l > 0)) count += rewrite(div, fillGaps(levels[d]));
  });
  return count;
}

// A character between two marked ones of the same div (a space) takes the lower level.
function fillGaps(levels) {
  for (let i = 1; i < levels.length - 1; i++) {
    if (levels[i] === 0) {
      let j = i;
      while (j < levels.length && levels[j] === 0) j++;
      if (j < levels.length && levels[i - 1] > 0) levels.fill(Math.min(levels[i - 1], levels[j]), i, j);
      i = j;
    }
  }
  return levels;
}

function rewrite(div, levels) {
  const text = div.textContent;
  const parts = [];
  let count = 0;
  for (let i = 0; i < text.length;) {
    let j = i;
    while (j < text.length && levels[j] === levels[i]) j++;
    const piece = text.slice(i, j);
    if (levels[i] === 0) parts.push(document.createTextNode(piece));
    else {
      const m = document.createElement("mark");
      m.className = levels[i] === 2 ? "hl support" : "hl";
      m.textContent = piece;
      parts.push(m);
      count++;
    }
    i = j;
  }
  div.replaceChildren(...parts);
  return count;
}

// ---- wiring ------------------------------------------------------------------------------------
$("prev").addEventListener("click", () => show(view.page - 1));
$("next").addEventListener("click", () => show(view.page + 1));
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") tell({ type: "rag-viewer-close" });
});

window.addEventListener("message", (e) => {
  if (!framed || e.source !== window.parent) return;
  const m = e.data;
  if (m && m.type === "rag-viewer-open" && m.pdf instanceof ArrayBuffer) {
    open(m).catch((err) => say("This PDF could not be shown: " + err, true));
  }
});

async function openDirect() {
  const q = new URLSearchParams(location.search);
  const doc = q.get("doc");
  if (!doc) { say("No document named: open the viewer from a citation.", true); return; }
  const key = sessionStorage.getItem(PAGE_KEY);
  const path = doc.split("/").map(encodeURIComponent).join("/");
  const r = await fetch("v1/files/" + path, { headers: key ? { "X-API-Key": key } : {} });
  if (!r.ok) {
    const body = await r.json().catch(() => null);
    say((body && body.error && body.error.message) || "The file could not be loaded (" +
      r.status + ").", true);
    return;
  }
  await open({ pdf: await r.arrayBuffer(), page: q.get("page"), pageEnd: q.get("page_end"),
    passage: q.get("text") || "", spans: [], title: doc });
}

if (framed) {
  document.body.dataset.framed = "1"; // the widget's overlay names the document already
  tell({ type: "rag-viewer-ready" });
}
else openDirect().catch((err) => say("The file could not be loaded: " + err, true));
