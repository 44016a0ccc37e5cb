// The cluster table: rows come from the JSON in #cluster-rows and are drawn a page at a time,
// so the DOM never holds more than PAGE rows however many clusters the run found.
(function () {
  "use strict";
  var PAGE = 50;
  var rows = JSON.parse(document.getElementById("cluster-rows").textContent);
  // [id, pages, paragraphs, bytes, text, variants] per row; each row's members and variants
  // travel gzipped (see render.py) and are inflated by the browser after the table is drawn.
  var details = null;
  var body = document.querySelector("#cluster-table tbody");
  var detail = document.getElementById("cluster-detail");
  var info = document.getElementById("page-info");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var heads = document.querySelectorAll("#cluster-table th[data-key]");
  var state = { filter: "", key: 1, desc: true, page: 0, selected: -1 };
  var order = [];
  var haystack = null;

  function inflate(packed) {
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot unpack the members and variants; " +
        "open the report in Chrome 80, Firefox 113, Safari 16.4 or later"));
    }
    var text = atob(packed);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function cell(tr, value, cls) {
    var td = document.createElement("td");
    td.textContent = value;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function number(value) { return value.toLocaleString("en-US"); }

  function apply() {
    var needle = state.filter;
    if (needle && haystack === null) {
      haystack = rows.map(function (row) { return (row[0] + " " + row[4]).toLowerCase(); });
    }
    order = [];
    for (var i = 0; i < rows.length; i++) {
      if (!needle || haystack[i].indexOf(needle) !== -1) { order.push(i); }
    }
    var key = state.key;
    var sign = state.desc ? -1 : 1;
    order.sort(function (a, b) {
      var x = rows[a][key];
      var y = rows[b][key];
      if (x < y) { return -sign; }
      if (x > y) { return sign; }
      return a - b;
    });
    document.body.dataset.filter = needle; // what the rows show, for tests and screenshots
    heads.forEach(function (th) {
      var on = Number(th.dataset.key) === key;
      th.classList.toggle("sorted", on);
      th.classList.toggle("asc", on && !state.desc);
    });
    draw();
  }

  function draw() {
    var pages = Math.max(1, Math.ceil(order.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var first = state.page * PAGE;
    var shown = order.slice(first, first + PAGE);
    var fragment = document.createDocumentFragment();
    shown.forEach(function (index) {
      var row = rows[index];
      var tr = document.createElement("tr");
      tr.dataset.index = index;
      if (index === state.selected) { tr.className = "selected"; }
      cell(tr, row[0], "id");
      cell(tr, number(row[1]), "num");
      cell(tr, number(row[2]), "num");
      cell(tr, number(row[3]), "num");
      cell(tr, number(row[5]), "num");
      cell(tr, row[4], "text");
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    info.textContent = order.length
      ? "rows " + number(first + 1) + "–" + number(first + shown.length) + " of " + number(order.length)
      : "no cluster matches";
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }

  function table(headings, lines) {
    var t = document.createElement("table");
    var head = t.createTHead().insertRow();
    headings.forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h[0];
      if (h[1]) { th.className = h[1]; }
      head.appendChild(th);
    });
    var tbody = t.createTBody();
    lines.forEach(function (values) {
      var tr = tbody.insertRow();
      values.forEach(function (value, i) { cell(tr, value, headings[i][1]); });
    });
    return t;
  }

  function show(index) {
    state.selected = index;
    details.then(function (data) { showDetail(data, index); }, function (error) {
      detail.textContent = error.message;
      detail.hidden = false;
    });
  }

  function showDetail(data, index) {
    var row = rows[index];
    var more = data.details[index];
    var title = document.createElement("h3");
    title.textContent = "Cluster " + row[0] + ": " + number(row[1]) + " pages, " + number(row[2]) + " paragraphs";
    var parts = [title];
    if (more.path) {
      var path = document.createElement("p");
      path.className = "path";
      path.textContent = "element: " + more.path;
      parts.push(path);
    }
    var caption = document.createElement("p");
    caption.className = "note";
    caption.textContent = "Variants (" + more.variants.length + " of " + number(row[5]) +
      " distinct texts), compared with the representative from their MinHash signatures:";
    parts.push(caption);
    parts.push(table(
      [["#", "num"], ["members", "num"], ["similarity", "num"], ["containment", "num"], ["text", ""]],
      more.variants.map(function (v, i) {
        return [i + 1, number(v[1]), v[2].toFixed(3), v[3].toFixed(3), v[0]];
      })
    ));
    var members = document.createElement("p");
    members.className = "note";
    members.textContent = "Members (first " + more.members.length + " of " + number(row[2]) + "):";
    parts.push(members);
    parts.push(table(
      [["page", ""], ["paragraph", "num"], ["variant", "num"]],
      more.members.map(function (m) {
        return [data.docs[m[0]], m[1], m[2] < 0 ? "other" : m[2] + 1];
      })
    ));
    detail.replaceChildren.apply(detail, parts);
    detail.hidden = false;
    draw();
  }

  var timer = null;
  document.getElementById("filter").addEventListener("input", function (event) {
    var value = event.target.value.trim().toLowerCase();
    clearTimeout(timer);
    timer = setTimeout(function () { state.filter = value; state.page = 0; apply(); }, 80);
  });
  heads.forEach(function (th) {
    th.addEventListener("click", function () {
      var key = Number(th.dataset.key);
      state.desc = state.key === key ? !state.desc : key !== 0 && key !== 4;
      state.key = key;
      state.page = 0;
      apply();
    });
  });
  prev.addEventListener("click", function () { state.page -= 1; draw(); });
  next.addEventListener("click", function () { state.page += 1; draw(); });
  body.addEventListener("click", function (event) {
    var tr = event.target.closest("tr");
    if (tr) { show(Number(tr.dataset.index)); }
  });
  apply();
  document.body.dataset.ready = "true";
  details = new Promise(function (resolve) {
    // After the first paint: decoding a few MB of base64 need not delay the table.
    setTimeout(function () {
      resolve(inflate(document.getElementById("cluster-details").textContent.trim()));
    }, 0);
  });
  details.then(function () { document.body.dataset.details = "ready"; });
})();
