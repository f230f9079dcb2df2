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

function render(out, res) {
  const parts = [];
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

// A link such as /?lon=106.55&lat=29.56&buffer_m=1000 fills the form and
// runs the check, so that a result can be shared.
const params = new URLSearchParams(location.search);
if (params.has("lon") && params.has("lat")) {
  document.getElementById("lon").value = params.get("lon");
  document.getElementById("lat").value = params.get("lat");
  if (params.has("buffer_m")) document.getElementById("buffer").value = params.get("buffer_m");
  document.getElementById("form").requestSubmit();
}
