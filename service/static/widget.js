/* The staff chat widget. One script tag puts it on any page:
 *   <script src="https://HOST/widget.js" data-api-key="READ_KEY" defer></script>
 * Optional attributes: data-api (API base URL; default: where this script came from),
 * data-title, data-mode="page" (fill the page, no launcher: what / serves),
 * data-collections="hr,finance" (answer only from these of the key's collections).
 * Without data-api-key the widget acts as the signed-in person (docs/sso.md): on the service's
 * own pages through the session cookie (with its CSRF token), on another site through a widget
 * token a sign-in popup hands over (the site must be in server.cors_origins). data-api-key is
 * for machine use (a kiosk, a shared screen): anyone who reads the page's source can use it.
 * Plain JavaScript, no build step. Everything the server sends (answers, passages, documents) is
 * inserted as text (textContent / text nodes), never parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || script.dataset.ragWidgetLoaded) return;
  script.dataset.ragWidgetLoaded = "1";
  var API = (script.dataset.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var PAGE_KEY = "rag-widget-api-key"; // the full page keeps a typed-in key for the tab only
  var KEY = script.dataset.apiKey || sessionStorage.getItem(PAGE_KEY) || "";
  var TITLE = script.dataset.title || "Ask the documents";
  var PAGE = script.dataset.mode === "page";
  var COLLECTIONS = (script.dataset.collections || "").split(",").map(function (c) {
    return c.trim();
  }).filter(Boolean);
  var SAME_ORIGIN = API === location.origin;
  var TOKEN = "";        // a widget token from the sign-in popup (another site's page)
  var CSRF = "";         // the session's CSRF token (the service's own pages)
  var ME = null;         // GET /v1/auth/me
  var MAX_HISTORY = 20;
  var CONTEXT = 400; // characters of the document shown around a cited passage

  var CSS = [
    // !important: the host page's own !important rules on our host element must not win.
    ":host{all:initial!important;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif!important;font-size:15px!important;color:#1b1f24!important;line-height:1.45!important}",
    "*{box-sizing:border-box;font:inherit}",
    "button{cursor:pointer;border-radius:6px;border:1px solid #9aa4b2;background:#fff;color:#1b1f24;padding:.35rem .6rem}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #1f5fbf;outline-offset:2px}",
    "button.primary{background:#1f5fbf;border-color:#1f5fbf;color:#fff}",
    "button:disabled{opacity:.55;cursor:not-allowed}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border-radius:999px;padding:.75rem 1.1rem;background:#1f5fbf;color:#fff;border:0;box-shadow:0 4px 14px rgba(0,0,0,.25);font-weight:600}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:min(440px,calc(100vw - 24px));height:min(640px,calc(100vh - 110px));display:flex;flex-direction:column;background:#f6f7f9;border:1px solid #c8ced6;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.25);overflow:hidden}",
    ".panel[hidden]{display:none}",
    ".page .panel{position:static;width:auto;height:100vh;max-width:52rem;margin:0 auto;border-radius:0;box-shadow:none}",
    "header{display:flex;align-items:center;gap:.4rem;padding:.55rem .7rem;background:#fff;border-bottom:1px solid #dde2e8}",
    "header h2{flex:1;margin:0;font-size:1.05rem;font-weight:600}",
    ".noaccess{margin:.5rem;padding:.8rem 1rem;border-radius:8px;background:#fde8ea;color:#7a0012;border:1px solid #f3b6bf}",
    ".ask[hidden]{display:none}",
    ".account{display:flex;gap:.3rem;align-items:center;font-size:.85rem;color:#56606d}",
    ".offline{background:#fff4e5;color:#6b3d00;padding:.4rem .7rem;border-bottom:1px solid #f0c889}",
    ".log{flex:1;overflow-y:auto;padding:.7rem;display:flex;flex-direction:column;gap:.6rem}",
    ".msg{max-width:92%;padding:.55rem .7rem;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{align-self:flex-end;background:#1f5fbf;color:#fff}",
    ".bot,.greet{align-self:flex-start;background:#fff;border:1px solid #dde2e8}",
    ".bot.refused{border-left:4px solid #c77700}",
    ".bot.error{border-left:4px solid #b00020}",
    ".thinking{color:#56606d;font-style:italic}",
    ".short{display:block;margin:0 0 .35rem;font-size:1.15em;font-weight:700;color:#0b3d91}",
    ".cite{padding:0 .3rem;margin:0 .1rem;font-size:.8em;vertical-align:super;line-height:1;border-color:#1f5fbf;color:#1f5fbf}",
    ".sources{margin:.4rem 0 0;padding:0;list-style:none;font-size:.88em}",
    ".sources .date{color:#555}",
    ".disagree{display:block;margin-bottom:.3rem;padding:.2rem .4rem;border-left:3px solid #b35c00;background:#fff6ec}",
    ".sources button{border:0;padding:.1rem 0;color:#1f5fbf;text-align:left;background:none;text-decoration:underline}",
    ".sources .pages{color:#555}",
    ".shape{white-space:normal}",
    ".shape ol,.shape ul{margin:.1rem 0 .2rem;padding-left:1.4rem}",
    ".shape li{margin:.15rem 0}",
    ".shape p{margin:0 0 .3rem}",
    ".verdict{display:inline-block;margin-right:.4rem;padding:.05rem .5rem;border-radius:999px;font-weight:700;font-size:.9em;color:#fff;background:#56606d}",
    ".verdict.yes{background:#1e7b34}",
    ".verdict.no{background:#b00020}",
    ".sides{display:grid;grid-template-columns:1fr 1fr;gap:.4rem}",
    ".side{padding:.35rem .45rem;border:1px solid #dde2e8;border-radius:8px;background:#f8f9fb}",
    ".side h4{margin:0 0 .2rem;font-size:.95em;font-weight:700;color:#0b3d91}",
    ".shape-note{font-weight:600;color:#3d4650}",
    ".trend{margin:.1rem 0 .35rem;border-collapse:collapse;font-size:.9em}",
    ".trend th,.trend td{border:1px solid #dde2e8;padding:.15rem .5rem;text-align:left}",
    ".trend thead th{background:#f3f5f8}",
    ".trend td.value{text-align:right;font-variant-numeric:tabular-nums}",
    ".trend .cite{vertical-align:baseline}",
    ".changes .what{color:#0b3d91}",
    ".changes .added .what{color:#1e7b34}",
    ".changes .removed .what{color:#b00020}",
    ".changes .removed .now{text-decoration:line-through;color:#555}",
    ".changes .was{display:block;margin-top:.1rem;color:#555;font-size:.92em}",
    ".cited-table{margin:.45rem 0 0;border-collapse:collapse;font-size:.85em;white-space:normal}",
    ".cited-table caption{text-align:left;font-weight:600;padding-bottom:.2rem}",
    ".cited-table th,.cited-table td{border:1px solid #dde2e8;padding:.15rem .35rem;text-align:left;vertical-align:top}",
    ".cited-table th{background:#f3f5f8}",
    ".pdf{position:fixed;inset:3vh 3vw;z-index:2147483002;display:flex;flex-direction:column;background:#fff;border:1px solid #c8ced6;border-radius:10px;box-shadow:0 10px 40px rgba(0,0,0,.35);overflow:hidden}",
    ".pdf[hidden]{display:none}",
    ".pdf h3{margin:0;font-size:1rem;flex:1}",
    ".pdf iframe{flex:1;width:100%;border:0;background:#e9ecf0}",
    ".actions{display:flex;flex-wrap:wrap;gap:.3rem;margin-top:.45rem}",
    ".actions button{font-size:.85em;padding:.2rem .5rem}",
    "button[aria-pressed=true]{background:#e3ecfa;border-color:#1f5fbf}",
    ".fb{display:flex;flex-direction:column;gap:.3rem;margin-top:.4rem}",
    ".note{font-size:.85em;color:#56606d}",
    ".greet ul{margin:.4rem 0 0;padding:0;list-style:none;display:flex;flex-direction:column;gap:.3rem}",
    ".greet li button{text-align:left;width:100%}",
    "form.ask{display:flex;gap:.4rem;padding:.6rem;background:#fff;border-top:1px solid #dde2e8}",
    "input[type=password]{padding:.4rem;border:1px solid #9aa4b2;border-radius:6px}",
    "textarea{flex:1;resize:none;min-height:2.6rem;max-height:8rem;padding:.5rem;border:1px solid #9aa4b2;border-radius:6px;background:#fff;color:#1b1f24}",
    ".viewer{position:absolute;inset:0;display:flex;flex-direction:column;background:#fff;z-index:2}",
    ".viewer[hidden]{display:none}",
    ".viewer h3{margin:0;font-size:1rem;flex:1}",
    ".doc{flex:1;overflow-y:auto;padding:.7rem;white-space:pre-wrap;word-wrap:break-word;font-size:.92em}",
    "mark{background:#fff1a8;color:inherit}",
    "mark.support{background:#ffc933;border-bottom:2px solid #b07d00;font-weight:600}",
    ".vmeta{padding:.3rem .7rem;font-size:.82em;color:#56606d;border-bottom:1px solid #eee}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".panelwrap{position:relative;display:flex;flex-direction:column;flex:1;min-height:0}",
    "@media (max-width:520px){.panel{right:0;bottom:0;width:100vw;height:100vh;border-radius:0}.launcher{right:12px;bottom:12px}}"
  ].join("\n");

  // ---- tiny DOM helpers (text only) -------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function headers(json) {
    var h = {};
    if (json) h["Content-Type"] = "application/json";
    if (KEY) h["X-API-Key"] = KEY;
    else if (TOKEN) h["Authorization"] = "Bearer " + TOKEN;
    else if (CSRF) h["X-CSRF-Token"] = CSRF;
    return h;
  }

  function errorText(status, body) {
    var msg = body && body.error && body.error.message;
    if (status === 401 && body && body.error && body.error.login_url) return "Please sign in. " + (msg || "");
    if (status === 401) return "This service needs a valid API key (data-api-key). " + (msg || "");
    return msg || "The service answered with status " + status + ".";
  }

  // ---- the widget -------------------------------------------------------------------------
  var host = el("div", { id: "rag-widget", "data-rag-widget": "" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", { text: CSS }));
  var frame = el("div", { class: PAGE ? "page" : "" });
  root.appendChild(frame);

  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false",
    "aria-controls": "rag-panel", "aria-label": "Open " + TITLE, text: TITLE });
  var status = el("div", { class: "sr", role: "status", "aria-live": "polite" });
  var offlineBar = el("div", { class: "offline", role: "alert", text:
    "You are offline. Questions can be sent again when the connection is back." });
  offlineBar.hidden = true;
  var log = el("div", { class: "log", role: "log", "aria-label": "Conversation", tabindex: "0" });
  var input = el("textarea", { id: "rag-question", rows: "1", "aria-label": "Your question",
    placeholder: "Ask a question about the documents", autocomplete: "off" });
  var send = el("button", { class: "primary", type: "submit", text: "Ask" });
  var form = el("form", { class: "ask", "aria-label": "Ask a question" }, [input, send]);
  var newChat = el("button", { type: "button", text: "New conversation" });
  var closeBtn = el("button", { type: "button", "aria-label": "Close", text: "\u2715" });
  var account = el("span", { class: "account", "aria-live": "polite" });
  var headerKids = [el("h2", { id: "rag-title", text: TITLE }), account, newChat];
  if (!PAGE) headerKids.push(closeBtn);

  var vTitle = el("h3", { id: "rag-viewer-title", tabindex: "-1" });
  var vMeta = el("div", { class: "vmeta" });
  var vDoc = el("div", { class: "doc", tabindex: "0", "aria-label": "Document text" });
  var vWhole = el("a", { href: "#", class: "whole", text: "Show the whole document" });
  var vBack = el("button", { type: "button", text: "Back to the answer" });
  var viewer = el("section", { class: "viewer", role: "region", "aria-labelledby": "rag-viewer-title" }, [
    el("header", {}, [vTitle, vBack]), vMeta, vDoc,
    el("div", { class: "vmeta" }, [vWhole])
  ]);
  viewer.hidden = true;

  var panel = el("div", { id: "rag-panel", class: "panel", role: PAGE ? "main" : "dialog",
    "aria-labelledby": "rag-title" }, [
    el("header", {}, headerKids), offlineBar,
    el("div", { class: "panelwrap" }, [log, viewer]), form, status
  ]);
  if (!PAGE) { panel.hidden = true; frame.appendChild(launcher); }
  frame.appendChild(panel);

  // The PDF viewer (/viewer of the service, framed): opens a PDF citation at its page.
  var pdfTitle = el("h3", { id: "rag-pdf-title", tabindex: "-1" });
  var pdfNote = el("div", { class: "vmeta", role: "status" });
  var pdfClose = el("button", { type: "button", text: "Close the PDF" });
  var pdfBox = el("section", { class: "pdf", role: "dialog", "aria-modal": "true",
    "aria-labelledby": "rag-pdf-title" }, [el("header", {}, [pdfTitle, pdfClose]), pdfNote]);
  pdfBox.hidden = true;
  frame.appendChild(pdfBox);

  var history = [];
  var busy = false;
  var lastFocus = null;

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!pdfBox.hidden) closePdf(); else if (!viewer.hidden) closeViewer(); else if (!PAGE) setOpen(false);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q || busy) return;
    input.value = "";
    ask(q, history.slice(-MAX_HISTORY));
  });
  newChat.addEventListener("click", function () {
    history = [];
    log.replaceChildren();
    closeViewer();
    greet();
    status.textContent = "New conversation started.";
    input.focus();
  });

  // ---- the greeting: what this key can ask about, and questions to try ----------------------
  function day(iso) { return iso ? iso.slice(0, 10) : ""; }
  // A date the document states of itself (not its file's modification time: index/dates.py).
  function stated(c) {
    return Boolean(c.date) && (c.date_source === "metadata" || c.date_source === "text");
  }

  // "30 Nov 2026": unambiguous for every locale, and the same in every browser.
  function longDay(iso) {
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
      "Dec"];
    var d = day(iso).split("-");
    return d.length === 3 ? Number(d[2]) + " " + months[Number(d[1]) - 1] + " " + d[0] : iso;
  }

  function greet() {
    var box = el("div", { class: "msg greet", role: "note", "aria-label": "Welcome" }, [
      el("span", { text: "Ask a question about the documents." })]);
    log.appendChild(box);
    fetch(API + "/v1/overview", { headers: headers(false) }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (o) {
      if (!o || !box.isConnected) return;
      var shown = COLLECTIONS.length ? o.collections.filter(function (c) {
        return COLLECTIONS.indexOf(c.name) >= 0;
      }) : o.collections;
      var names = shown.map(function (c) { return c.name; }).join(", ");
      var count = shown.reduce(function (n, c) { return n + c.documents; }, 0);
      var text = count === 0 ? "There are no documents to ask about yet." :
        "You can ask about " + count + (count === 1 ? " document" : " documents") +
        " (" + (shown.length === 1 ? "collection " : "collections ") + names +
        (o.updated ? ", updated " + day(o.updated) : "") + ").";
      var kids = [el("span", { text: text })];
      if (o.examples.length) {
        kids.push(el("div", { class: "note", text: "Questions others found answered:" }));
        kids.push(el("ul", {}, o.examples.map(function (q) {
          return el("li", {}, [el("button", { type: "button", text: q, onclick: function () {
            if (!busy) ask(q, history.slice(-MAX_HISTORY));
          } })]);
        })));
      }
      box.replaceChildren.apply(box, kids);
    }).catch(function () { /* the plain greeting stays */ });
  }
  whoAmI().then(function (me) { if (!(me && me.no_access)) greet(); });

  function updateOnline() {
    offlineBar.hidden = navigator.onLine;
    send.disabled = !navigator.onLine;
  }
  window.addEventListener("online", updateOnline);
  window.addEventListener("offline", updateOnline);
  updateOnline();

  // Host pages may listen: "rag:delta" {text} as the answer streams, "rag:answer" when complete.
  function emit(name, detail) {
    host.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
  }

  // ---- asking -----------------------------------------------------------------------------
  function ask(question, turns) {
    busy = true;
    send.disabled = true;
    log.appendChild(el("div", { class: "msg user", text: question }));
    var bubble = el("div", { class: "msg bot", "aria-busy": "true" });
    var body = el("div", { class: "text" }, [el("span", { class: "thinking", text: "Thinking\u2026" })]);
    bubble.appendChild(body);
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    status.textContent = "Thinking\u2026";
    var streamed = "";
    stream(question, turns, function (piece) {
      streamed += piece;
      emit("rag:delta", { text: piece });
      renderText(body, streamed, []);
      log.scrollTop = log.scrollHeight;
    }).then(function (answer) {
      bubble.removeAttribute("aria-busy");
      finishAnswer(bubble, body, answer);
      emit("rag:answer", answer);
      history.push({ role: "user", content: question }, { role: "assistant", content: answer.answer });
    }).catch(function (err) {
      bubble.removeAttribute("aria-busy");
      showError(bubble, body, err, function () {
        bubble.previousSibling.remove();
        bubble.remove();
        ask(question, turns);
      });
    }).then(function () {
      busy = false;
      updateOnline();
    });
  }

  function stream(question, turns, onDelta) {
    if (!navigator.onLine) return Promise.reject({ offline: true });
    return fetch(API + "/v1/ask/stream", {
      method: "POST", headers: headers(true),
      body: JSON.stringify(COLLECTIONS.length ?
        { question: question, history: turns, collections: COLLECTIONS } :
        { question: question, history: turns })
    }).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return null; }).then(function (b) {
          throw { message: errorText(r.status, b), status: r.status,
                  login: Boolean(b && b.error && b.error.login_url) };
        });
      }
      var reader = r.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      var done = null;
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            if (!done) throw { message: "The answer stopped before it was complete." };
            return done;
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          var cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            var block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            var ev = parseEvent(block);
            if (!ev) continue;
            if (ev.event === "delta") onDelta(ev.data.text);
            else if (ev.event === "done") done = ev.data;
            else if (ev.event === "error") throw { message: ev.data.error.message };
          }
          return pump();
        });
      }
      return pump();
    }, function () {
      throw { offline: !navigator.onLine, message: "The service cannot be reached." };
    });
  }

  function parseEvent(block) {
    var event = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) event = line.slice(7);
      else if (line.indexOf("data: ") === 0) data += line.slice(6);
    });
    try { return { event: event, data: JSON.parse(data) }; } catch (e) { return null; }
  }

  // The marker of citation c: a button opening the cited passage.
  function citeButton(cite, answerText) {
    return el("button", { type: "button", class: "cite", "data-n": String(cite.n),
      "aria-label": "Source " + cite.n + ": " + cite.title, text: String(cite.n),
      onclick: openCitation.bind(null, cite, answerText) });
  }

  // Answer text with each [n] as a button opening citation n (text nodes only).
  function renderText(target, text, citations) {
    target.replaceChildren();
    var re = /\[(\d+)\]/g, at = 0, m;
    while ((m = re.exec(text))) {
      target.appendChild(document.createTextNode(text.slice(at, m.index)));
      var n = Number(m[1]);
      var cite = citations.filter(function (c) { return c.n === n; })[0];
      if (cite) {
        target.appendChild(citeButton(cite, text));
      } else {
        target.appendChild(document.createTextNode(m[0]));
      }
      at = re.lastIndex;
    }
    target.appendChild(document.createTextNode(text.slice(at)));
  }

  // The exact answer (a name, a figure, a date) first and emphasised, then the rest of the
  // answer, which opens with the same text and its marker: "191,000. [1] In November, ...".
  // "The sources disagree: four hours [1] (Wire, 8 Feb 2024); two hours [2] (...)." opens the
  // answer when the documents state conflicting values: shown as a note of its own.
  function renderDisagreement(body, answer) {
    var sides = answer.disagreement || [];
    var text = answer.answer;
    var last = sides.length > 1 ? text.indexOf("[" + sides[sides.length - 1].citation + "] (") : -1;
    var end = last >= 0 ? text.indexOf(").", last) : -1;
    if (text.indexOf("The sources disagree:") !== 0 || end < 0) return false;
    var head = el("strong", { class: "disagree", role: "note" });
    renderText(head, text.slice(0, end + 2), answer.citations);
    var rest = el("span", { class: "rest" });
    renderText(rest, text.slice(end + 2).replace(/^\s+/, ""), answer.citations);
    body.replaceChildren(head, rest);
    return true;
  }

  function renderShort(body, answer) {
    var short = answer.short_answer;
    var text = answer.answer;
    if (renderDisagreement(body, answer)) return;
    if (!short || typeof short.text !== "string" || !short.text || text.indexOf(short.text) !== 0) {
      renderText(body, text, answer.citations);
      return;
    }
    var head = el("strong", { class: "short" });
    renderText(head, short.text + " [" + short.citation + "]", answer.citations);
    var rest = el("span", { class: "rest" });
    renderText(rest, text.slice(short.text.length).replace(/^\.?\s*(\[\d+\]\s*)*/, ""),
      answer.citations);
    body.replaceChildren(head, rest);
  }

  // ---- answer shapes (docs/answers.md): steps, a verdict, two sides, items, a trend ---------
  // An extractive answer's text is the shape's own: the shape is shown in its place. An LLM's
  // answer is kept and the shape shown below it. A factoid (or a shape with nothing found)
  // keeps the short answer's rendering.
  function renderAnswer(body, answer) {
    var shape = answer.shape;
    var build = shape && Array.isArray(shape.items) && shape.items.length &&
      SHAPES[shape.kind];
    if (!build) { renderShort(body, answer); return; }
    var block = el("div", { class: "shape " + shape.kind, "data-shape": shape.kind });
    build(block, shape, answer);
    if (shapeIsAnswer(shape, answer.answer)) { body.replaceChildren(block); return; }
    renderShort(body, answer);
    body.appendChild(block);
  }

  function squash(s) { return String(s).replace(/\s+/g, " ").trim(); }

  function shapeIsAnswer(shape, text) {
    var flat = squash(text);
    return shape.items.every(function (i) {
      return flat.indexOf(squash(shape.kind === "trend" ? i.label + ": " + i.value : i.text)) >= 0;
    });
  }

  // The marker of a shape's piece: its citation, opening with the piece itself highlighted.
  function pieceCite(n, answer, item) {
    var c = answer.citations.filter(function (x) { return x.n === n; })[0];
    if (!c) return document.createTextNode("");
    if (item && typeof item.start === "number" && item.end > item.start) {
      c = Object.assign({}, c, { spans: [{ start: item.start, end: item.end, text: item.text }] });
    }
    return citeButton(c, answer.answer);
  }

  // The piece's text, then its citation marker (text nodes only).
  function cited(tag, item, answer, attrs) {
    return el(tag, attrs || {}, [item.text, " ", pieceCite(item.citation, answer, item)]);
  }

  function noteOf(shape) {
    return shape.note ? el("p", { class: "shape-note", role: "note", text: shape.note }) : null;
  }

  function append(block, nodes) {
    nodes.forEach(function (n) { if (n) block.appendChild(n); });
  }

  // Each labelled piece in its own column: a comparison's sides, a yes/no's two subjects.
  function sides(shape, answer) {
    return el("div", { class: "sides" }, shape.items.map(function (i) {
      return el("section", { class: "side", "aria-label": i.label || "Side" },
        [el("h4", { text: i.label }), cited("p", i, answer)]);
    }));
  }

  var SHAPES = {
    // The steps in order, numbered as the document numbers them; an unnumbered piece before
    // numbered steps is the sentence introducing them ("To clear the cache, run:"), not a step.
    procedure: function (block, shape, answer) {
      function numbered(i) { return /^\d+$/.test(i.label || ""); }
      var intro = shape.items.some(numbered) ? shape.items.filter(function (i) {
        return !numbered(i);
      }) : [];
      var steps = intro.length ? shape.items.filter(numbered) : shape.items;
      append(block, [noteOf(shape)].concat(intro.map(function (i) {
        return cited("p", i, answer, { class: "intro" });
      }), [el("ol", { class: "steps", "aria-label": "Steps" }, steps.map(function (i) {
        return cited("li", i, answer, numbered(i) ? { value: i.label } : {});
      }))]));
    },
    // The sentences that explain, as one paragraph.
    explanation: function (block, shape, answer) {
      var p = el("p", { class: "explained" });
      shape.items.forEach(function (i, k) {
        if (k) p.appendChild(document.createTextNode(" "));
        p.appendChild(document.createTextNode(i.text + " "));
        p.appendChild(pieceCite(i.citation, answer, i));
      });
      append(block, [p, noteOf(shape)]);
    },
    // "Yes" or "No" first (no badge when the sentence cannot tell), then the deciding sentence;
    // a question about two subjects: the badge, then each subject's sentence side by side.
    yes_no: function (block, shape, answer) {
      var badge = shape.verdict === "yes" || shape.verdict === "no" ?
        el("strong", { class: "verdict " + shape.verdict,
          text: shape.verdict === "yes" ? "Yes" : "No" }) : null;
      if (shape.items.some(function (i) { return i.label; })) {
        append(block, [badge ? el("p", { class: "decides" }, [badge]) : null,
          sides(shape, answer), noteOf(shape)]);
        return;
      }
      var p = cited("p", shape.items[0], answer, { class: "decides" });
      if (badge) p.insertBefore(badge, p.firstChild);
      append(block, [p, noteOf(shape)]);
    },
    // What the documents say of each side, side by side.
    comparison: function (block, shape, answer) {
      append(block, [sides(shape, answer), noteOf(shape)]);
    },
    // Every item; "Only 2 found" first when fewer were found than asked.
    list: function (block, shape, answer) {
      append(block, [noteOf(shape), el("ul", { class: "items", "aria-label": "Items" },
        shape.items.map(function (i) { return cited("li", i, answer); }))]);
    },
    // One cited figure per period, in date order, then the change.
    trend: function (block, shape, answer) {
      var header = (shape.table && shape.table.header) || ["period", "value", "citation"];
      var names = { period: "Period", value: "Value", citation: "Source" };
      var head = el("tr", {}, header.map(function (h) {
        return el("th", { scope: "col", text: names[h] || h });
      }));
      var rows = shape.items.map(function (i) {
        return el("tr", {}, [el("th", { scope: "row", text: i.label }),
          el("td", { class: "value", text: i.value }),
          el("td", {}, [pieceCite(i.citation, answer, i)])]);
      });
      append(block, [el("table", { class: "trend" }, [el("thead", {}, [head]),
        el("tbody", {}, rows)]), noteOf(shape)]);
    },
    // What two versions state otherwise: which versions first, then one entry per change, the
    // new wording cited and, for a changed statement, what it was, cited in the old version.
    changes: function (block, shape, answer) {
      var names = { changed: "Changed", added: "Added", removed: "Removed" };
      var entries = [];
      shape.items.forEach(function (i) {
        if (i.label === "was" && entries.length) {
          entries[entries.length - 1].appendChild(el("span", { class: "was" }, [
            el("em", { text: "Was: " }), i.text, " ", pieceCite(i.citation, answer, i)]));
          return;
        }
        entries.push(el("li", { class: "change " + (names[i.label] ? i.label : "changed") }, [
          el("strong", { class: "what", text: (names[i.label] || "Changed") + ": " }),
          el("span", { class: "now" }, [i.text, " ", pieceCite(i.citation, answer, i)])]));
      });
      append(block, [noteOf(shape), el("ul", { class: "changes", "aria-label": "Changes" },
        entries)]);
    }
  };

  function finishAnswer(bubble, body, answer) {
    // Each citation carries the date of the corpus release the answer was read from.
    answer.citations.forEach(function (c) { c.release_date = answer.release_date; });
    if (answer.refused) {
      bubble.classList.add("refused");
      body.replaceChildren(el("strong", { text: "The documents do not say." }), "\n",
        el("span", { class: "note", text: answer.answer }));
      status.textContent = "The documents do not say. " + answer.answer;
    } else {
      renderAnswer(body, answer);
      var list = el("ol", { class: "sources", "aria-label": "Sources" });
      answer.citations.forEach(function (c) {
        var item = [el("button", { type: "button", text: "[" + c.n + "] " +
          (c.title || c.doc_id), onclick: openCitation.bind(null, c, answer.answer) })];
        if (c.page_start > 0) {
          item.push(el("span", { class: "pages", text: " \u00B7 " }), el("button", {
            type: "button", class: "page", text: pagesText(c),
            "aria-label": "Open " + pagesText(c) + " of " + (c.title || c.doc_id) + " (PDF)",
            onclick: openPdf.bind(null, c) }));
        }
        if (stated(c)) item.push(el("span", { class: "date", text: " \u00B7 " + longDay(c.date) }));
        list.appendChild(el("li", {}, item));
      });
      answer.citations.filter(function (c) { return c.table; }).slice(0, 2)
        .forEach(function (c) { bubble.appendChild(citedTable(c)); });
      bubble.appendChild(list);
      status.textContent = "Answer: " + answer.answer.replace(/\s*\[\d+\]/g, "");
    }
    bubble.appendChild(actions(answer));
  }

  // A citation whose supporting text is rows of a table, shown as that small table: the caption
  // (with the source's number), the header row, then the cited rows; blank headers stay blank.
  function citedTable(c) {
    var t = c.table;
    var head = el("tr", {}, t.header.map(function (h) { return el("th", { scope: "col", text: h }); }));
    var rows = t.rows.map(function (cells) {
      return el("tr", {}, cells.map(function (cell, i) {
        return el(i === 0 ? "th" : "td", i === 0 ? { scope: "row", text: cell } : { text: cell });
      }));
    });
    var caption = "[" + c.n + "] " + (t.caption || c.title || c.doc_id) +
      (t.page > 0 ? " \u00B7 p. " + t.page : "");
    return el("table", { class: "cited-table" },
      [el("caption", { text: caption }), el("thead", {}, [head]), el("tbody", {}, rows)]);
  }

  function actions(answer) {
    var note = el("span", { class: "note", role: "status" });
    var copy = el("button", { type: "button", text: "Copy answer", onclick: function () {
      copyText(answer.answer).then(function () { note.textContent = "Copied."; },
        function () { note.textContent = "Could not copy."; });
    } });
    var up = el("button", { type: "button", "aria-pressed": "false" },
      [el("span", { "aria-hidden": "true", text: "\u25B2 " }), "Helpful"]);
    var down = el("button", { type: "button", "aria-pressed": "false" },
      [el("span", { "aria-hidden": "true", text: "\u25BC " }), "Not helpful"]);
    var row = el("div", { class: "actions" }, [copy, up, down, note]);
    var wrap = el("div", {}, [row]);
    function choose(rating) {
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
      var old = wrap.querySelector(".fb");
      if (old) old.remove();
      var comment = el("textarea", { rows: "2", "aria-label": "Comment (optional)",
        placeholder: "Comment (optional)" });
      var submit = el("button", { type: "submit", class: "primary", text: "Send feedback" });
      var fb = el("form", { class: "fb", "aria-label": "Feedback" }, [comment, submit]);
      fb.addEventListener("submit", function (e) {
        e.preventDefault();
        submit.disabled = true;
        fetch(API + "/v1/feedback", { method: "POST", headers: headers(true), body: JSON.stringify(
          { answer_id: answer.answer_id, rating: rating, comment: comment.value.trim() }) })
          .then(function (r) {
            if (!r.ok) return r.json().then(function (b) { throw { message: errorText(r.status, b) }; });
            fb.remove();
            note.textContent = "Thanks for the feedback.";
          })
          .catch(function (err) {
            submit.disabled = false;
            note.textContent = "Feedback not sent: " + (err.message || "the service cannot be reached.");
          });
      });
      wrap.appendChild(fb);
      comment.focus();
    }
    up.addEventListener("click", function () { choose("up"); });
    down.addEventListener("click", function () { choose("down"); });
    return wrap;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = el("textarea", { "aria-hidden": "true" });
      area.value = text;
      root.appendChild(area);
      area.select();
      var ok = document.execCommand && document.execCommand("copy");
      area.remove();
      ok ? resolve() : reject();
    });
  }

  function showError(bubble, body, err, retry) {
    bubble.classList.add("error");
    var text = err && err.offline ? "You are offline." : (err && err.message) || "Something went wrong.";
    body.replaceChildren(document.createTextNode(text + " "));
    var again = el("button", { type: "button", text: "Retry", onclick: retry });
    body.appendChild(again);
    status.textContent = "Error: " + text;
    if (err && err.status === 401 && err.login && !KEY) { signInButton(body, retry); return; }
    if (PAGE && err && err.status === 401) { keyForm(body, retry); return; }
    again.focus();
  }

  // ---- signing in (docs/sso.md) -----------------------------------------------------------
  function showAccount() {
    account.replaceChildren();
    if (KEY || !ME || !ME.oidc) return;
    if (ME.signed_in) {
      account.appendChild(el("span", { class: "who", text: ME.user || "" }));
      account.appendChild(el("button", { type: "button", class: "signout", text: "Sign out",
        onclick: signOut }));
    } else {
      account.appendChild(el("button", { type: "button", class: "signin", text: "Sign in",
        onclick: function () { signIn(function () { greetAgain(); }); } }));
    }
  }

  function whoAmI() {
    if (KEY) return Promise.resolve(null);
    var opts = { headers: headers(false) };
    if (SAME_ORIGIN) opts.credentials = "same-origin";
    return fetch(API + "/v1/auth/me", opts).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (me) {
      ME = me;
      if (me && me.csrf_token && SAME_ORIGIN) CSRF = me.csrf_token;
      showAccount();
      if (me && me.no_access) {
        // signed in, but no group opens a collection: say so instead of an empty chat
        log.replaceChildren(el("div", { class: "noaccess", role: "alert", text: me.no_access }));
        form.hidden = true;
        newChat.hidden = true;
      }
      return me;
    }, function () { return null; });
  }

  function greetAgain() {
    log.replaceChildren();
    greet();
  }

  function signIn(then) {
    if (SAME_ORIGIN) {
      location.href = API + "/auth/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    var popup = window.open(API + "/auth/popup?origin=" + encodeURIComponent(location.origin),
      "rag-sign-in", "width=480,height=680");
    function received(e) {
      if (e.origin !== API || !e.data || e.data.type !== "rag-signed-in") return;
      window.removeEventListener("message", received);
      TOKEN = e.data.token;
      ME = { oidc: true, signed_in: true, user: e.data.user };
      setTimeout(function () { TOKEN = ""; ME = { oidc: true, signed_in: false }; showAccount(); },
        Math.max(0, (e.data.expires_in - 30) * 1000));
      showAccount();
      if (then) then();
    }
    window.addEventListener("message", received);
    if (!popup) status.textContent = "Allow pop-ups for this page to sign in.";
  }

  function signOut() {
    if (!SAME_ORIGIN) {  // a widget token: forget it (it ends by itself within the hour)
      TOKEN = ""; ME = { oidc: true, signed_in: false }; showAccount(); return;
    }
    fetch(API + "/auth/logout", { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": CSRF, "Accept": "application/json" } }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (b) {
        if (!r.ok || !b) throw { message: errorText(r.status, b) };
        location.href = b.redirect || "/auth/signed-out";
      });
    }).catch(function (err) {  // never "signed out" while the session lives on
      log.appendChild(el("div", { class: "msg bot error", role: "alert", text: "Not signed out: " +
        (err && err.message || "the service cannot be reached.") + " You are still signed in." }));
    });
  }

  function signInButton(target, retry) {
    target.appendChild(el("button", { type: "button", class: "primary signin", text: "Sign in",
      onclick: function () { signIn(retry); } }));
  }

  // The full page has no script tag carrying a key: let the person type it in.
  function keyForm(target, retry) {
    var field = el("input", { type: "password", "aria-label": "API key", autocomplete: "off" });
    var use = el("button", { type: "submit", class: "primary", text: "Use key" });
    var f = el("form", { class: "fb", "aria-label": "API key" }, [field, use]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      KEY = field.value.trim();
      sessionStorage.setItem(PAGE_KEY, KEY);
      retry();
    });
    target.appendChild(f);
    field.focus();
  }

  // ---- the citation viewer ----------------------------------------------------------------
  // The supporting spans within the passage, as the answer names them; else the answer's words
  // before this marker where they appear verbatim in the passage; else the passage itself.
  function supportSpans(c, text, answerText) {
    var spans = (Array.isArray(c.spans) ? c.spans : []).filter(function (s) {
      return typeof s.start === "number" && s.end > s.start;
    }).map(function (s) { return [Math.max(s.start, c.start), Math.min(s.end, c.end)]; })
      .filter(function (s) { return s[1] > s[0]; });
    if (spans.length) return spans.sort(function (x, y) { return x[0] - y[0]; });
    var m = answerText ? answerText.match(new RegExp("([^\\]]*?)\\s*\\[" + c.n + "\\]")) : null;
    var sentence = m ? m[1].replace(/^[\s.]+/, "").trim() : "";
    var tries = [sentence, sentence.split(/(?<=[.!?])\s+/).pop()];
    for (var i = 0; i < tries.length; i++) {
      var at = tries[i] && text ? text.indexOf(tries[i], c.start) : -1;
      if (at >= 0 && at + tries[i].length <= c.end) return [[at, at + tries[i].length]];
    }
    return [[c.start, c.end]];
  }

  function openCitation(c, answerText, event) {
    lastFocus = event && event.currentTarget;
    viewer.hidden = false;
    vTitle.textContent = "[" + c.n + "] " + (c.title || c.doc_id);
    vMeta.textContent = c.doc_id + (c.page_start > 0 ? " \u00B7 " + pagesText(c) : "") +
      (stated(c) ? " \u00B7 dated " + longDay(c.date) : "") +
      " \u00B7 characters " + c.start + "\u2013" + c.end +
      (c.release_date ? " \u00B7 documents as of " + longDay(c.release_date) : "");
    vDoc.replaceChildren(el("span", { class: "thinking", text: "Loading the passage\u2026" }));
    vTitle.focus();
    fetch(API + "/v1/documents/" + docPath(c.doc_id), { headers: headers(false) })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (doc) { showPassage(doc.text, c, false, answerText); },
        function () {  // the document is gone or unreadable: show the passage as cited
          showPassage(null, c, false, answerText);
          vMeta.textContent += " (the full document could not be loaded)";
        });
  }

  // The passage (with some context, or the whole document) as text: the passage marked, its
  // supporting spans marked strongly.
  function showPassage(text, c, whole, answerText) {
    if (text === null) { text = c.text; c = { n: c.n, start: 0, end: c.text.length, spans: [] }; }
    var from = whole ? 0 : Math.max(0, c.start - CONTEXT);
    var to = whole ? text.length : Math.min(text.length, c.end + CONTEXT);
    var cuts = [[from, c.start, null]], at = c.start;
    supportSpans(c, text, answerText).forEach(function (s) {
      if (s[0] < at) return;  // overlapping spans: keep the first
      cuts.push([at, s[0], "mark"], [s[0], s[1], "support"]);
      at = s[1];
    });
    cuts.push([at, c.end, "mark"], [c.end, to, null]);
    vDoc.replaceChildren(from > 0 ? "\u2026" : "");
    var first = null;
    cuts.forEach(function (p) {
      if (p[1] <= p[0]) return;
      var piece = text.slice(p[0], p[1]);
      if (!p[2]) { vDoc.appendChild(document.createTextNode(piece)); return; }
      var mark = el("mark", { class: p[2] === "support" ? "support" : "", text: piece });
      if (p[2] === "support") first = first || mark;
      vDoc.appendChild(mark);
    });
    if (to < text.length) vDoc.appendChild(document.createTextNode("\u2026"));
    vWhole.hidden = whole || (from === 0 && to === text.length);
    vWhole.onclick = function (e) { e.preventDefault(); showPassage(text, c, true, answerText); vDoc.focus(); };
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
  }

  function closeViewer() {
    if (viewer.hidden) return;
    viewer.hidden = true;
    if (lastFocus && lastFocus.isConnected) lastFocus.focus(); else input.focus();
  }
  vBack.addEventListener("click", closeViewer);

  function docPath(id) { return id.split("/").map(encodeURIComponent).join("/"); }

  // ---- the PDF viewer ---------------------------------------------------------------------
  // "p. 12" / "pp. 12-13": where a PDF citation's passage lies.
  function pagesText(c) {
    return c.page_end > c.page_start ? "pp. " + c.page_start + "\u2013" + c.page_end :
      "p. " + c.page_start;
  }

  // The page to open: the first supporting span's (a passage may run over a page break).
  function firstPage(c) {
    var on = (c.spans || []).filter(function (s) { return s.page > 0; })[0];
    return on ? on.page : c.page_start;
  }

  var pdfFrame = null, pdfReady = null;
  var API_ORIGIN = new URL(API, location.href).origin;

  // The widget fetches the original PDF itself, with the key it sends everywhere, and hands the
  // bytes to the viewer page once it says it is ready; the key never leaves this script.
  function openPdf(c, event) {
    lastFocus = event && event.currentTarget;
    closePdf(true);
    pdfBox.hidden = false;
    pdfTitle.textContent = "[" + c.n + "] " + (c.title || c.doc_id) + ", " + pagesText(c);
    pdfNote.textContent = "Loading the PDF\u2026";
    var iframe = el("iframe", { src: API + "/viewer", title: "PDF: " + (c.title || c.doc_id) });
    var ready = new Promise(function (resolve) { pdfReady = resolve; });
    pdfFrame = iframe;
    var bytes = fetch(API + "/v1/files/" + docPath(c.doc_id), { headers: headers(false) })
      .then(function (r) {
        if (r.ok) return r.arrayBuffer();
        return r.json().catch(function () { return null; }).then(function (b) {
          throw { message: errorText(r.status, b) };
        });
      });
    pdfBox.appendChild(iframe);
    pdfTitle.focus();
    Promise.all([bytes, ready]).then(function (got) {
      if (pdfFrame !== iframe) return;
      iframe.contentWindow.postMessage({ type: "rag-viewer-open", pdf: got[0],
        page: firstPage(c), first: c.page_start, pageEnd: c.page_end, passage: c.text,
        title: c.title || c.doc_id,
        spans: (c.spans || []).map(function (s) { return s.text; }) }, API_ORIGIN, [got[0]]);
    }, function (err) {
      if (pdfFrame !== iframe) return;
      iframe.remove();
      pdfNote.textContent = "The PDF could not be opened. " + (err && err.message || "");
    });
  }

  window.addEventListener("message", function (e) {
    if (!pdfFrame || e.source !== pdfFrame.contentWindow || e.origin !== API_ORIGIN) return;
    var m = e.data || {};
    if (m.type === "rag-viewer-ready" && pdfReady) { pdfReady(); pdfReady = null; }
    else if (m.type === "rag-viewer-shown") {
      pdfNote.textContent = "Page " + m.page + " of " + m.pages +
        (m.highlights ? ", the cited passage highlighted." : ".");
    } else if (m.type === "rag-viewer-close") closePdf();
  });

  function closePdf(quiet) {
    if (pdfFrame) pdfFrame.remove();
    pdfFrame = null;
    pdfReady = null;
    if (pdfBox.hidden) return;
    pdfBox.hidden = true;
    if (quiet !== true) {
      if (lastFocus && lastFocus.isConnected) lastFocus.focus(); else input.focus();
    }
  }
  pdfClose.addEventListener("click", closePdf);
  pdfBox.addEventListener("keydown", function (e) { if (e.key === "Escape") closePdf(); });

  function mount() {
    document.body.appendChild(host);
    if (PAGE) input.focus();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
