// Point check form: calls the JSON API and renders the hits as a table.
// All text goes in through textContent, never innerHTML.
"use strict";

const relations = {
  within: "位于其内", contains: "包含", intersects: "相交",
  touches: "边界接触", nearby: "邻近",
};

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function showDataset() {
  const box = document.getElementById("dataset");
  try {
    const r = await fetch("/api/v1/dataset");
    const d = await r.json();
    if (!r.ok) throw new Error(d.error ? d.error.message : r.statusText);
    box.textContent = `数据集：${d.name}（版本 ${d.version}）` +
      (d.synthetic ? "。注意：这是合成样例数据，边界为生成，非官方数据，不能用于实际审批。" : "");
  } catch (err) {
    box.textContent = "无法读取数据集信息：" + err.message;
  }
}

async function check(ev) {
  ev.preventDefault();
  const out = document.getElementById("result");
  out.replaceChildren(el("p", "查询中…"));
  const q = new URLSearchParams({
    lon: document.getElementById("lon").value.trim(),
    lat: document.getElementById("lat").value.trim(),
  });
  const buf = document.getElementById("buffer").value.trim();
  if (buf !== "") q.set("buffer_m", buf);
  const industry = document.getElementById("industry").value.trim().split(/\s+/)[0] || "";
  if (industry !== "") q.set("industry", industry);
  const construction = document.getElementById("construction").value;
  if (construction !== "") q.set("construction", construction);
  try {
    const r = await fetch("/api/v1/check?" + q.toString());
    const body = await r.json();
    if (!r.ok) {
      const p = el("p", `查询失败：${body.error.message}（${body.error.code}）`);
      p.className = "error";
      out.replaceChildren(p);
      return;
    }
    render(out, body);
  } catch (err) {
    const p = el("p", "查询失败：" + err.message);
    p.className = "error";
    out.replaceChildren(p);
  }
}

const effects = { prohibit: "禁止", restrict: "限制", require: "要求", encourage: "鼓励", info: "说明" };

const outcomes = {
  triggered: "触发", needs_information: "待补充信息", needs_review: "需人工研判", not_applicable: "不适用",
};

// renderAssessment shows the verdict banner and the clauses that matter:
// triggered, missing information, and those needing review.
function renderAssessment(a) {
  const box = el("div");
  const banner = el("div", `准入结论：${a.label}。${a.reason}`);
  banner.className = "verdict v-" + a.verdict;
  box.append(banner);
  let dim = "";
  for (const c of a.clauses) {
    if (c.outcome === "not_applicable") continue;
    if (c.dimension !== dim) {
      dim = c.dimension;
      box.append(el("h3", dim));
    }
    const div = el("div");
    div.className = "clause";
    const tag = el("span", (outcomes[c.outcome] || c.outcome) + "·" + (effects[c.effect] || c.effect));
    tag.className = "tag" + (c.outcome === "triggered" ? " " + c.effect : "");
    div.append(tag, el("strong", c.id + " "), document.createTextNode(c.text));
    const ul = el("ul");
    for (const e of c.evidence) ul.append(el("li", e));
    div.append(ul);
    box.append(div);
  }
  return box;
}

function render(out, res) {
  const parts = [];
  if (res.assessment) parts.push(renderAssessment(res.assessment));
  if (res.hits.length === 0) {
    parts.push(el("p", "未命中任何图层要素（该点不在数据覆盖范围内，且缓冲距离内无要素）。"));
  } else {
    const table = el("table");
    const head = el("tr");
    for (const h of ["图层", "编码", "名称", "类别", "关系", "距离（米）"]) head.append(el("th", h));
    table.append(head);
    for (const h of res.hits) {
      const tr = el("tr");
      tr.append(el("td", h.layer_title), el("td", h.id), el("td", h.name), el("td", h.category),
        el("td", relations[h.relation] || h.relation), el("td", h.relation === "nearby" ? h.distance_m.toFixed(1) : "0"));
      table.append(tr);
    }
    parts.push(table);
  }
  for (const n of res.notes) parts.push(el("p", n));
  parts.push(el("p", `数据集 ${res.dataset.name} ${res.dataset.version}，校验和 ${res.dataset.checksum.slice(0, 19)}…`));
  parts[parts.length - 1].className = "muted";
  out.replaceChildren(...parts);
}

document.getElementById("form").addEventListener("submit", check);
showDataset();

// Industry autocomplete over GB/T 4754-2017 codes and names.
let suggestTimer = 0;
document.getElementById("industry").addEventListener("input", (ev) => {
  clearTimeout(suggestTimer);
  const q = ev.target.value.trim();
  if (q.length < 1) return;
  suggestTimer = setTimeout(async () => {
    const r = await fetch("/api/v1/industries?limit=15&q=" + encodeURIComponent(q));
    if (!r.ok) return;
    const body = await r.json();
    const list = document.getElementById("industries");
    list.replaceChildren(...body.industries.map((i) => {
      const o = document.createElement("option");
      o.value = i.code + " " + i.name;
      return o;
    }));
  }, 150);
});

// A link such as /?lon=106.55&lat=29.56&buffer_m=1000 fills the form and
// runs the check, so that a result can be shared.
const params = new URLSearchParams(location.search);
if (params.has("lon") && params.has("lat")) {
  document.getElementById("lon").value = params.get("lon");
  document.getElementById("lat").value = params.get("lat");
  if (params.has("buffer_m")) document.getElementById("buffer").value = params.get("buffer_m");
  if (params.has("industry")) document.getElementById("industry").value = params.get("industry");
  if (params.has("construction")) document.getElementById("construction").value = params.get("construction");
  document.getElementById("form").requestSubmit();
}
