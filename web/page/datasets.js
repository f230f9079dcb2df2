// The 数据版本 page: the dataset versions the service knows (GET
// /api/v1/datasets) and what changed between two of them (GET
// /api/v1/datasets/diff). ?from=&to= in the URL opens a comparison. All
// text goes in through textContent; el, $, fmt and api come from
// common.js.
"use strict";

const ROWS_STEP = 200;
const changeLabels = { added: "新增", removed: "删除", modified: "修改" };
const fieldLabels = {
  geometry: "边界", category: "类别", name: "名称", text: "原文", effect: "效力", level: "层级", scope: "范围",
  dimension: "维度", number: "编号", industries: "行业", construction: "建设性质", spatial: "空间条件",
  exceptions: "例外", machine: "可自动判定",
};

function changeText(c) {
  let s = changeLabels[c.change] || c.change;
  if (c.change === "modified" && c.fields && c.fields.length) {
    s += "（" + c.fields.map((f) => fieldLabels[f] || f).join("、") + "）";
  }
  return s;
}

function signedHa(v) {
  if (v === undefined || v === null) return "";
  const s = fmt(Math.abs(v), 2);
  return v > 0 ? "+" + s : v < 0 ? "−" + s : s;
}

function versionLabel(v) {
  let s = v.id;
  if (v.version && v.version !== v.id) s += " · " + v.version;
  if (v.active) s += "（正在使用）";
  return s;
}

// ---- versions ----

let versions = [];

function renderVersions(list) {
  const ul = $("ds-versions");
  ul.replaceChildren();
  for (const v of list.versions) {
    const li = el("li");
    li.dataset.id = v.id;
    const head = el("div", null, "vhead");
    head.append(el("strong", v.id));
    if (v.active) head.append(el("span", "正在使用", "badge active"));
    if (v.synthetic) head.append(el("span", "合成样例", "badge"));
    if (v.problem) head.append(el("span", "无法读取", "badge bad"));
    li.append(head);
    const parts = [v.name, v.version ? "版本 " + v.version : "", v.published ? "发布 " + v.published : ""].filter(Boolean);
    li.append(el("div", parts.join("，"), "vmeta"));
    const f = v.features || {};
    const counts = [];
    if (f.control_units !== undefined) counts.push("管控单元 " + fmt(f.control_units) + " 个");
    if (f.eco_redline !== undefined) counts.push("生态保护红线 " + fmt(f.eco_redline) + " 块");
    const others = Object.keys(f).filter((k) => k !== "control_units" && k !== "eco_redline").length;
    if (others) counts.push("另有 " + others + " 个图层");
    if (counts.length) li.append(el("div", counts.join("，"), "vmeta"));
    if (v.checksum) li.append(el("div", v.checksum.slice(0, 19) + "…", "vsum"));
    if (v.problem) li.append(el("div", v.problem, "error"));
    ul.append(li);
  }
}

function fillSelects(list, from, to) {
  for (const id of ["ds-from", "ds-to"]) {
    const sel = $(id);
    sel.replaceChildren();
    for (const v of list.versions) {
      const o = el("option", versionLabel(v));
      o.value = v.id;
      o.disabled = !!v.problem;
      sel.append(o);
    }
  }
  const ids = list.versions.filter((v) => !v.problem).map((v) => v.id);
  const active = list.versions.find((v) => v.active);
  // Default: from the version before the one in use to it; when the one
  // in use is the oldest, from it to the newest (what activating that
  // would change).
  const cur = active ? active.id : ids[ids.length - 1];
  const i = ids.indexOf(cur);
  let dFrom = i > 0 ? ids[i - 1] : cur;
  let dTo = i > 0 ? cur : ids[ids.length - 1];
  $("ds-from").value = ids.includes(from) ? from : dFrom || "";
  $("ds-to").value = ids.includes(to) ? to : dTo || "";
}

async function loadVersions() {
  const status = $("ds-versions-status");
  let list;
  try {
    list = await api("/api/v1/datasets");
  } catch (err) {
    status.className = "error";
    status.textContent = "无法读取版本列表：" + err.message;
    $("ds-compare").disabled = true;
    return null;
  }
  versions = list.versions;
  renderVersions(list);
  status.className = "hint";
  if (!list.versioned) {
    status.textContent = "服务只加载了一个数据集（--data 不是版本目录），没有其他版本可比较。";
    $("ds-compare").disabled = true;
    $("ds-from").disabled = $("ds-to").disabled = true;
  } else {
    status.textContent = `共 ${versions.length} 个版本。`;
  }
  const q = new URLSearchParams(location.search);
  fillSelects(list, q.get("from"), q.get("to"));
  return list;
}

// ---- comparison ----

let diff = null;
const shown = { features: ROWS_STEP, clauses: ROWS_STEP };

function checked(cls) {
  return new Set([...document.querySelectorAll("." + cls)].filter((c) => c.checked).map((c) => c.value));
}

function renderRows(kind) {
  const block = kind === "features" ? "ds-features" : "ds-clauses";
  const all = diff[kind];
  const items = all.filter((c) => checked(kind === "features" ? "ds-ffilter" : "ds-cfilter").has(c.change));
  const body = $(block).tBodies[0];
  body.replaceChildren();
  for (const c of items.slice(0, shown[kind])) {
    const tr = el("tr", null, "ch-" + c.change);
    if (kind === "features") {
      const state = c.after || c.before || {};
      tr.append(el("td", c.layer_title || c.layer), el("td", c.id, "code"), el("td", state.name || ""),
        el("td", changeText(c)), el("td", signedHa(c.area_change_ha), "num"), el("td", c.summary, "summary"));
    } else {
      const cl = c.after || c.before || {};
      tr.append(el("td", c.scope_name), el("td", c.dimension || ""), el("td", (cl.number ? cl.number + " " : "") + c.id, "code"),
        el("td", changeText(c)), el("td", c.summary, "summary"));
    }
    body.append(tr);
  }
  const more = $(block + "-more");
  const rest = items.length - shown[kind];
  more.hidden = rest <= 0;
  more.textContent = rest > 0 ? `显示更多（还有 ${fmt(rest)} 条）` : "";
  let title = (kind === "features" ? "要素" : "准入条款") + `（${fmt(all.length)} 条变化`;
  if (items.length < all.length) title += `，按类型筛选后 ${fmt(items.length)} 条`;
  if (rest > 0) title += `，已显示 ${fmt(shown[kind])} 条`;
  $(block + "-title").textContent = title + "）";
}

function renderDiff(d) {
  diff = d;
  shown.features = shown.clauses = ROWS_STEP;
  const byID = Object.fromEntries(versions.map((v) => [v.id, v]));
  const ref = (id, r) => `${id}（${r.name}，版本 ${r.version}）`;
  $("ds-diff-versions").textContent = `从 ${ref(d.from_id, d.from)} 到 ${ref(d.to_id, d.to)}` +
    (byID[d.to_id] && byID[d.to_id].active ? "；新版本正在使用。" : "。");
  const n = d.counts;
  const cards = [
    ["要素新增", n.features_added], ["要素删除", n.features_removed], ["边界调整", n.geometry_changed],
    ["类别变化", n.category_changed], ["名称变化", n.name_changed],
    ["条款新增", n.clauses_added], ["条款删除", n.clauses_removed], ["条款修改", n.clauses_changed],
  ];
  if (n.layers_added || n.layers_removed) cards.unshift(["图层增删", n.layers_added + n.layers_removed]);
  const ul = $("ds-counts");
  ul.replaceChildren();
  for (const [label, v] of cards) {
    const li = el("li", null, v ? "" : "zero");
    li.append(el("span", fmt(v), "count"), el("span", label, "label"));
    ul.append(li);
  }
  $("ds-layers").replaceChildren(...d.layers.map((l) => el("li", l.summary)));
  $("ds-layers-block").hidden = d.layers.length === 0;
  $("ds-features-block").hidden = d.features.length === 0;
  $("ds-clauses-block").hidden = d.clauses.length === 0;
  $("ds-identical").hidden = !(d.layers.length === 0 && d.features.length === 0 && d.clauses.length === 0);
  if (d.features.length) renderRows("features");
  if (d.clauses.length) renderRows("clauses");
  $("ds-empty").hidden = true;
  $("ds-diff").hidden = false;
}

let inflight = null;
async function compare(from, to) {
  $("ds-error").textContent = "";
  if (from === to) {
    $("ds-error").textContent = "请选择两个不同的版本。";
    return;
  }
  const q = new URLSearchParams({ from, to });
  history.replaceState(null, "", "?" + q.toString());
  if (inflight) inflight.abort();
  const ctl = new AbortController();
  inflight = ctl;
  const btn = $("ds-compare");
  btn.disabled = true;
  btn.textContent = "正在比较…";
  btn.classList.add("loading");
  try {
    renderDiff(await api("/api/v1/datasets/diff?" + q.toString(), { signal: ctl.signal }));
  } catch (err) {
    if (err.name === "AbortError") return;
    $("ds-error").textContent = err.message;
  } finally {
    if (inflight === ctl) {
      inflight = null;
      btn.disabled = false;
      btn.textContent = "比较";
      btn.classList.remove("loading");
    }
  }
}

$("ds-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  compare($("ds-from").value, $("ds-to").value);
});
for (const [cls, kind] of [["ds-ffilter", "features"], ["ds-cfilter", "clauses"]]) {
  for (const box of document.querySelectorAll("." + cls)) {
    box.addEventListener("change", () => {
      shown[kind] = ROWS_STEP;
      renderRows(kind);
    });
  }
}
$("ds-features-more").addEventListener("click", () => { shown.features += ROWS_STEP; renderRows("features"); });
$("ds-clauses-more").addEventListener("click", () => { shown.clauses += ROWS_STEP; renderRows("clauses"); });

loadVersions().then((list) => {
  const q = new URLSearchParams(location.search);
  if (list && list.versioned && q.get("from") && q.get("to")) compare($("ds-from").value, $("ds-to").value);
});
