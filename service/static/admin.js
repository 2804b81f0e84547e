/* The administration page (/admin): collections and their documents, keys, releases, feedback,
 * the knowledge-gap report and the eval report, over the same HTTP API, with an admin key
 * entered once and kept for the browser tab only (sessionStorage), or as the signed-in person
 * (docs/sso.md: the session cookie, with its CSRF token on every change). Everything the server sends
 * is inserted as text (textContent), never parsed as HTML. Plain JavaScript, no build step. */
(function () {
  "use strict";
  var KEY_NAME = "rag-admin-key";
  var key = sessionStorage.getItem(KEY_NAME) || "";
  var csrf = "";   // set when the page acts as the signed-in person
  var me = null;   // GET /v1/auth/me

  function authHeaders() {
    return key ? { "X-API-Key": key } : csrf ? { "X-CSRF-Token": csrf } : {};
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined)
        node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function api(method, path, body) {
    var opts = { method: method, headers: authHeaders(), credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var msg = (data && data.error && data.error.message) || ("status " + r.status);
          throw { status: r.status, message: msg };
        }
        return data;
      });
    });
  }

  function docPath(id) { return "/v1/documents/" + id.split("/").map(encodeURIComponent).join("/"); }
  function day(iso) { return iso ? String(iso).replace("T", " ").replace("Z", "") : ""; }
  function when(epoch) { return epoch ? day(new Date(epoch * 1000).toISOString().slice(0, 19)) : ""; }

  function message(target, text, isError) {
    target.replaceChildren(el("div", { class: isError ? "msg error" : "msg", role: isError ? "alert" : "status", text: text }));
  }

  function table(headers, rows) {
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, rows)
    ]);
  }

  // ---- the frame ----------------------------------------------------------------------------
  var header = el("header", {}, [el("h1", { text: "Administration" })]);
  var main = el("main", {});
  document.body.appendChild(header);
  document.body.appendChild(main);

  function askForKey(note) {
    var input = el("input", { type: "password", id: "admin-key", autocomplete: "off", required: "" });
    var status = el("div", {});
    var form = el("form", { class: "row", "aria-label": "Admin key" }, [
      el("label", { for: "admin-key" }, ["Admin API key", input]),
      el("button", { class: "primary", type: "submit", text: "Use key" })
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      key = input.value.trim();
      api("GET", "/v1/releases").then(function () {
        sessionStorage.setItem(KEY_NAME, key);
        start();
      }, function (err) {
        key = "";
        message(status, "That key cannot administer this service: " + err.message, true);
      });
    });
    var kids = [el("p", { id: "admin-note", text: note || "Enter an admin key. It is kept for this browser tab only." })];
    if (me && me.oidc && !me.signed_in) {
      kids.push(el("p", {}, [el("a", { href: "/auth/login?next=/admin", class: "signin", text: "Sign in with your organisation account" }),
        " or use an admin key:"]));
    }
    main.replaceChildren.apply(main, kids.concat([form, status]));
    input.focus();
  }

  function signOut() {
    fetch("/auth/logout", { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (b) {
        if (!r.ok || !b) throw { message: (b && b.error && b.error.message) || "status " + r.status };
        location.href = b.redirect || "/auth/signed-out";
      });
    }).catch(function (err) {  // never "signed out" while the session lives on
      var note = el("div", {});
      message(note, "Not signed out: " + (err && err.message || "the service cannot be reached.") +
        " You are still signed in.", true);
      main.prepend(note);
    });
  }

  function signedInBar() {
    header.appendChild(el("span", { class: "muted", id: "signed-in-as", text: "Signed in as " + me.user }));
    header.appendChild(el("button", { type: "button", text: "Sign out", onclick: signOut }));
  }

  var TABS = ["Documents", "Keys", "Releases", "Feedback", "Gaps", "Eval", "Audit"];
  var panels = {};

  function start() {
    if (key) {
      var forget = el("button", { type: "button", text: "Forget key", onclick: function () {
        sessionStorage.removeItem(KEY_NAME); key = ""; forget.remove(); askForKey();
      } });
      header.appendChild(forget);
    } else if (csrf) {
      signedInBar();
    }
    var tabs = el("nav", { role: "tablist", "aria-label": "Sections" });
    main.replaceChildren(tabs);
    TABS.forEach(function (name, i) {
      var id = "panel-" + name.toLowerCase();
      var tab = el("button", { role: "tab", type: "button", id: "tab-" + name.toLowerCase(), "aria-controls": id,
        "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1", text: name });
      var panel = el("section", { role: "tabpanel", id: id, "aria-labelledby": "tab-" + name.toLowerCase() });
      panel.hidden = i !== 0;
      panels[name] = panel;
      tab.addEventListener("click", function () { select(name); });
      tab.addEventListener("keydown", function (e) {
        var d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!d) return;
        var next = TABS[(TABS.indexOf(name) + d + TABS.length) % TABS.length];
        select(next);
        document.getElementById("tab-" + next.toLowerCase()).focus();
      });
      tabs.appendChild(tab);
      main.appendChild(panel);
    });
    select("Documents");
  }

  function select(name) {
    TABS.forEach(function (n) {
      var tab = document.getElementById("tab-" + n.toLowerCase());
      tab.setAttribute("aria-selected", String(n === name));
      tab.setAttribute("tabindex", n === name ? "0" : "-1");
      panels[n].hidden = n !== name;
    });
    LOADERS[name](panels[name]);
  }

  // ---- documents and collections ------------------------------------------------------------
  function loadDocuments(panel) {
    var status = el("div", {});
    var select = el("select", { id: "collection" });
    var search = el("input", { type: "search", id: "title-search", placeholder: "Search by title" });
    var list = el("div", {});
    var files = el("input", { type: "file", id: "upload-files", multiple: "" });
    var progress = el("progress", { max: "100", value: "0", "aria-label": "Upload progress" });
    progress.hidden = true;
    var newName = el("input", { id: "new-collection", pattern: "[a-z0-9][a-z0-9_-]{0,63}" });
    var docs = [];

    function render() {
      var q = search.value.trim().toLowerCase();
      var shown = docs.filter(function (d) { return !q || d.title.toLowerCase().indexOf(q) >= 0; });
      list.replaceChildren(el("p", { class: "muted", text: shown.length + " of " + docs.length + " documents" }),
        table(["Title", "Document id", "Format", "Chunks", "Indexed", ""], shown.map(function (d) {
          return el("tr", {}, [el("td", { text: d.title }), el("td", { text: d.doc_id }),
            el("td", { text: d.format }), el("td", { text: String(d.chunk_count) }),
            el("td", { text: when(d.indexed_at) }),
            el("td", {}, [el("button", { type: "button", class: "danger", "aria-label": "Delete " + d.title,
              text: "Delete", onclick: function () {
                if (!confirm("Delete " + d.title + " from the index?")) return;
                api("DELETE", docPath(d.doc_id)).then(function () {
                  message(status, "Deleted " + d.title + "."); refresh();
                }, function (err) { message(status, "Could not delete: " + err.message, true); });
              } })])]);
        })));
    }

    function refresh() {
      var c = select.value;
      return api("GET", "/v1/documents?limit=500&collection=" + encodeURIComponent(c)).then(function (page) {
        docs = page.documents; render();
      }, function (err) { message(status, err.message, true); });
    }

    function loadCollections(chosen) {
      return api("GET", "/v1/collections").then(function (data) {
        select.replaceChildren.apply(select, data.collections.map(function (c) {
          return el("option", { value: c.name, text: c.name + " (" + c.documents + ")" });
        }));
        if (chosen) select.value = chosen;
        return refresh();
      }, function (err) { message(status, err.message, true); });
    }

    var upload = el("form", { class: "row", "aria-label": "Upload documents" }, [
      el("label", { for: "upload-files" }, ["Files to add to this collection", files]),
      el("button", { class: "primary", type: "submit", text: "Upload" }), progress]);
    upload.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!files.files.length) { message(status, "Choose one or more files first.", true); return; }
      var form = new FormData();
      Array.prototype.forEach.call(files.files, function (f) { form.append("files", f, f.name); });
      form.append("collection", select.value);
      var xhr = new XMLHttpRequest();  // fetch cannot report upload progress
      xhr.open("POST", "/v1/documents");
      var auth = authHeaders();
      Object.keys(auth).forEach(function (h) { xhr.setRequestHeader(h, auth[h]); });
      progress.hidden = false; progress.value = 0;
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) progress.value = Math.round(100 * ev.loaded / ev.total); };
      xhr.onload = function () {
        progress.value = 100;
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
        if (xhr.status >= 300 && xhr.status !== 207) {
          message(status, "Upload refused: " + ((data && data.error && data.error.message) || "status " + xhr.status), true);
          return;
        }
        var lines = ((data && data.files) || []).map(function (f) {
          return f.filename + ": " + f.status + (f.reason ? " (" + f.reason + ")" : "");
        });
        message(status, "Uploaded. " + lines.join("; "), xhr.status === 207);
        files.value = "";
        loadCollections(select.value);
      };
      xhr.onerror = function () { message(status, "The upload failed: the service could not be reached.", true); };
      xhr.send(form);
    });

    var create = el("form", { class: "row", "aria-label": "New collection" }, [
      el("label", { for: "new-collection" }, ["New collection", newName]),
      el("button", { type: "submit", text: "Create collection" })]);
    create.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/v1/collections", { name: newName.value.trim() }).then(function (c) {
        message(status, "Created collection " + c.name + ".");
        newName.value = "";
        loadCollections(c.name);
      }, function (err) { message(status, "Could not create it: " + err.message, true); });
    });

    select.addEventListener("change", refresh);
    search.addEventListener("input", render);
    panel.replaceChildren(el("h2", { text: "Documents" }),
      el("form", { class: "row", "aria-label": "Choose documents", onsubmit: function (e) { e.preventDefault(); } }, [
        el("label", { for: "collection" }, ["Collection", select]),
        el("label", { for: "title-search" }, ["Search", search])]),
      upload, create, status, list);
    loadCollections();
  }

  // ---- keys -----------------------------------------------------------------------------------
  function loadKeys(panel) {
    var status = el("div", {});
    var list = el("div", {});
    var name = el("input", { id: "key-name", required: "" });
    var role = el("select", { id: "key-role" }, [el("option", { value: "read", text: "read" }),
      el("option", { value: "admin", text: "admin" })]);
    var colls = el("input", { id: "key-collections", placeholder: "hr,finance (empty: all)" });

    function refresh() {
      api("GET", "/v1/keys").then(function (data) {
        list.replaceChildren(table(["Name", "Role", "Collections", "Created", "State", ""], data.keys.map(function (k) {
          var scope = k.collections === "all" ? "all" : k.collections.join(", ");
          return el("tr", {}, [el("td", { text: k.name }), el("td", { text: k.role }), el("td", { text: scope }),
            el("td", { text: day(k.created_at) }), el("td", { text: k.revoked_at ? "revoked " + day(k.revoked_at) : "active" }),
            el("td", {}, [k.revoked_at ? null : el("button", { type: "button", class: "danger", "aria-label": "Revoke " + k.name,
              text: "Revoke", onclick: function () {
                if (!confirm("Revoke the key " + k.name + "? Requests with it are refused at once.")) return;
                api("POST", "/v1/keys/" + encodeURIComponent(k.name) + "/revoke").then(function () {
                  message(status, "Revoked " + k.name + "."); refresh();
                }, function (err) { message(status, err.message, true); });
              } })])]);
        })));
      }, function (err) { message(status, err.message, true); });
    }

    var form = el("form", { class: "row", "aria-label": "New key" }, [
      el("label", { for: "key-name" }, ["Name", name]), el("label", { for: "key-role" }, ["Role", role]),
      el("label", { for: "key-collections" }, ["Collections", colls]),
      el("button", { class: "primary", type: "submit", text: "Create key" })]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var list = colls.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      api("POST", "/v1/keys", { name: name.value.trim(), role: role.value, collections: list.length ? list : null })
        .then(function (k) {
          status.replaceChildren(el("div", { class: "msg", role: "status" }, [
            "Key " + k.name + " created. Copy it now: it is not shown again.",
            el("div", { class: "secret", id: "new-key", text: k.key })]));
          name.value = ""; colls.value = "";
          refresh();
        }, function (err) { message(status, "Could not create it: " + err.message, true); });
    });
    panel.replaceChildren(el("h2", { text: "Keys" }), form, status, list);
    refresh();
  }

  // ---- releases, feedback, gaps, eval -------------------------------------------------------
  function loadReleases(panel) {
    var status = el("div", {});
    panel.replaceChildren(el("h2", { text: "Releases" }), status);
    api("GET", "/v1/releases").then(function (data) {
      panel.appendChild(el("p", { class: "muted", text: "Published: " + (data.published || "none") }));
      panel.appendChild(table(["Release", "State", "Created", "Published", "Documents", "Changes"],
        data.releases.slice().reverse().map(function (r) {
          var ch = r.changes || {};
          var text = Object.keys(ch).map(function (k) { return k + " " + (ch[k] || []).length; }).join(", ");
          return el("tr", {}, [el("td", { text: r.release_id }), el("td", { text: r.state }),
            el("td", { text: day(r.created_at) }), el("td", { text: day(r.published_at) }),
            el("td", { text: r.documents === undefined ? "" : String(r.documents) }), el("td", { text: text })]);
        })));
    }, function (err) { message(status, err.status === 404 ? "No releases yet." : err.message, err.status !== 404); });
  }

  function loadFeedback(panel) {
    var status = el("div", {});
    panel.replaceChildren(el("h2", { text: "Feedback" }), status);
    api("GET", "/v1/feedback?limit=100").then(function (data) {
      if (!data.feedback.length) { message(status, "No feedback yet."); return; }
      panel.appendChild(table(["Date", "Rating", "Question", "Answer", "Comment"], data.feedback.map(function (f) {
        return el("tr", {}, [el("td", { text: day(f.date) }), el("td", { text: f.rating === "up" ? "\uD83D\uDC4D up" : "\uD83D\uDC4E down" }),
          el("td", { text: f.question }), el("td", { class: "answer", text: f.answer }), el("td", { text: f.comment })]);
      })));
    }, function (err) { message(status, err.message, true); });
  }

  function loadGaps(panel) {
    var status = el("div", {});
    panel.replaceChildren(el("h2", { text: "Knowledge gaps" }),
      el("p", { class: "muted", text: "Questions staff asked and did not get (refused, or rated down), grouped by meaning." }), status);
    api("GET", "/v1/gaps").then(function (data) {
      if (!data.groups.length) { message(status, "No gaps: every recorded answer was given and not rated down."); return; }
      panel.appendChild(table(["Group", "Asked", "Refused", "Rated down", "Last", "Questions"], data.groups.map(function (g) {
        return el("tr", {}, [el("td", { text: g.label }), el("td", { text: String(g.count) }),
          el("td", { text: String(g.refused) }), el("td", { text: String(g.rated_down) }), el("td", { text: day(g.last) }),
          el("td", {}, [el("ul", {}, g.questions.map(function (q) { return el("li", { text: q }); }))])]);
      })));
    }, function (err) { message(status, err.message, true); });
  }

  function loadEval(panel) {
    var status = el("div", {});
    panel.replaceChildren(el("h2", { text: "Eval report" }), status);
    api("GET", "/v1/eval/latest").then(function (r) {
      var rows = [];
      ["retrieval", "answer", "short_answer", "citations", "refusal"].forEach(function (section) {
        Object.keys(r[section] || {}).forEach(function (k) {
          var v = r[section][k];
          rows.push(el("tr", {}, [el("td", { text: section + "." + k }), el("td", { text: v === null ? "" : String(v) })]));
        });
      });
      panel.appendChild(el("p", { class: "muted", text: r.questions + " questions; corpus " + (r.corpus || "") }));
      panel.appendChild(table(["Metric", "Value"], rows));
    }, function (err) { message(status, err.status === 404 ? "No eval report yet: run 'rag eval'." : err.message, err.status !== 404); });
  }

  function loadAudit(panel) {
    var status = el("div", {});
    panel.replaceChildren(el("h2", { text: "Audit log" }),
      el("p", { class: "muted", text: "Who uploaded, deleted, published, rolled back, and changed keys and collections (newest first)." }), status);
    api("GET", "/v1/audit?limit=200").then(function (data) {
      if (!data.entries.length) { message(status, "Nothing recorded yet."); return; }
      panel.appendChild(table(["When", "Who", "How", "Action", "Target", "Collection", "Details"], data.entries.map(function (e) {
        return el("tr", {}, [el("td", { text: day(e.at) }), el("td", { text: e.actor }), el("td", { text: e.via }),
          el("td", { text: e.action }), el("td", { text: e.target }), el("td", { text: e.collection || "" }),
          el("td", { class: "muted", text: JSON.stringify(e.detail) })]);
      })));
    }, function (err) { message(status, err.message, true); });
  }

  var LOADERS = { Documents: loadDocuments, Keys: loadKeys, Releases: loadReleases,
    Feedback: loadFeedback, Gaps: loadGaps, Eval: loadEval, Audit: loadAudit };

  function boot() {
    if (key) {
      api("GET", "/v1/releases").then(start, function () { sessionStorage.removeItem(KEY_NAME); key = ""; askForKey(); });
      return;
    }
    if (me && me.via === "session" && me.signed_in) {
      if (me.role === "admin") { csrf = me.csrf_token; start(); return; }
      csrf = me.csrf_token;
      signedInBar();
      main.replaceChildren(el("div", { class: "msg error", role: "alert", id: "admin-note", text: me.no_access ||
        ("You are signed in as " + me.user + ", whose groups give the read role only: administration needs a group mapped to role 'admin'.") }));
      return;
    }
    askForKey(me && me.admin_setup ? me.admin_setup : null);
  }

  fetch("/v1/auth/me", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (m) { me = m; }, function () { me = null; }).then(boot);
})();
