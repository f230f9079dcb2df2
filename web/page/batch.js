// The 批量筛查 page: upload a project list, follow the job (?job=ID in the
// URL, so a reload resumes), then the summary, downloads, row errors, a
// paged results table and a map of the page's sites. All text goes in
// through textContent and DOM APIs, never innerHTML. el, $, fmt and api
// come from common.js.
"use strict";

const POLL_MS = 1000;
const PAGE_SIZE = 100;

// Verdict colours of the map page (index.html .v-* classes): fg is the
// text colour, used for markers and lines.
const verdictColors = {
  prohibited: "#9b1c1c",
  insufficient: "#6b21a8",
  restricted: "#8a4b00",
  review: "#3730a3",
  compatible: "#135e2f",
  none: "#7b8794",
  error: "#3e4c59",
};
// Labels when the job answer has none (it always does); the legend's order.
const outcomeOrder = ["prohibited", "insufficient", "restricted", "review", "compatible", "none", "error"];
const defaultLabels = {
  prohibited: "禁止准入", insufficient: "待补充信息", restricted: "限制准入（有条件准入）", review: "需人工研判",
  compatible: "符合准入要求", none: "无准入结论（不在数据覆盖范围内）", error: "无法筛查",
};
const roleLabels = {
  name: "项目名称", industry: "行业代码", industry_name: "行业名称", construction: "建设性质", activity: "活动类型",
  lon: "经度", lat: "纬度", northing: "X（北坐标）", easting: "Y（东坐标）", wkt: "坐标串", buffer: "缓冲距离",
  crs: "坐标系", site: "项目位置",
};

function pct(x) {
  if (x > 0 && x < 0.0005) return "<0.1%";
  return (x * 100).toFixed(1) + "%";
}
function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString("zh-CN", { hour12: false });
}
function metaContent(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") || "" : "";
}

// ---- limits stated by the server ----

const maxBytes = Number(metaContent("sanxian-batch-max-bytes")) || 50 * 1024 * 1024;
const maxRows = Number(metaContent("sanxian-batch-max-rows")) || 200000;
function humanBytes(n) {
  if (n >= 1 << 20) return (n % (1 << 20) === 0 ? n / (1 << 20) : (n / (1 << 20)).toFixed(1)) + " MB";
  if (n >= 1 << 10) return (n % (1 << 10) === 0 ? n / (1 << 10) : (n / (1 << 10)).toFixed(1)) + " KB";
  return n + " 字节";
}
$("batch-limit-bytes").textContent = humanBytes(maxBytes);
$("batch-limit-rows").textContent = fmt(maxRows);

// ---- upload ----

const form = $("batch-form");
const fileInput = $("batch-file");
const submit = $("batch-submit");

function showFormError(text) {
  $("batch-error").textContent = text || "";
}
function setUploadStatus(text, loading) {
  const s = $("batch-upload-status");
  s.textContent = text || "";
  s.className = "fieldstatus" + (loading ? " loading" : "");
}

// ---- coordinate system ----

const crsSelect = $("batch-crs");
const crsOther = $("batch-crs-other");

// syncCRS shows the free-text field when "other" is chosen.
function syncCRS() {
  $("batch-crs-other-label").hidden = crsSelect.value !== "other";
}
crsSelect.addEventListener("change", () => {
  syncCRS();
  if (crsSelect.value === "other") crsOther.focus();
});
syncCRS();

// crsLabel names a coordinate system recorded with a job: the select's
// text for the ones listed there, else the name.
function crsLabel(name) {
  for (const o of crsSelect.options) {
    if (o.value === name) return o.textContent;
  }
  return name;
}

fileInput.addEventListener("change", () => {
  const f = fileInput.files[0];
  $("batch-filename").textContent = f ? `${f.name}（${humanBytes(f.size)}）` : "未选择文件";
  showFormError("");
});

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showFormError("");
  const f = fileInput.files[0];
  if (!f) {
    showFormError("请先选择项目清单文件（.xlsx 或 .csv）。");
    fileInput.focus();
    return;
  }
  if (!/\.(xlsx|csv)$/i.test(f.name)) {
    showFormError(`不支持的文件类型“${f.name}”：请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）；.xls 请先另存为 .xlsx。`);
    fileInput.focus();
    return;
  }
  if (f.size > maxBytes) {
    showFormError(`文件超过 ${humanBytes(maxBytes)} 上限，请拆分为多个文件后分批上传。`);
    fileInput.focus();
    return;
  }
  const buffer = $("batch-buffer").value.trim();
  if (buffer !== "" && !(Number(buffer) >= 0)) {
    showFormError("缓冲距离应为不小于 0 的米数。");
    $("batch-buffer").focus();
    return;
  }
  let crs = crsSelect.value;
  if (crs === "other") {
    crs = crsOther.value.trim();
    if (!crs) {
      showFormError("请填写坐标系的 EPSG 代码或名称，如 EPSG:4507，或在列表中选择。");
      crsOther.focus();
      return;
    }
  }
  const fd = new FormData();
  fd.append("file", f, f.name);
  fd.append("crs", crs);
  const name = $("batch-name").value.trim();
  if (name) fd.append("name", name);
  if (buffer !== "") fd.append("buffer_m", buffer);
  submit.disabled = true;
  setUploadStatus("正在上传并读取清单…", true);
  try {
    const job = await api("/api/v1/batches", { method: "POST", body: fd });
    setUploadStatus(`已接受：共 ${fmt(job.total)} 行，正在排队筛查。`);
    form.reset();
    syncCRS();
    $("batch-filename").textContent = "未选择文件";
    history.pushState({ job: job.id }, "", "?job=" + encodeURIComponent(job.id));
    follow(job.id, job);
    $("batch-job-title").focus();
    loadJobs();
  } catch (err) {
    setUploadStatus("");
    showFormError("上传失败：" + err.message);
    if (err.code === "unknown_crs") (crsSelect.value === "other" ? crsOther : crsSelect).focus();
  } finally {
    submit.disabled = false;
  }
});

// ---- recent jobs ----

function jobStatusText(j) {
  const status = j.status === "running" ? `${j.status_label} ${pct(j.progress)}` : j.status_label;
  return `${fmt(j.total)} 行 · ${status}`;
}

async function loadJobs() {
  const ul = $("batch-jobs");
  try {
    const { jobs } = await api("/api/v1/batches?limit=20");
    const items = jobs.map((j) => {
      const li = el("li");
      const a = el("a");
      a.href = "?job=" + encodeURIComponent(j.id);
      a.dataset.job = j.id;
      if (currentId === j.id) a.setAttribute("aria-current", "true");
      a.append(el("span", j.name || j.file_name, "jobname"), el("span", jobStatusText(j), "jobstatus"));
      a.title = `${j.file_name}，${when(j.created_at)} 上传`;
      a.addEventListener("click", (ev) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
        ev.preventDefault();
        history.pushState({ job: j.id }, "", a.href);
        follow(j.id);
        $("batch-job-title").focus();
      });
      li.append(a);
      return li;
    });
    if (items.length === 0) items.push(el("li", "还没有任务。", "muted"));
    ul.replaceChildren(...items);
  } catch (err) {
    ul.replaceChildren(el("li", "无法读取任务列表：" + err.message, "error"));
  }
}
$("batch-jobs-refresh").addEventListener("click", loadJobs);

// ---- following a job ----

let current = null; // the job shown, once its answer arrived
let currentId = null; // the id of the job followed
let followSeq = 0; // bumps when another job is followed: stale polls stop
let pollTimer = 0;
let rowsOffset = 0;

function follow(id, job) {
  if (!job) setUploadStatus("");
  followSeq++;
  clearTimeout(pollTimer);
  current = null;
  currentId = id;
  rowsOffset = 0;
  $("batch-job").hidden = false;
  $("batch-results").hidden = true;
  $("batch-downloads").hidden = true;
  $("batch-row-errors").hidden = true;
  $("batch-summary").replaceChildren();
  $("batch-table").tBodies[0].replaceChildren();
  $("batch-status").textContent = "";
  $("batch-status").className = "";
  $("batch-job-title").textContent = "任务";
  for (const a of document.querySelectorAll("#batch-jobs a")) {
    if (a.dataset.job === id) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
  if (job) show(job, followSeq);
  poll(id, followSeq);
}

async function poll(id, seq) {
  try {
    const job = await api("/api/v1/batches/" + encodeURIComponent(id));
    if (seq !== followSeq) return;
    show(job, seq);
    if (job.status === "queued" || job.status === "running") {
      pollTimer = setTimeout(() => poll(id, seq), POLL_MS);
    }
  } catch (err) {
    if (seq !== followSeq) return;
    const s = $("batch-status");
    s.className = "error";
    if (err.status === 404) {
      s.textContent = err.message;
      $("batch-cancel").hidden = true;
      return;
    }
    s.textContent = "读取进度失败：" + err.message + " 稍后自动重试。";
    pollTimer = setTimeout(() => poll(id, seq), 3 * POLL_MS);
  }
}

function show(job, seq) {
  const before = current;
  current = job;
  const active = job.status === "queued" || job.status === "running";
  if (job.status !== "queued") setUploadStatus("");
  $("batch-job-title").textContent = job.name || job.file_name;
  const meta = [`文件：${job.file_name}`, `上传于 ${when(job.created_at)}`];
  if (job.options && job.options.buffer_m) meta.push(`缓冲 ${fmt(job.options.buffer_m)} m`);
  if (job.options && job.options.crs) meta.push(`坐标系：${crsLabel(job.options.crs)}`);
  if (job.dataset) meta.push(`数据版本：${job.dataset}`);
  const restart = $("batch-restart");
  restart.hidden = !(job.restarts > 0);
  restart.textContent = job.restarts > 0
    ? `筛查过程中数据版本由 ${job.previous_dataset} 更新为 ${job.dataset || "新版本"}，已按新版本从头重新筛查，全部结果为同一版本。`
    : "";
  const roles = Object.entries((job.header && job.header.roles) || {}).sort((a, b) => a[1] - b[1])
    .map(([role, i]) => `${job.header.columns[i]}→${roleLabels[role] || role}`);
  if (roles.length) meta.push("识别的列：" + roles.join("、"));
  $("batch-meta").textContent = meta.join("；");

  const bar = $("batch-progress");
  bar.value = job.progress;
  bar.setAttribute("aria-valuetext", pct(job.progress));
  $("batch-progress-text").textContent = `已完成 ${fmt(job.done)} / ${fmt(job.total)} 行（${pct(job.progress)}）`;
  const s = $("batch-status");
  s.className = "status-" + job.status;
  let text = "状态：" + job.status_label;
  if (job.status === "finished" && job.started_at && job.finished_at) {
    text += `，用时 ${fmt((new Date(job.finished_at) - new Date(job.started_at)) / 1000, 1)} 秒`;
  }
  if (job.status === "cancelled") text += "（已完成的行保留，可下载）";
  s.textContent = text;
  $("batch-cancel").hidden = !active;
  $("batch-cancel").disabled = false;
  const item = document.querySelector(`#batch-jobs a[data-job="${CSS.escape(job.id)}"] .jobstatus`);
  if (item) item.textContent = jobStatusText(job);

  renderSummary(job);
  if (!active) {
    showDownloads(job);
    renderRowErrors(job);
    $("batch-results").hidden = false;
    const reload = !before || before.id !== job.id || before.status !== job.status || before.done !== job.done;
    if (reload) loadRows(seq);
    if (before && before.id === job.id && (before.status === "queued" || before.status === "running")) loadJobs();
  }
}

function renderSummary(job) {
  const labels = job.labels || defaultLabels;
  const done = job.done || 0;
  const cards = outcomeOrder.map((o) => {
    const n = (job.counts && job.counts[o]) || 0;
    const card = el("div", null, "card v-" + o);
    card.dataset.outcome = o;
    card.append(el("span", fmt(n), "n"), el("span", labels[o] || o, "l"));
    if (done > 0) card.append(el("span", " " + pct(n / done), "p"));
    return card;
  });
  const pending = (job.total || 0) - done;
  if (job.status === "cancelled" && pending > 0) {
    const card = el("div", null, "card v-pending");
    card.dataset.outcome = "pending";
    card.append(el("span", fmt(pending), "n"), el("span", "未完成（任务已取消）", "l"));
    cards.push(card);
  }
  $("batch-summary").replaceChildren(...cards);
}

function showDownloads(job) {
  $("batch-downloads").hidden = false;
  $("batch-download-xlsx").href = job.links.result_xlsx;
  $("batch-download-csv").href = job.links.result_csv;
  $("batch-download-geojson").href = job.links.result_geojson;
  $("batch-download-note").textContent = job.status === "cancelled"
    ? "任务已取消：结果只含已完成的行的结论，其余行标为“未完成”。"
    : "Excel 含汇总、筛查结果、触发条款三个工作表；CSV 为 UTF-8 编码；GeoJSON 可在 GIS 软件中打开。";
}

function renderRowErrors(job) {
  const box = $("batch-row-errors");
  const errs = job.row_errors || [];
  const total = (job.counts && job.counts.error) || 0;
  if (total === 0) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  const parts = [el("h3", `无法筛查的行（共 ${fmt(total)} 行）`)];
  if (total > errs.length) parts.push(el("p", `以下列出前 ${errs.length} 行；完整列表见结果文件的“错误”列。`, "hint"));
  const table = el("table");
  const head = el("tr");
  for (const h of ["行号", "列", "错误"]) {
    const th = el("th", h);
    th.scope = "col";
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const e of errs) {
    const tr = el("tr");
    tr.append(el("td", fmt(e.line)), el("td", e.column_header || roleLabels[e.column] || e.column || "—"), el("td", e.message));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  parts.push(table);
  box.replaceChildren(...parts);
}

$("batch-cancel").addEventListener("click", async () => {
  if (!current) return;
  const btn = $("batch-cancel");
  btn.disabled = true;
  // Polls sent before the cancel must not show the job running again.
  clearTimeout(pollTimer);
  const id = current.id;
  const seq = ++followSeq;
  try {
    const job = await api("/api/v1/batches/" + encodeURIComponent(id), { method: "DELETE" });
    if (seq !== followSeq) return;
    show(job, seq);
    loadJobs();
  } catch (err) {
    if (seq !== followSeq) return;
    btn.disabled = false;
    $("batch-status").className = "error";
    $("batch-status").textContent = "取消失败：" + err.message;
    poll(id, seq);
  }
});

// ---- results table and map ----

const map = L.map("batch-map", { zoomControl: true, attributionControl: false, minZoom: 3, maxZoom: 18 });
window.sanxianBatchMap = map; // for tests and the console
map.setView([29.56, 106.55], 8);
L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);
const tilesURL = metaContent("sanxian-tiles");
if (tilesURL) {
  L.tileLayer(tilesURL, { maxZoom: 18 }).addTo(map);
}

// District outlines for orientation, fetched for the viewport.
const districts = L.geoJSON(null, { style: () => ({ color: "#37474f", weight: 1.2, fill: false }), interactive: false }).addTo(map);
let districtCtl = null;
async function refreshDistricts() {
  const b = map.getBounds().pad(0.2);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(",");
  if (districtCtl) districtCtl.abort();
  districtCtl = new AbortController();
  try {
    const fc = await api(`/api/v1/features/districts?bbox=${bbox}&zoom=${map.getZoom()}`, { signal: districtCtl.signal });
    districts.clearLayers();
    districts.addData(fc);
  } catch (err) {
    // Without districts the sites still show; nothing to report.
  }
}
let moveTimer = 0;
map.on("moveend", () => {
  clearTimeout(moveTimer);
  moveTimer = setTimeout(refreshDistricts, 200);
});

const sites = L.featureGroup().addTo(map);
const siteByLine = new Map(); // line → { layer, row }
let selectedLine = 0;

const legend = L.control({ position: "bottomleft" });
legend.onAdd = () => {
  const d = el("details", null, "legend");
  d.open = !window.matchMedia("(max-width: 760px)").matches;
  d.append(el("summary", "图例"));
  for (const o of outcomeOrder) {
    const i = el("i");
    i.style.background = verdictColors[o];
    d.append(i, document.createTextNode(defaultLabels[o]), el("br"));
  }
  const i = el("i");
  i.style.background = "#fff";
  i.style.border = "1px dotted #7b8794";
  d.append(i, document.createTextNode("未完成"));
  L.DomEvent.disableClickPropagation(d);
  return d;
};
legend.addTo(map);

// siteStyle colours a site by its verdict: points are filled solid,
// parcels lightly; a row not done yet is white and dashed; the selected
// site gets the map page's orange highlight outline.
function siteStyle(row, selected) {
  const c = row.outcome ? verdictColors[row.outcome] || "#7b8794" : "#7b8794";
  const point = /Point$/.test(row.geometry.type);
  return {
    color: selected ? "#ff6f00" : c, weight: selected ? 4 : point ? 1.5 : 2.5, opacity: 1,
    fillColor: row.outcome ? c : "#ffffff", fillOpacity: point ? 0.75 : selected ? 0.45 : 0.25,
    dashArray: row.outcome ? null : "3 3",
  };
}

function redLineText(r) {
  if (!r.red_line) return r.done && r.outcome !== "error" && r.outcome !== "none" ? "否" : "";
  const rl = r.red_line;
  if (rl.area_m2) return `${fmt(rl.area_m2)} m²（${pct(rl.share)}）`;
  if (rl.length_m) return `${fmt(rl.length_m)} m（${pct(rl.share)}）`;
  return "位于红线内";
}
function nearestText(r) {
  if (!r.done || r.outcome === "error") return "";
  if (!r.nearest) {
    if (r.outcome === "none") return ""; // outside the data: nothing to say
    const within = (current && current.options && current.options.nearby_m) || 5000;
    return within >= 1000 && within % 1000 === 0 ? `${fmt(within / 1000)} km 内无` : `${fmt(within)} m 内无`;
  }
  const n = r.nearest;
  const d = n.distance_m > 0 ? `${fmt(n.distance_m)} m` : "位于其内或相接";
  return `${n.layer_title}·${n.name}（${d}）`;
}

async function loadRows(seq) {
  if (!current) return;
  const job = current;
  const caption = $("batch-page");
  caption.textContent = "正在读取…";
  try {
    const page = await api(`${job.links.rows}?offset=${rowsOffset}&limit=${PAGE_SIZE}`);
    if (seq !== followSeq) return;
    renderRows(page);
  } catch (err) {
    if (seq !== followSeq) return;
    caption.textContent = "读取逐行结果失败：" + err.message;
  }
}

function renderRows(page) {
  // The map was made while its section was hidden: measure it again.
  map.invalidateSize();
  const tbody = $("batch-table").tBodies[0];
  sites.clearLayers();
  siteByLine.clear();
  selectedLine = 0;
  const trs = page.rows.map((r) => {
    const tr = el("tr");
    tr.tabIndex = 0;
    tr.dataset.line = r.line;
    const verdict = el("td");
    verdict.append(el("span", r.label, "badge v-" + (r.outcome || "pending")));
    if (r.reason) verdict.title = r.reason;
    const clauses = el("td", r.clauses.join("、"));
    if (r.evidence.length) clauses.title = r.evidence.join("\n");
    tr.append(
      el("td", fmt(r.line)), el("td", r.name), verdict, el("td", r.districts.join("、")),
      el("td", r.units.map((u) => `${u.name}（${u.id}）`).join("、")), el("td", redLineText(r)),
      el("td", nearestText(r)), clauses, el("td", r.error ? r.error.message : "", r.error ? "error" : ""),
    );
    tr.addEventListener("click", () => select(r.line, true));
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(r.line, true);
      }
    });
    if (r.geometry) {
      const layer = L.geoJSON(r.geometry, {
        style: () => siteStyle(r, false),
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7 }),
      });
      // An element, not a string: Leaflet reads a string as HTML, and the
      // name comes from the uploaded list.
      layer.bindTooltip(el("span", `第 ${r.line} 行 ${r.name || ""}：${r.label}`));
      layer.on("click", () => {
        select(r.line, false);
        tr.scrollIntoView({ block: "nearest" });
        tr.focus({ preventScroll: true });
      });
      layer.addTo(sites);
      siteByLine.set(r.line, { layer, row: r, tr });
    } else {
      siteByLine.set(r.line, { layer: null, row: r, tr });
    }
    return tr;
  });
  if (trs.length === 0) {
    const tr = el("tr");
    const td = el("td", "没有数据行。", "muted");
    td.colSpan = 9;
    tr.append(td);
    trs.push(tr);
  }
  tbody.replaceChildren(...trs);
  const first = page.rows.length ? page.offset + 1 : 0;
  const last = page.offset + page.rows.length;
  $("batch-page").textContent = `第 ${fmt(first)}–${fmt(last)} 行（数据行），共 ${fmt(page.total)} 行`;
  $("batch-prev").disabled = page.offset <= 0;
  $("batch-next").disabled = last >= page.total;
  const b = sites.getBounds();
  if (b.isValid()) map.fitBounds(b, { maxZoom: 14, padding: [20, 20] });
  else refreshDistricts();
}

// select highlights a row's site (and the row); zoom when asked from the table.
function select(line, zoom) {
  const prev = siteByLine.get(selectedLine);
  if (prev) {
    prev.tr.classList.remove("selected");
    prev.tr.removeAttribute("aria-selected");
    if (prev.layer) prev.layer.setStyle(siteStyle(prev.row, false));
  }
  const s = siteByLine.get(line);
  selectedLine = line;
  if (!s) return;
  s.tr.classList.add("selected");
  s.tr.setAttribute("aria-selected", "true");
  if (!s.layer) return;
  s.layer.setStyle(siteStyle(s.row, true));
  s.layer.bringToFront();
  if (zoom) {
    const b = s.layer.getBounds();
    if (b.isValid()) map.fitBounds(b, { maxZoom: Math.max(map.getZoom(), 14), padding: [40, 40] });
  }
}
window.sanxianBatchSelect = select; // for tests

$("batch-prev").addEventListener("click", () => {
  rowsOffset = Math.max(0, rowsOffset - PAGE_SIZE);
  loadRows(followSeq);
});
$("batch-next").addEventListener("click", () => {
  rowsOffset += PAGE_SIZE;
  loadRows(followSeq);
});

// ---- start: the job in the URL, and the list ----

function fromURL() {
  const id = new URLSearchParams(location.search).get("job");
  if (id) {
    follow(id);
  } else {
    followSeq++;
    clearTimeout(pollTimer);
    current = null;
    currentId = null;
    $("batch-job").hidden = true;
  }
}
window.addEventListener("popstate", fromURL);
fromURL();
loadJobs();
