// The page's only script: runs queries against this host's /sparql and /queries endpoints and
// renders results with textContent (never innerHTML), so nothing from the data is interpreted.
"use strict";

const output = document.getElementById("output");
const statusLine = document.getElementById("status");
const MEDIA = {
  json: "application/sparql-results+json", xml: "application/sparql-results+xml",
  csv: "text/csv", tsv: "text/tab-separated-values", turtle: "text/turtle",
  ntriples: "application/n-triples", jsonld: "application/ld+json",
};
// For the table view: solutions as JSON, graphs as Turtle.
const TABLE_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(...nodes) {
  output.replaceChildren(...nodes);
}

function cell(term) {
  if (!term) return "";
  if (term.type === "uri") return term.value;
  if (term.type === "bnode") return "_:" + term.value;
  return term.value;
}

function renderSolutions(data) {
  if (typeof data.boolean === "boolean") {
    show(el("p", data.boolean ? "yes" : "no"));
    return;
  }
  const vars = data.head.vars;
  const table = el("table");
  const head = el("tr");
  vars.forEach((v) => head.appendChild(el("th", v)));
  table.appendChild(el("thead")).appendChild(head);
  const body = table.appendChild(el("tbody"));
  for (const row of data.results.bindings) {
    const tr = el("tr");
    vars.forEach((v) => tr.appendChild(el("td", cell(row[v]))));
    body.appendChild(tr);
  }
  const n = data.results.bindings.length;
  show(el("p", n + (n === 1 ? " row" : " rows")), table);
}

async function run(url, options, format) {
  const started = performance.now();
  statusLine.textContent = "running…";
  try {
    const accept = format === "table-view" ? TABLE_ACCEPT : MEDIA[format];
    const response = await fetch(url, { ...options, headers: { ...(options.headers || {}), Accept: accept } });
    const type = response.headers.get("Content-Type") || "";
    const text = await response.text();
    statusLine.textContent = response.status + " in " + Math.round(performance.now() - started) + " ms";
    if (!response.ok) {
      let message = text;
      try { message = JSON.parse(text).error || text; } catch (e) { /* not JSON */ }
      show(el("p", message));
      output.firstChild.className = "error";
      return;
    }
    if (format === "table-view" && type.startsWith("application/sparql-results+json")) {
      renderSolutions(JSON.parse(text));
    } else {
      show(el("pre", text));
    }
  } catch (err) {
    statusLine.textContent = "failed";
    show(el("p", String(err)));
    output.firstChild.className = "error";
  }
}

document.getElementById("query-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = document.getElementById("query").value;
  const format = document.getElementById("format").value;
  run("sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query" },
    body: query,
  }, format);
});

for (const button of document.querySelectorAll("button.example")) {
  button.addEventListener("click", () => {
    document.getElementById("query").value = button.dataset.query;
  });
}

for (const form of document.querySelectorAll("form.canned")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) {
      if (input.value.trim()) params.append(input.name, input.value.trim());
    }
    const format = document.getElementById("format").value;
    run("queries/" + encodeURIComponent(form.dataset.name) + "?" + params.toString(), {}, format);
  });
  form.querySelector("button.show-text").addEventListener("click", () => {
    const pre = form.querySelector("pre.query-text");
    pre.hidden = !pre.hidden;
  });
}
