// The map page: overlay layers fetched for the viewport, a site drawn with
// Geoman (or typed as a point), and the check's verdict, hits and clauses.
// All text goes in through textContent and DOM APIs, never innerHTML. el,
// fmt and api come from common.js.
"use strict";

const relations = {
  within: "位于其内", contains: "包含", intersects: "相交",
  touches: "边界接触", nearby: "邻近",
};
const effects = { prohibit: "禁止", restrict: "限制", require: "要求", encourage: "鼓励", info: "说明" };
const outcomes = {
  triggered: "触发", needs_information: "待补充信息", needs_review: "需人工研判", not_applicable: "不适用",
};

// area gives m², 亩 and 公顷.
function area(m2) {
  return `${fmt(m2, 0)} m²（${fmt(m2 / 666.667, 2)} 亩，${fmt(m2 / 10000, 2)} 公顷）`;
}

// chainage writes a distance along the line in K notation: 12300 → K12+300.
function chainage(m) {
  const k = Math.floor(m / 1000);
  const rest = Math.round(m - k * 1000);
  return rest === 1000 ? `K${k + 1}+000` : `K${k}+${String(rest).padStart(3, "0")}`;
}

// apiCoded is common.js's api, with the error's stable code after the
// service's Chinese message, as the map page shows errors.
async function apiCoded(url, opts) {
  try {
    return await api(url, opts);
  } catch (err) {
    // Only the service's codes (strings): an AbortError's numeric code
    // and read-only message stay as they are.
    if (typeof err.code === "string" && err.code) err.message = `${err.message}（${err.code}）`;
    throw err;
  }
}

// ---- status lines: loading indicators and errors next to the control ----
// "status" sits under the check form; "mapstatus" on the map, for layers.

const pending = {};
function setStatus(text, kind, id) {
  const s = document.getElementById(id || "status");
  if (!s) return;
  s.className = kind || "";
  s.textContent = text || "";
  if (id === "mapstatus") s.style.display = text ? "" : "none";
}
async function withLoading(text, fn, id) {
  id = id || "status";
  pending[id] = (pending[id] || 0) + 1;
  setStatus(text, "loading", id);
  try {
    return await fn();
  } finally {
    pending[id]--;
    const s = document.getElementById(id);
    if (pending[id] === 0 && s && s.className === "loading") setStatus("", "", id);
  }
}

// ---- the map and its overlays ----

const map = L.map("map", { zoomControl: true, attributionControl: false, minZoom: 5, maxZoom: 18 });
window.sanxianMap = map; // for tests and the console
L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);

// Narrow screens (phones): the layer control starts collapsed and the
// legend closed, so they do not cover the drawing toolbar.
const narrow = window.matchMedia("(max-width: 760px)").matches;

// escapeHTML makes plain text safe for the few Leaflet APIs that take
// HTML (the attribution).
function escapeHTML(t) {
  return String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// The basemap: `sanxian serve --tiles` puts a tile URL template in
// <meta name="sanxian-tiles">; without it there is no basemap and the
// page works offline. Tiles go in Leaflet's tile pane, under the overlays.
const TILES_NOTE = "底图须为 CGCS2000/WGS84 经纬度对齐的瓦片（如天地图）；高德、腾讯等 GCJ-02 底图会偏移数百米，暂不支持。";
function metaContent(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") || "" : "";
}
const tilesURL = metaContent("sanxian-tiles");
let basemap = null;
if (tilesURL) {
  const attribution = metaContent("sanxian-tiles-attribution");
  basemap = L.tileLayer(tilesURL, { maxZoom: 18, attribution: attribution ? escapeHTML(attribution) : "", pmIgnore: true }).addTo(map);
  if (attribution) L.control.attribution({ prefix: false, position: "bottomright" }).addTo(map);
}
window.sanxianBasemap = basemap; // for tests

const unitColors = { "优先保护单元": "#2e9e4f", "重点管控单元": "#e0457b", "一般管控单元": "#f2c12e" };
const waterColors = { "一级保护区": "#0050b3", "二级保护区": "#1890ff", "准保护区": "#91d5ff" };

// overlays in drawing order, bottom first.
const overlays = [
  { id: "control_units", title: "环境管控单元", on: true,
    style: (f) => { const c = unitColors[f.properties.category] || "#999"; return { color: "#7b5a3c", weight: 0.6, fillColor: c, fillOpacity: 0.35 }; } },
  { id: "water_sources", title: "饮用水水源保护区",
    style: (f) => { const c = waterColors[f.properties.category] || "#1890ff"; return { color: c, weight: 1, fillColor: c, fillOpacity: 0.35 }; } },
  { id: "nature_reserves", title: "自然保护区",
    style: () => ({ color: "#1b5e20", weight: 1.5, dashArray: "5 3", fillColor: "#66bb6a", fillOpacity: 0.2 }) },
  { id: "eco_redline", title: "生态保护红线",
    style: () => ({ color: "#d00000", weight: 2, fillColor: "#d00000", fillOpacity: 0.12 }) },
  { id: "rivers", title: "主要河流",
    style: (f) => ({ color: "#1e88e5", weight: f.properties.category === "干流" ? 3 : 2, fill: false }) },
  { id: "districts", title: "区县", on: true, labels: true,
    style: () => ({ color: "#37474f", weight: 1.6, fill: false }) },
];

const control = L.control.layers(null, null, { collapsed: narrow, position: "topright" });
if (basemap) control.addOverlay(basemap, "底图");
overlays.forEach((o, i) => {
  // Each overlay has its own pane inside the overlay pane, so refetching
  // one layer does not change the drawing order.
  const pane = map.createPane("sx-" + o.id, map.getPane("overlayPane"));
  pane.style.zIndex = 400 + i;
  o.group = L.geoJSON(null, {
    pane: "sx-" + o.id, style: o.style, pmIgnore: true, snapIgnore: true,
    onEachFeature: (f, layer) => {
      // Leaflet reads a string tooltip as HTML: hand it an element with
      // the name as text, so a feature name cannot inject markup.
      if (o.labels) layer.bindTooltip(el("span", f.properties.name), { permanent: true, direction: "center", className: "district-label" });
      layer.on("click", (ev) => openCard(o, f, ev.latlng));
    },
  });
  o.layerTitle = o.title;
  control.addOverlay(o.group, o.title);
  if (o.on) o.group.addTo(map);
});
control.addTo(map);
if (basemap) {
  const note = el("p", TILES_NOTE, "tiles-note");
  note.id = "tiles-note";
  control.getContainer().append(note);
}
const highlight = L.layerGroup().addTo(map);
const mapStatus = L.control({ position: "bottomright" });
mapStatus.onAdd = () => {
  const d = el("div");
  d.id = "mapstatus";
  d.style.display = "none";
  return d;
};
mapStatus.addTo(map);
map.createPane("sx-highlight").style.zIndex = 450;

const legend = L.control({ position: "bottomleft" });
legend.onAdd = () => {
  const d = el("details", null, "legend");
  d.open = !narrow;
  d.append(el("summary", "图例"));
  const add = (color, text, border) => {
    const i = el("i");
    i.style.background = color;
    if (border) i.style.border = border;
    d.append(i, document.createTextNode(text), el("br"));
  };
  d.append(el("strong", "环境管控单元"), el("br"));
  for (const [k, v] of Object.entries(unitColors)) add(v, k);
  d.append(el("strong", "饮用水水源保护区"), el("br"));
  for (const [k, v] of Object.entries(waterColors)) add(v, k);
  add("rgba(208,0,0,.15)", "生态保护红线", "2px solid #d00000");
  add("rgba(102,187,106,.3)", "自然保护区", "2px dashed #1b5e20");
  add("#1e88e5", "主要河流");
  L.DomEvent.disableClickPropagation(d);
  return d;
};
legend.addTo(map);

// refresh fetches every visible overlay for the padded viewport.
const inflight = {};
async function refreshLayer(o) {
  if (!map.hasLayer(o.group)) return;
  const b = map.getBounds().pad(0.2);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(",");
  if (inflight[o.id]) inflight[o.id].abort();
  const ctl = new AbortController();
  inflight[o.id] = ctl;
  try {
    const fc = await withLoading("正在加载图层…", () =>
      apiCoded(`/api/v1/features/${o.id}?bbox=${bbox}&zoom=${map.getZoom()}`, { signal: ctl.signal }), "mapstatus");
    o.group.clearLayers();
    o.group.addData(fc);
    o.loaded = (o.loaded || 0) + 1;
  } catch (err) {
    if (err.name !== "AbortError") setStatus(`图层“${o.title}”加载失败：${err.message}`, "error", "mapstatus");
  }
}
let moveTimer = 0;
map.on("moveend", () => {
  clearTimeout(moveTimer);
  moveTimer = setTimeout(() => overlays.forEach(refreshLayer), 200);
});
map.on("overlayadd", (ev) => {
  const o = overlays.find((x) => x.group === ev.layer);
  if (o) refreshLayer(o);
});

// ---- feature cards ----

// clauseGroups turns a feature's clauses (a list of clause objects, or
// an object of dimension → texts) into [dimension, [text…]] pairs.
function clauseGroups(clauses) {
  const groups = new Map();
  if (Array.isArray(clauses)) {
    for (const c of clauses) {
      const dim = c.dimension || "其他";
      if (!groups.has(dim)) groups.set(dim, []);
      groups.get(dim).push(`${c.number || c.id} ${effects[c.effect] ? "〔" + effects[c.effect] + "〕" : ""}${c.text}`);
    }
  } else if (clauses && typeof clauses === "object") {
    for (const [dim, list] of Object.entries(clauses)) groups.set(dim, [].concat(list).map(String));
  }
  return [...groups];
}

const featureCache = new Map();
function getFeature(layer, id) {
  const key = layer + "/" + id;
  if (!featureCache.has(key)) {
    const p = apiCoded(`/api/v1/features/${encodeURIComponent(layer)}/${encodeURIComponent(id)}`);
    p.catch(() => featureCache.delete(key));
    featureCache.set(key, p);
  }
  return featureCache.get(key);
}

async function openCard(o, f, latlng) {
  if (map.pm.globalDrawModeEnabled() || map.pm.globalEditModeEnabled() || map.pm.globalRemovalModeEnabled()) return;
  const card = el("div", null, "card");
  card.append(el("p", "正在读取要素…"));
  L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(card).openOn(map);
  try {
    const full = await getFeature(o.id, f.id);
    const p = full.properties;
    const dl = el("dl");
    const row = (k, v) => dl.append(el("dt", k), el("dd", v));
    row("图层", o.title);
    row("编码", String(full.id));
    row("名称", p.name);
    row("类别", p.category);
    if (p.area_m2 > 0) row("面积", `${fmt(p.area_m2, 0)} m²（${fmt(p.area_m2 / 10000, 2)} 公顷）`);
    if (p.county_name) row("所在区县", p.county_name);
    if (p.river) row("河流", p.river);
    card.replaceChildren(dl);
    const groups = clauseGroups(p.clauses);
    if (groups.length > 0) {
      card.append(el("strong", "管控要求"));
      for (const [dim, texts] of groups) {
        card.append(el("h4", dim));
        for (const t of texts) card.append(el("p", t));
      }
    } else if (p.clauses !== undefined) {
      card.append(el("p", "准入清单中没有针对该要素的条款。", "muted"));
    }
  } catch (err) {
    card.replaceChildren(el("p", "读取要素失败：" + err.message, "error"));
  }
}

// ---- the site: drawn with Geoman or typed as a point ----

map.pm.setLang("zh");
map.pm.setGlobalOptions({ snappable: false });
map.pm.addControls({
  position: "topleft",
  drawMarker: true, drawPolyline: true, drawPolygon: true,
  drawCircleMarker: false, drawCircle: false, drawRectangle: false, drawText: false,
  cutPolygon: false, rotateMode: false, dragMode: true, editMode: true, removalMode: true,
});

let site = null; // the one site layer on the map

function setSite(layer) {
  if (site && site !== layer) map.removeLayer(site);
  site = layer;
  if (!layer) return;
  // An edited site is read back from the map; until then a parsed site
  // keeps its exact geometry (layer.siteGeometry).
  layer.on("pm:edit", () => { delete layer.siteGeometry; runCheck(); });
  layer.on("pm:dragend", () => { delete layer.siteGeometry; runCheck(); });
}

// showParsedSite puts a geometry from POST /api/v1/sites/parse on the map
// as the site (replacing the previous one, as drawing does), zooms to it
// and runs the check.
function showParsedSite(g) {
  const layer = L.GeoJSON.geometryToLayer({ type: "Feature", properties: {}, geometry: g });
  layer.siteGeometry = g;
  layer.addTo(map);
  setSite(layer);
  if (layer.getLatLng) map.setView(layer.getLatLng(), Math.max(map.getZoom(), 14));
  else map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [20, 20] });
  return runCheck();
}

// parseSite posts typed coordinates or a file and shows the answer's
// geometry; errors go next to the control (statusId) that caused them.
async function parseSite(opts, statusId, what) {
  let body;
  try {
    body = await withLoading("正在读取" + what + "…", () => apiCoded("/api/v1/sites/parse", opts), statusId);
  } catch (err) {
    setStatus(`无法读取${what}：${err.message}`, "error", statusId);
    return;
  }
  setStatus(`已读取${what}：${siteDescription(body.geometry)}（${body.vertices} 个顶点）`, "", statusId);
  await showParsedSite(body.geometry);
}

document.getElementById("showcoords").addEventListener("click", () => {
  const text = document.getElementById("coords").value;
  if (text.trim() === "") {
    setStatus("请先输入坐标，如 106.55, 29.56。", "error", "coordstatus");
    return;
  }
  const kind = document.getElementById("coordkind").value;
  const crs = document.getElementById("coordcrs").value;
  parseSite({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text, kind, crs }) }, "coordstatus", "坐标");
});

document.getElementById("sitefile").addEventListener("change", (ev) => {
  const f = ev.target.files && ev.target.files[0];
  if (!f) return;
  document.getElementById("sitefilename").textContent = f.name;
  const fd = new FormData();
  fd.append("file", f, f.name);
  fd.append("crs", document.getElementById("coordcrs").value);
  parseSite({ method: "POST", body: fd }, "filestatus", "文件 " + f.name).finally(() => { ev.target.value = ""; });
});

map.on("pm:create", (ev) => {
  setSite(ev.layer);
  runCheck();
});
map.on("pm:remove", (ev) => {
  if (ev.layer === site) {
    site = null;
    setReport(null);
    document.getElementById("result").replaceChildren(el("p", "场址已删除。画出新的场址或输入坐标后核查。", "muted"));
  }
});

function siteDescription(g) {
  switch (g.type) {
    case "Point": return `点位 ${g.coordinates[0].toFixed(6)}, ${g.coordinates[1].toFixed(6)}`;
    case "LineString": return `线路，${g.coordinates.length} 个节点`;
    case "Polygon": return `地块，${g.coordinates[0].length - 1} 个顶点`;
    case "MultiPolygon": return `${g.coordinates.length} 个地块`;
    case "MultiLineString": return `${g.coordinates.length} 条线路`;
    case "MultiPoint": return `${g.coordinates.length} 个点位`;
    default: return g.type;
  }
}

function project() {
  const p = {};
  const industry = document.getElementById("industry").value.trim().split(/\s+/)[0] || "";
  if (industry !== "") p.industry = industry;
  const construction = document.getElementById("construction").value;
  if (construction !== "") p.construction = construction;
  return p;
}

function bufferValue() {
  return document.getElementById("buffer").value.trim();
}

// PAGE_CLIENT marks the page's checks: their reports say kind "page".
const PAGE_CLIENT = { "X-Sanxian-Client": "page" };

// runCheck posts the drawn site; with no site it runs the point form.
let checkSeq = 0;
async function runCheck() {
  if (!site) return pointCheck();
  const g = site.siteGeometry || site.toGeoJSON().geometry;
  const body = { geometry: g, ...project() };
  const buf = bufferValue();
  if (buf !== "") {
    const n = Number(buf);
    if (!Number.isFinite(n)) return showError("缓冲距离应为数字（米）。");
    body.buffer_m = n;
  }
  return request("/api/v1/check", { method: "POST", headers: { "Content-Type": "application/json", ...PAGE_CLIENT }, body: JSON.stringify(body) }, siteDescription(g),
    { site: g, project: { ...project(), buffer_m: body.buffer_m } });
}

// pointCheck runs GET /api/v1/check from the lon/lat fields (the service
// validates them) and puts a marker at the point.
async function pointCheck() {
  const lon = document.getElementById("lon").value.trim();
  const lat = document.getElementById("lat").value.trim();
  if (lon === "" && lat === "") return showError("请先在地图上画出场址，或输入经度和纬度。");
  const q = new URLSearchParams({ lon, lat });
  const buf = bufferValue();
  if (buf !== "") q.set("buffer_m", buf);
  const p = project();
  if (p.industry) q.set("industry", p.industry);
  if (p.construction) q.set("construction", p.construction);
  const x = Number(lon), y = Number(lat);
  if (lon !== "" && lat !== "" && Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90) {
    const m = L.marker([y, x]).addTo(map);
    setSite(m);
    if (!map.getBounds().contains(m.getLatLng())) map.setView(m.getLatLng(), Math.max(map.getZoom(), 12));
  }
  return request("/api/v1/check?" + q.toString(), { headers: PAGE_CLIENT }, `点位 ${lon}, ${lat}`,
    { site: { type: "Point", coordinates: [x, y] }, project: { ...p, buffer_m: buf === "" ? undefined : Number(buf) } });
}

function showError(msg) {
  setReport(null);
  setStatus(msg, "error");
  const out = document.getElementById("result");
  out.replaceChildren(el("p", msg, "error"));
}

async function request(url, opts, what, ctx) {
  const seq = ++checkSeq;
  const t0 = performance.now();
  setReport(null);
  try {
    const res = await withLoading("正在核查…", () => apiCoded(url, opts));
    if (seq !== checkSeq) return; // a newer check is running
    render(res, what);
    setReport({ ...ctx, result: res, time: new Date().toISOString() });
    setStatus(`核查完成（${Math.round(performance.now() - t0)} ms）`);
  } catch (err) {
    if (seq !== checkSeq) return;
    showError("核查失败：" + err.message);
  }
}

// ---- results ----

// verdictBanner shows the verdict, its reason and what is missing.
function verdictBanner(a) {
  const box = el("div");
  const banner = el("div", null, "verdict v-" + a.verdict);
  banner.append(el("strong", a.label), document.createTextNode(a.reason));
  box.append(banner);
  if (a.missing && a.missing.length > 0) box.append(el("p", "需补充：" + a.missing.join("、"), "muted"));
  return box;
}

// renderClauses lists the clauses by dimension, not_applicable ones only
// when the box is ticked, each with its evidence.
function renderClauses(a) {
  const box = el("div");
  box.id = "clauses";
  const na = a.clauses.filter((c) => c.outcome === "not_applicable").length;
  const head = el("h3", "管控要求");
  const toggle = el("label", null, "muted");
  const cb = el("input");
  cb.type = "checkbox";
  cb.id = "show-na";
  toggle.append(cb, document.createTextNode(` 显示不适用的条款（${na} 条）`));
  const list = el("div");
  const draw = () => {
    const parts = [];
    let dim = "";
    for (const c of a.clauses) {
      if (c.outcome === "not_applicable" && !cb.checked) continue;
      if (c.dimension !== dim) {
        dim = c.dimension;
        parts.push(el("h3", dim));
      }
      const div = el("div", null, "clause");
      const tag = el("span", (outcomes[c.outcome] || c.outcome) + "·" + (effects[c.effect] || c.effect), "tag" + (c.outcome === "triggered" ? " " + c.effect : ""));
      div.append(tag, el("strong", c.id + " "), document.createTextNode(c.text));
      const ul = el("ul");
      for (const e of c.evidence || []) ul.append(el("li", e));
      div.append(ul);
      parts.push(div);
    }
    if (parts.length === 0) parts.push(el("p", "没有与本项目相关的条款。", "muted"));
    list.replaceChildren(...parts);
  };
  cb.addEventListener("change", draw);
  draw();
  box.append(head, toggle, list);
  return box;
}

function hitMeasure(h) {
  if (h.relation === "nearby") return `最近 ${fmt(h.distance_m, 0)} m`;
  if (h.overlap_area_m2 !== undefined) {
    const share = h.overlap_ratio !== undefined ? `，占场址 ${(h.overlap_ratio * 100).toFixed(2)}%` : "";
    return area(h.overlap_area_m2) + share;
  }
  if (h.overlap_length_m !== undefined) {
    const ranges = (h.chainage_m || []).map(([a, b]) => `${chainage(a)}–${chainage(b)}`).join("，");
    return `${fmt(h.overlap_length_m, 0)} m` + (ranges ? `（${ranges}）` : "");
  }
  // A point site, or a river met by a parcel, has no area or length.
  if (h.on_boundary) return "在边界上";
  if (h.relation === "within" || h.relation === "contains") return "—";
  return "距离 0 m";
}

function highlightHit(h) {
  highlight.clearLayers();
  const want = h.layer + "/" + h.id;
  highlight.want = want;
  getFeature(h.layer, h.id).then((f) => {
    if (highlight.want !== want) return;
    L.geoJSON(f, { pane: "sx-highlight", pmIgnore: true, interactive: false, style: { color: "#ff6f00", weight: 4, fillColor: "#ffca28", fillOpacity: 0.25 } }).addTo(highlight);
  }).catch(() => {});
}
function unhighlight() {
  highlight.want = "";
  highlight.clearLayers();
}

// reportLine shows the answer's report id (报告编号) with the link that
// verifies it, or the warning that the answer was not recorded.
function reportLine(res) {
  if (res.report_id) {
    const p = el("p");
    p.id = "report-id";
    const a = el("a", res.report_id);
    a.href = "/report?id=" + encodeURIComponent(res.report_id);
    a.target = "_blank";
    a.rel = "noopener";
    p.append(el("strong", "报告编号："), a, el("span", "（已登记，可凭编号核验）", "muted"));
    return p;
  }
  if (res.report_warning) {
    const p = el("p", res.report_warning, "error");
    p.id = "report-id";
    return p;
  }
  return null;
}

function render(res, what) {
  const parts = [el("p", "场址：" + what + (res.buffer_m ? `，缓冲 ${fmt(res.buffer_m, 0)} m` : ""), "muted")];
  const rl = reportLine(res);
  if (rl) parts.push(rl);
  if (res.assessment) parts.push(verdictBanner(res.assessment));
  parts.push(el("h3", "叠加结果"));
  if (res.hits.length === 0) {
    parts.push(el("p", "未命中任何图层要素（场址不在数据覆盖范围内，且缓冲距离内无要素）。"));
  } else {
    const table = el("table");
    table.id = "hits";
    const head = el("tr");
    for (const h of ["图层", "编码", "名称", "类别", "关系", "面积 / 长度 / 距离"]) head.append(el("th", h));
    table.append(head);
    for (const h of res.hits) {
      const tr = el("tr", null, "hit");
      tr.append(el("td", h.layer_title), el("td", h.id), el("td", h.name), el("td", h.category),
        el("td", relations[h.relation] || h.relation), el("td", hitMeasure(h)));
      // Keyboard users tab through the rows; focus highlights like hover.
      tr.tabIndex = 0;
      tr.addEventListener("mouseenter", () => highlightHit(h));
      tr.addEventListener("mouseleave", unhighlight);
      tr.addEventListener("focus", () => highlightHit(h));
      tr.addEventListener("blur", unhighlight);
      table.append(tr);
    }
    parts.push(table);
  }
  if (res.assessment) parts.push(renderClauses(res.assessment));
  for (const n of res.notes || []) parts.push(el("p", n, "muted"));
  parts.push(el("p", `数据集 ${res.dataset.name} ${res.dataset.version}，校验和 ${res.dataset.checksum.slice(0, 19)}…`, "muted"));
  document.getElementById("result").replaceChildren(...parts);
}

// ---- the printable report ----

// The last successful check: the site, the project as sent and the
// answer. "生成查询报告" stores it under a versioned key and opens
// /report, which reads it back (report.js).
const REPORT_KEY = "sanxian.report.v1";
let lastCheck = null;
function setReport(c) {
  lastCheck = c;
  document.getElementById("report").disabled = !c;
}
document.getElementById("report").addEventListener("click", () => {
  if (!lastCheck) return;
  const name = document.getElementById("pname").value.trim();
  const stored = JSON.stringify({
    version: 1, site: lastCheck.site, project: { ...(name ? { name } : {}), ...lastCheck.project },
    result: lastCheck.result, time: lastCheck.time,
  });
  try {
    localStorage.setItem(REPORT_KEY, stored);
    sessionStorage.setItem(REPORT_KEY, stored);
  } catch (_) {
    return setStatus("无法在浏览器中保存查询结果（存储空间不足或被禁用），不能生成报告。", "error");
  }
  // Tests set sanxianReportSameTab to stay in one tab.
  if (window.sanxianReportSameTab) {
    location.href = "/report";
  } else if (!window.open("/report", "_blank")) {
    setStatus("浏览器阻止了新窗口，请允许弹出窗口后重试。", "error");
  }
});

// ---- start-up ----

async function showDataset() {
  const box = document.getElementById("dataset");
  try {
    const d = await apiCoded("/api/v1/dataset");
    box.textContent = `数据集：${d.name}（版本 ${d.version}）` +
      (d.synthetic ? "。注意：这是合成样例数据，边界为生成，非官方数据，不能用于实际审批。" : "");
  } catch (err) {
    box.textContent = "无法读取数据集信息：" + err.message;
    box.classList.add("error");
  }
}

// fitToData fits the map to the union of the layers' bounding boxes; the
// first fit fires moveend, which loads the overlays.
async function fitToData() {
  try {
    const body = await withLoading("正在读取图层…", () => apiCoded("/api/v1/layers"), "mapstatus");
    let b = null;
    for (const l of body.layers) {
      if (!l.bbox) continue;
      const lb = L.latLngBounds([l.bbox[1], l.bbox[0]], [l.bbox[3], l.bbox[2]]);
      b = b ? b.extend(lb) : lb;
    }
    if (b) map.fitBounds(b);
    else map.setView([29.56, 106.55], 8);
  } catch (err) {
    map.setView([29.56, 106.55], 8);
    setStatus("图层列表读取失败：" + err.message, "error", "mapstatus");
  }
}

document.getElementById("form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  runCheck();
});
function pointFromFields() {
  if (site) map.removeLayer(site);
  site = null;
  pointCheck();
}
document.getElementById("point").addEventListener("click", pointFromFields);
// Enter in the lon/lat fields checks that point (not the drawn site, as
// the form's submit would); Ctrl+Enter in the coordinates box shows and
// checks them.
// (keypress is cancelled too: a synthetic Enter may skip keydown's
// suppression and submit the form or add a line.)
for (const id of ["lon", "lat"]) {
  const input = document.getElementById(id);
  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing) return;
    ev.preventDefault();
    pointFromFields();
  });
  input.addEventListener("keypress", (ev) => { if (ev.key === "Enter") ev.preventDefault(); });
}
const coordsBox = document.getElementById("coords");
coordsBox.addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey) || ev.isComposing) return;
  ev.preventDefault();
  document.getElementById("showcoords").click();
});
coordsBox.addEventListener("keypress", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) ev.preventDefault(); });

// Industry autocomplete over GB/T 4754-2017 codes and names.
let suggestTimer = 0;
document.getElementById("industry").addEventListener("input", (ev) => {
  clearTimeout(suggestTimer);
  const q = ev.target.value.trim();
  if (q.length < 1) return;
  suggestTimer = setTimeout(async () => {
    try {
      const body = await apiCoded("/api/v1/industries?limit=15&q=" + encodeURIComponent(q));
      document.getElementById("industries").replaceChildren(...body.industries.map((i) => {
        const o = document.createElement("option");
        o.value = i.code + " " + i.name;
        return o;
      }));
    } catch (_) { /* suggestions are optional */ }
  }, 150);
});

showDataset();
const ready = fitToData();
loadDistricts();

// loadDistricts fills the "定位到区县" list; choosing one fits the map to
// that district (outline simplified for a small zoom: only its bounds
// are used).
async function loadDistricts() {
  const sel = document.getElementById("district");
  const bounds = {};
  try {
    const fc = await apiCoded("/api/v1/features/districts?zoom=6");
    const feats = fc.features.slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
    for (const f of feats) {
      bounds[f.id] = L.geoJSON(f).getBounds();
      const o = document.createElement("option");
      o.value = f.id;
      o.textContent = `${f.properties.name}（${f.id}）`;
      sel.append(o);
    }
  } catch (err) {
    setStatus("区县列表读取失败：" + err.message, "error", "mapstatus");
  }
  sel.addEventListener("change", () => {
    const b = bounds[sel.value];
    if (b) map.fitBounds(b, { padding: [20, 20] });
  });
}

// A link such as /?lon=106.55&lat=29.56&buffer_m=1000&industry=C2614
// fills the form and runs a point check, so a result can be shared.
const params = new URLSearchParams(location.search);
if (params.has("lon") && params.has("lat")) {
  document.getElementById("lon").value = params.get("lon");
  document.getElementById("lat").value = params.get("lat");
  if (params.has("buffer_m")) document.getElementById("buffer").value = params.get("buffer_m");
  if (params.has("industry")) document.getElementById("industry").value = params.get("industry");
  if (params.has("construction")) document.getElementById("construction").value = params.get("construction");
  ready.then(() => {
    pointCheck().then(() => {
      if (site) map.setView(site.getLatLng(), 12);
    });
  });
}
