// The printable 查询报告: reads what the map page stored under
// sanxian.report.v1 (the site, the project, the check's answer and the
// time) or, for /report?id=R-…, the stored report from
// GET /api/v1/reports/{id} (with its re-run on the current data), fetches
// the hit features for the map, and lays the report out for A4. All text
// goes in through textContent and DOM APIs.
"use strict";

const STORAGE_KEY = "sanxian.report.v1";
const SVG_NS = "http://www.w3.org/2000/svg";

const relations = {
  within: "位于其内", contains: "包含", intersects: "相交",
  touches: "边界接触", nearby: "邻近",
};
const effects = { prohibit: "禁止", restrict: "限制", require: "要求", encourage: "鼓励", info: "说明" };
const outcomes = {
  triggered: "触发", needs_information: "待补充信息", needs_review: "需人工研判", not_applicable: "不适用",
};
const verdicts = {
  prohibited: "禁止准入", insufficient: "待补充信息", restricted: "限制准入", review: "需人工研判", compatible: "符合准入要求",
};
const levels = { city: "市级", district: "区县级", unit: "管控单元", zone: "专项区域" };
const missingNames = { industry: "行业类别", construction: "建设性质" };
const siteTypes = {
  Point: "点位", MultiPoint: "多点", LineString: "线路", MultiLineString: "多段线路",
  Polygon: "地块", MultiPolygon: "多块地块",
};

// Map styles by layer, bottom first; colours as on the map page.
const unitColors = { "优先保护单元": "#2e9e4f", "重点管控单元": "#e0457b", "一般管控单元": "#f2c12e" };
const waterColors = { "一级保护区": "#0050b3", "二级保护区": "#1890ff", "准保护区": "#91d5ff" };
const layerStyles = {
  districts: () => ({ fill: "none", stroke: "#37474f", width: 1.4, dash: "6 3" }),
  control_units: (c) => ({ fill: unitColors[c] || "#9e9e9e", fillOpacity: 0.35, stroke: "#7b5a3c", width: 0.8 }),
  water_sources: (c) => ({ fill: waterColors[c] || "#1890ff", fillOpacity: 0.35, stroke: waterColors[c] || "#1890ff", width: 1.6 }),
  nature_reserves: () => ({ fill: "#66bb6a", fillOpacity: 0.2, stroke: "#1b5e20", width: 1.8, dash: "6 3" }),
  eco_redline: () => ({ fill: "#d00000", fillOpacity: 0.12, stroke: "#d00000", width: 2.4 }),
  rivers: (c) => ({ fill: "none", stroke: "#1e88e5", width: c === "干流" ? 4 : 3 }),
};
// Filled layers first, outlines over them.
const layerOrder = ["control_units", "water_sources", "nature_reserves", "eco_redline", "districts", "rivers"];
const SITE_COLOR = "#ff3d00";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function fmt(n, digits) {
  return Number(n).toLocaleString("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function area(m2) {
  return `${fmt(m2, 0)} m²（${fmt(m2 / 666.667, 2)} 亩，${fmt(m2 / 10000, 4)} 公顷）`;
}

function length(m) {
  return m >= 1000 ? `${fmt(m, 0)} m（${fmt(m / 1000, 3)} km）` : `${fmt(m, 1)} m`;
}

// chainage writes a distance along the line in K notation: 12300 → K12+300.
function chainage(m) {
  const k = Math.floor(m / 1000);
  const rest = Math.round(m - k * 1000);
  return rest === 1000 ? `K${k + 1}+000` : `K${k}+${String(rest).padStart(3, "0")}`;
}

const pad = (n, w) => String(n).padStart(w || 2, "0");

// localTime formats a date as 2025-01-31 14:05:09 in the browser's zone.
function localTime(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// fnv1a is 32-bit FNV-1a over the UTF-8 bytes of s, as 8 hex digits.
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

// reportNumber is SX-YYYYMMDD-HHMMSS-<6 hex of a hash of site and project>.
function reportNumber(d, site, project) {
  const h = fnv1a(JSON.stringify({ site, project: { industry: project.industry || "", construction: project.construction || "", buffer_m: project.buffer_m ?? null, name: project.name || "" } }));
  return `SX-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}-${h.slice(0, 6)}`;
}

function load() {
  for (const store of [() => window.sessionStorage, () => window.localStorage]) {
    try {
      const raw = store().getItem(STORAGE_KEY);
      if (!raw) continue;
      const v = JSON.parse(raw);
      if (v && v.site && v.site.type && v.result && v.result.dataset && Array.isArray(v.result.hits)) return v;
    } catch (_) { /* unreadable: try the next store */ }
  }
  return null;
}

async function api(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
}

// loadStored reads the report named by ?id= from the service; it returns
// null when the page has no id, and throws with the service's Chinese
// message when the id is wrong or unknown.
async function loadStored() {
  const id = new URLSearchParams(location.search).get("id");
  if (!id) return null;
  let r, body;
  try {
    r = await fetch("/api/v1/reports/" + encodeURIComponent(id.trim()));
    body = await r.json();
  } catch (_) {
    throw new Error("无法从服务读取报告，请检查网络后重试。");
  }
  if (!r.ok) throw new Error(body && body.error ? `${body.error.message}（${body.error.code}）` : `HTTP ${r.status}`);
  const q = body.request || {};
  return {
    stored: body,
    report_id: body.id,
    site: q.geometry,
    project: { industry: q.industry, construction: q.construction, buffer_m: q.buffer_m },
    result: body.result,
    time: body.created_at,
  };
}

// ---- geometry helpers ----

// rings gives the coordinate lists of a geometry: the points of a point
// or line, each ring of a polygon, with a label for the coordinate table.
function rings(g) {
  switch (g.type) {
    case "Point": return [{ label: "", coords: [g.coordinates], closed: false }];
    case "MultiPoint": return [{ label: "", coords: g.coordinates, closed: false }];
    case "LineString": return [{ label: "", coords: g.coordinates, closed: false }];
    case "MultiLineString": return g.coordinates.map((c, i) => ({ label: `第 ${i + 1} 段`, coords: c, closed: false }));
    case "Polygon": return g.coordinates.map((c, i) => ({ label: i === 0 ? "外边界" : `内边界（洞）${i}`, coords: c, closed: true }));
    case "MultiPolygon": return g.coordinates.flatMap((p, j) => p.map((c, i) => ({ label: `第 ${j + 1} 块 ${i === 0 ? "外边界" : "内边界（洞）" + i}`, coords: c, closed: true })));
    default: return [];
  }
}

// vertices drops the closing position of closed rings.
function vertices(r) {
  if (r.closed && r.coords.length > 1) {
    const a = r.coords[0], b = r.coords[r.coords.length - 1];
    if (a[0] === b[0] && a[1] === b[1]) return r.coords.slice(0, -1);
  }
  return r.coords;
}

function bboxOf(g) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const r of rings(g)) {
    for (const [x, y] of r.coords) {
      b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
    }
  }
  return b;
}

// ---- sections ----

function kvTable(rows) {
  const t = el("table", null, "kv");
  const body = el("tbody");
  for (const [k, v] of rows) {
    const tr = el("tr");
    tr.append(el("th", k), el("td", v));
    body.append(tr);
  }
  t.append(body);
  return t;
}

function table(headers, rows, cls) {
  const t = el("table", null, cls);
  const head = el("thead");
  const hr = el("tr");
  for (const h of headers) hr.append(typeof h === "string" ? el("th", h) : h);
  head.append(hr);
  const body = el("tbody");
  for (const r of rows) body.append(r);
  t.append(head, body);
  return t;
}

function td(text, cls) {
  return el("td", text, cls);
}

// reportID is the id the service recorded the check under, if any.
function reportID(rep) {
  return rep.report_id || (rep.result && rep.result.report_id) || "";
}

function headerSection(rep, no, when) {
  const d = rep.result.dataset;
  const parts = [];
  const meta = el("dl", null, "meta");
  const row = (k, v, cls) => meta.append(el("dt", k), el("dd", v, cls));
  const id = reportID(rep);
  row("报告编号", id ? no : `${no}（本地编号，未在服务登记，不能在线核验）`, "reportno");
  if (id) {
    const link = `${location.origin}/report?id=${encodeURIComponent(id)}`;
    row("核验方式", `打开 ${link}，或请求 ${location.origin}/api/v1/reports/${id}：可查看登记的原始结果，并按当前数据版本重新核查。`, "verify");
  }
  row("查询时间", when);
  row("数据集", `${d.name}（版本 ${d.version}）`);
  row("数据集校验和", d.checksum);
  meta.id = "meta";
  parts.push(meta);
  if (rep.result.report_warning) {
    const w = el("p", rep.result.report_warning, "alert");
    w.id = "report-warning";
    parts.push(w);
  }
  const rp = rep.stored && rep.stored.reproduced;
  if (rp) {
    const ok = rp.same === true;
    const w = el("p", `复核（${localTime(new Date(rp.checked_at))}）：${rp.message}`, ok ? "reproduced" : "alert");
    w.id = "reproduced";
    parts.push(w);
  }
  if (d.synthetic) {
    const w = el("p", "注意：本报告所用数据集为合成样例数据，边界与条款为生成，非官方数据，仅用于演示与测试，不得用于实际审批。", "alert synthetic");
    w.id = "synthetic";
    parts.push(w);
  }
  return parts;
}

function projectSection(rep) {
  const p = rep.project || {};
  const a = rep.result.assessment;
  const code = p.industry || (a && a.industry && a.industry.code) || "";
  let industry = "（未填写）";
  if (a && a.industry) industry = `${a.industry.code} ${a.industry.name}`;
  else if (code) industry = code;
  const buffer = rep.result.buffer_m !== undefined ? rep.result.buffer_m : p.buffer_m;
  return [
    el("h2", "一、项目信息"),
    kvTable([
      ["项目名称", p.name ? p.name : "（未填写）"],
      ["行业类别", industry],
      ["建设性质", p.construction || (a && a.construction) || "（未填写）"],
      ["缓冲距离", buffer ? `${fmt(buffer, 0)} m` : "0 m（未设缓冲）"],
    ]),
  ];
}

const MAX_COORD_ROWS = 200;

function siteSection(rep) {
  const g = rep.site;
  const q = rep.result.query || {};
  const rs = rings(g);
  const nv = rs.reduce((n, r) => n + vertices(r).length, 0);
  const rows = [["场址类型", `${siteTypes[g.type] || g.type}（${g.type}）`]];
  if (/Polygon/.test(g.type)) {
    rows.push(["面积", area(q.area_m2 || 0)]);
    if (q.length_m) rows.push(["周长", length(q.length_m)]);
  } else if (/LineString/.test(g.type)) {
    rows.push(["长度", length(q.length_m || 0)]);
  }
  rows.push(["顶点数", /Polygon/.test(g.type) ? `${nv}（不含闭合点）` : String(nv)]);
  const b = q.bbox || bboxOf(g);
  rows.push(["范围", `经度 ${b[0].toFixed(6)}–${b[2].toFixed(6)}，纬度 ${b[1].toFixed(6)}–${b[3].toFixed(6)}`]);
  rows.push(["坐标系", "CGCS2000（EPSG:4490），十进制度"]);
  const parts = [el("h2", "三、场址"), kvTable(rows), el("div", null, "map-slot"), el("h3", "坐标")];

  const trs = [];
  let n = 0, total = 0;
  for (const r of rs) {
    const vs = vertices(r);
    total += vs.length;
    if (n >= MAX_COORD_ROWS) continue;
    if (rs.length > 1 || /Polygon/.test(g.type)) {
      const tr = el("tr", null, "ring");
      const th = el("th", `${r.label}（${vs.length} 个顶点）`);
      th.colSpan = 3;
      tr.append(th);
      trs.push(tr);
    }
    vs.forEach((c, i) => {
      if (n >= MAX_COORD_ROWS) return;
      n++;
      const tr = el("tr");
      tr.append(td(String(i + 1), "num"), td(Number(c[0]).toFixed(6), "num"), td(Number(c[1]).toFixed(6), "num"));
      trs.push(tr);
    });
  }
  const t = table([el("th", "序号", "num"), el("th", "经度", "num"), el("th", "纬度", "num")], trs, "coords");
  t.id = "coords";
  parts.push(t);
  if (total > n) parts.push(el("p", `坐标共 ${total} 个，表中仅列出前 ${n} 个；完整坐标见“下载场址 GeoJSON”。`, "muted"));
  else if (/Polygon/.test(g.type)) parts.push(el("p", "多边形各边界首尾相接，闭合点不重复列出。", "muted"));
  return parts;
}

// ---- the map ----

const W = 680, H = 440, R = 6371008.8 * Math.PI / 180; // metres per degree

// projector fits the site's bounding box, with a margin and a least
// extent (the buffer or 500 m for a point), into W×H.
function projector(rep) {
  const b = bboxOf(rep.site);
  const lat0 = (b[1] + b[3]) / 2, lon0 = (b[0] + b[2]) / 2;
  const k = Math.cos(lat0 * Math.PI / 180);
  let ew = (b[2] - b[0]) * R * k, ns = (b[3] - b[1]) * R;
  const buffer = Number(rep.result.buffer_m) || 0;
  const least = rep.site.type === "Point" ? Math.max(buffer, 500) * 2.5 : 400;
  ew = Math.max(ew * 1.3, least);
  ns = Math.max(ns * 1.3, least);
  const scale = Math.min(W / ew, H / ns); // SVG units per metre
  return {
    scale,
    xy: ([lon, lat]) => [W / 2 + (lon - lon0) * R * k * scale, H / 2 - (lat - lat0) * R * scale],
  };
}

function pathData(g, xy) {
  const ring = (cs, close) => cs.map((c, i) => {
    const [x, y] = xy(c);
    return (i === 0 ? "M" : "L") + x.toFixed(1) + " " + y.toFixed(1);
  }).join("") + (close ? "Z" : "");
  switch (g.type) {
    case "LineString": return ring(g.coordinates, false);
    case "MultiLineString": return g.coordinates.map((c) => ring(c, false)).join("");
    case "Polygon": return g.coordinates.map((c) => ring(c, true)).join("");
    case "MultiPolygon": return g.coordinates.flatMap((p) => p.map((c) => ring(c, true))).join("");
    default: return "";
  }
}

function drawGeometry(parent, g, xy, style, cls) {
  if (g.type === "Point" || g.type === "MultiPoint") {
    const pts = g.type === "Point" ? [g.coordinates] : g.coordinates;
    for (const p of pts) {
      const [x, y] = xy(p);
      parent.append(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: style.r || 5, fill: style.stroke, stroke: "#fff", "stroke-width": 1.5, class: cls }));
    }
    return;
  }
  const d = pathData(g, xy);
  if (!d) return;
  const attrs = {
    d, class: cls, fill: style.fill || "none", "fill-opacity": style.fillOpacity ?? 1, "fill-rule": "evenodd",
    stroke: style.stroke, "stroke-width": style.width, "stroke-linejoin": "round", "stroke-linecap": "round",
  };
  if (style.dash) attrs["stroke-dasharray"] = style.dash;
  parent.append(svg("path", attrs));
}

// niceLength is the 1/2/5×10ⁿ metres nearest below m.
function niceLength(m) {
  const p = Math.pow(10, Math.floor(Math.log10(m)));
  for (const f of [5, 2, 1]) if (f * p <= m) return f * p;
  return p;
}

async function mapSection(rep) {
  const fig = el("figure");
  fig.id = "map";
  const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": "场址与命中要素示意图" });
  fig.append(box);
  const { scale, xy } = projector(rep);
  const defs = svg("defs");
  const clip = svg("clipPath", { id: "frame" });
  clip.append(svg("rect", { x: 0, y: 0, width: W, height: H }));
  defs.append(clip);
  box.append(defs, svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#fbfcfa" }));
  const layers = svg("g", { "clip-path": "url(#frame)" });
  box.append(layers);

  const hits = rep.result.hits.slice().sort((a, b) => layerOrder.indexOf(a.layer) - layerOrder.indexOf(b.layer));
  const features = await Promise.all(hits.map((h) =>
    api(`/api/v1/features/${encodeURIComponent(h.layer)}/${encodeURIComponent(h.id)}`).catch(() => null)));
  let failed = 0;
  const legend = new Map();
  hits.forEach((h, i) => {
    const f = features[i];
    if (!f || !f.geometry) {
      failed++;
      return;
    }
    const style = (layerStyles[h.layer] || (() => ({ fill: "#9e9e9e", fillOpacity: 0.25, stroke: "#616e7c", width: 1 })))(h.category);
    drawGeometry(layers, f.geometry, xy, style, "hit hit-" + h.layer);
    const key = h.layer === "control_units" || h.layer === "water_sources" ? h.category : h.layer_title;
    if (!legend.has(key)) legend.set(key, style);
  });
  // The site on top, with a white halo so it reads over any fill; a
  // point's buffer as a dashed circle.
  const site = rep.site;
  const buffer = Number(rep.result.buffer_m) || 0;
  if (site.type === "Point" && buffer > 0) {
    const [cx, cy] = xy(site.coordinates);
    layers.append(svg("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: (buffer * scale).toFixed(1), fill: "none", stroke: SITE_COLOR, "stroke-width": 1.5, "stroke-dasharray": "6 4", class: "buffer" }));
  }
  const siteStyle = { fill: /Polygon/.test(site.type) ? SITE_COLOR : "none", fillOpacity: 0.15, stroke: SITE_COLOR, width: 3, r: 6 };
  if (site.type !== "Point" && site.type !== "MultiPoint") {
    drawGeometry(layers, site, xy, { fill: "none", stroke: "#fff", width: 6 }, "site-halo");
  }
  drawGeometry(layers, site, xy, siteStyle, "site");

  // Scale bar, bottom left.
  const target = niceLength((W * 0.25) / scale);
  const px = target * scale;
  const sb = svg("g", { transform: `translate(16 ${H - 22})` });
  sb.append(svg("rect", { x: -8, y: -18, width: px + 40, height: 30, fill: "#fff", "fill-opacity": 0.85, rx: 3 }));
  sb.append(svg("rect", { x: 0, y: 0, width: px / 2, height: 5, fill: "#1f2933" }));
  sb.append(svg("rect", { x: px / 2, y: 0, width: px / 2, height: 5, fill: "#fff", stroke: "#1f2933", "stroke-width": 1 }));
  sb.append(svg("rect", { x: 0, y: 0, width: px, height: 5, fill: "none", stroke: "#1f2933", "stroke-width": 1 }));
  const tick = (x, text) => {
    const e = svg("text", { x, y: -5, "font-size": 11, fill: "#1f2933", "text-anchor": "middle" });
    e.textContent = text;
    sb.append(e);
  };
  const unit = (m) => (target >= 1000 ? `${m / 1000}` : `${m}`);
  tick(0, "0");
  tick(px / 2, unit(target / 2));
  tick(px, unit(target));
  const label = svg("text", { x: px + 8, y: 6, "font-size": 12, fill: "#1f2933" });
  label.textContent = target >= 1000 ? "km" : "m";
  sb.append(label);
  sb.setAttribute("class", "scalebar");
  box.append(sb);

  // North arrow, top right.
  const na = svg("g", { transform: `translate(${W - 30} 16)`, class: "north" });
  na.append(svg("rect", { x: -16, y: -8, width: 32, height: 50, fill: "#fff", "fill-opacity": 0.85, rx: 3 }));
  na.append(svg("polygon", { points: "0,6 8,32 0,26 -8,32", fill: "#1f2933" }));
  const n = svg("text", { x: 0, y: 5, "font-size": 12, "font-weight": "bold", "text-anchor": "middle", fill: "#1f2933" });
  n.textContent = "北";
  na.append(n);
  box.append(na);
  box.append(svg("rect", { x: 0.5, y: 0.5, width: W - 1, height: H - 1, fill: "none", stroke: "#9aa5b1" }));

  const lg = el("div", null, "legend");
  const swatch = (style, text) => {
    const s = el("span");
    const i = el("i");
    if (style.fill && style.fill !== "none") {
      i.style.background = style.fill;
      i.style.opacity = String(Math.min(1, (style.fillOpacity ?? 1) + 0.3));
    }
    i.style.border = `2px ${style.dash ? "dashed" : "solid"} ${style.stroke}`;
    s.append(i, document.createTextNode(text));
    lg.append(s);
  };
  swatch({ fill: SITE_COLOR, fillOpacity: 0.15, stroke: SITE_COLOR }, "场址");
  if (site.type === "Point" && buffer > 0) swatch({ stroke: SITE_COLOR, dash: true }, `缓冲范围（${fmt(buffer, 0)} m）`);
  for (const [k, st] of legend) swatch(st, k);
  const cap = el("figcaption", "场址与命中要素示意图（等距圆柱投影，按场址中心纬度校正；图形仅示意，以坐标与面积数据为准）。" +
    (failed > 0 ? `有 ${failed} 个要素的图形未能读取，未绘出。` : ""));
  fig.append(lg, cap);
  return [el("h3", "位置示意图"), fig];
}

// ---- hits, verdict, clauses ----

function hitSection(rep) {
  const res = rep.result;
  const parts = [el("h2", "四、叠加分析结果")];
  if (res.hits.length === 0) {
    parts.push(el("p", "未命中任何图层要素（场址不在数据覆盖范围内，且缓冲距离内无要素）。"));
    return parts;
  }
  const withShare = /Polygon|LineString/.test(rep.site.type);
  const rows = res.hits.map((h) => {
    const tr = el("tr");
    let measure = "", share = "";
    if (h.relation === "nearby") {
      measure = `距离 ${fmt(h.distance_m, 0)} m`;
    } else if (h.overlap_area_m2 !== undefined) {
      measure = area(h.overlap_area_m2);
      if (h.overlap_ratio !== undefined) share = `${(h.overlap_ratio * 100).toFixed(2)}%`;
    } else if (h.overlap_length_m !== undefined) {
      const ranges = (h.chainage_m || []).map(([a, b]) => `${chainage(a)}–${chainage(b)}`).join("，");
      measure = `长度 ${length(h.overlap_length_m)}` + (ranges ? `；桩号 ${ranges}` : "");
      if (res.query && res.query.length_m > 0) share = `${(h.overlap_length_m / res.query.length_m * 100).toFixed(2)}%`;
    } else if (h.distance_m !== undefined && h.relation !== "within") {
      measure = h.distance_m > 0 ? `距离 ${fmt(h.distance_m, 0)} m` : "";
    }
    tr.append(td(h.layer_title, "nowrap"), td(h.id, "nowrap"), td(h.name), td(h.category, "nowrap"),
      td(relations[h.relation] || h.relation, "nowrap"), td(measure || "—"));
    if (withShare) tr.append(td(share, "num"));
    return tr;
  });
  const headers = ["图层", "编码", "名称", "类别", "关系", "面积 / 长度 / 距离"];
  if (withShare) headers.push(el("th", "占比", "num"));
  const t = table(headers, rows);
  t.id = "hits";
  parts.push(t);
  if (withShare) parts.push(el("p", "占比：面状场址为重叠面积占场址面积之比，线状场址为重叠长度占线路长度之比。", "muted"));
  return parts;
}

function verdictSection(rep) {
  const a = rep.result.assessment;
  const parts = [el("h2", "二、准入结论")];
  if (!a) {
    parts.push(el("p", "未给出准入结论：查询时未填写行业，或场址不在数据覆盖范围内。"));
    return parts;
  }
  const box = el("div", null, "verdict v-" + a.verdict);
  box.id = "verdict";
  box.append(el("strong", a.label), document.createTextNode(a.reason));
  parts.push(box);
  if (a.missing && a.missing.length > 0) {
    parts.push(el("p", "需补充：" + a.missing.map((m) => missingNames[m] || m).join("、"), "muted"));
  }
  if (a.units && a.units.length > 1) {
    parts.push(el("h3", "各管控单元结论"));
    const rows = a.units.map((u) => {
      const tr = el("tr");
      tr.append(td(u.id, "nowrap"), td(u.name), td(u.category, "nowrap"),
        td(u.share_of_site !== undefined ? `${(u.share_of_site * 100).toFixed(2)}%` : "", "num"),
        td(verdicts[u.verdict] || u.verdict, "nowrap v-" + u.verdict), td((u.clauses || []).join("、")));
      return tr;
    });
    const t = table(["单元编码", "单元名称", "类别", el("th", "占场址", "num"), "结论", "依据条款"], rows);
    t.id = "units";
    parts.push(t);
  }
  return parts;
}

function clauseSection(rep) {
  const a = rep.result.assessment;
  const parts = [el("h2", "五、适用的管控要求")];
  if (!a) {
    parts.push(el("p", "无。", "muted"));
    return parts;
  }
  const applicable = a.clauses.filter((c) => c.outcome !== "not_applicable");
  const skipped = a.clauses.length - applicable.length;
  if (applicable.length === 0) parts.push(el("p", "没有与本项目相关的条款。", "muted"));
  const groups = new Map();
  for (const c of applicable) {
    const dim = c.dimension || "其他";
    if (!groups.has(dim)) groups.set(dim, []);
    groups.get(dim).push(c);
  }
  const box = el("div");
  box.id = "clauses";
  for (const [dim, list] of groups) {
    box.append(el("h3", `${dim}（${list.length} 条）`));
    for (const c of list) {
      const div = el("div", null, `clause ${c.outcome} ${c.effect}`);
      const head = el("div", null, "head");
      head.append(el("span", c.id, "cid"),
        el("span", effects[c.effect] || c.effect, "tag" + (c.outcome === "triggered" ? " " + c.effect : "")),
        el("span", outcomes[c.outcome] || c.outcome, "tag outcome"));
      if (levels[c.level]) head.append(el("span", levels[c.level] + (c.number ? ` 第 ${c.number} 条` : ""), "muted"));
      div.append(head, el("p", c.text));
      if (c.evidence && c.evidence.length > 0) {
        const ul = el("ul");
        for (const e of c.evidence) ul.append(el("li", e));
        div.append(ul);
      }
      box.append(div);
    }
  }
  parts.push(box);
  if (skipped > 0) parts.push(el("p", `另有 ${skipped} 条条款经核查不适用于本项目，未列出（见“下载结果 JSON”）。`, "muted"));
  for (const n of rep.result.notes || []) parts.push(el("p", n, "muted"));
  return parts;
}

function disclaimer() {
  const d = el("div", null, "disclaimer");
  d.id = "disclaimer";
  d.append(el("strong", "声明："), document.createTextNode(
    "本报告依据所列数据集自动生成，仅供建设项目选址选线前期参考，不替代生态环境主管部门的审查意见；合成样例数据不得用于实际审批。"));
  return d;
}

// ---- downloads ----

function download(name, obj, type) {
  const blob = new Blob([JSON.stringify(obj, null, 2)], { type });
  const url = URL.createObjectURL(blob);
  const a = el("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function wireButtons(rep, no, when) {
  const p = rep.project || {};
  const print = document.getElementById("print");
  print.addEventListener("click", () => window.print());
  document.getElementById("dl-site").addEventListener("click", () => download(`${no}-site.geojson`, {
    type: "FeatureCollection",
    features: [{
      type: "Feature",
      geometry: rep.site,
      properties: {
        report_no: no, query_time: when, project_name: p.name || null, industry: p.industry || null,
        construction: p.construction || null, buffer_m: p.buffer_m ?? null,
        verdict: rep.result.assessment ? rep.result.assessment.verdict : null,
        dataset: rep.result.dataset,
      },
    }],
  }, "application/geo+json"));
  document.getElementById("dl-result").addEventListener("click", () => download(`${no}-result.json`, rep.result, "application/json"));
  for (const id of ["print", "dl-site", "dl-result"]) document.getElementById(id).disabled = false;
}

// batchRowReport shows a batch row's stored report: the row, its outcome
// and the re-run (the full layout is for single checks).
function batchRowReport(main, r) {
  const res = r.result || {};
  const b = r.batch || {};
  document.title = `批量筛查行报告 ${r.id}`;
  const rows = [
    ["报告编号", r.id],
    ["批量任务", `${b.job_name || ""}（${b.job_id || ""}）`],
    ["行", `第 ${b.line} 行${b.name ? "：" + b.name : ""}`],
    ["筛查时间", localTime(new Date(r.created_at))],
    ["筛查结论", res.label || r.verdict],
    ["原因", res.reason || res.error && res.error.message || "—"],
    ["数据集", `${r.dataset.name}（版本 ${r.dataset.version}）`],
    ["保存期限", r.retention],
  ];
  if (r.reproduced) rows.push(["复核", r.reproduced.message]);
  const t = kvTable(rows);
  t.id = "batch-row";
  main.append(el("h2", "批量筛查行报告"), t, disclaimer());
}

function showMissing(main) {
  const box = el("div", null, "empty");
  box.id = "empty";
  const p = el("p", "没有找到可生成报告的查询结果。");
  const hint = el("p", "请先在地图页面画出场址或输入坐标完成核查，再点击“生成查询报告”。", "muted");
  const back = el("p");
  const a = el("a", "返回地图查询");
  a.href = "/";
  back.append(a);
  box.append(p, hint, back);
  main.append(box);
  document.title = "未找到查询结果 · sanxian";
}

async function main() {
  const main = document.getElementById("report");
  document.getElementById("loading").remove();
  let rep;
  try {
    rep = (await loadStored()) || load();
  } catch (err) {
    main.append(el("p", "无法读取报告：" + err.message, "alert"));
    window.sanxianReportReady = true;
    return;
  }
  if (rep && rep.stored && rep.stored.kind === "batch") {
    batchRowReport(main, rep.stored);
    window.sanxianReportReady = true;
    return;
  }
  if (!rep) {
    showMissing(main);
    window.sanxianReportReady = true;
    return;
  }
  const t = new Date(rep.time);
  const time = Number.isNaN(t.getTime()) ? new Date() : t;
  const no = reportID(rep) || reportNumber(time, rep.site, rep.project || {});
  const when = localTime(time);
  document.title = `建设项目环境准入查询报告 ${no}`;
  main.append(
    ...headerSection(rep, no, when),
    ...projectSection(rep),
    ...verdictSection(rep),
    ...siteSection(rep),
    ...hitSection(rep),
    ...clauseSection(rep),
    disclaimer(),
    el("p", `sanxian 自动生成 · ${no} · 生成于 ${localTime(new Date())}`, "footer"));
  wireButtons(rep, no, when);
  const mapSlot = main.querySelector(".map-slot");
  try {
    mapSlot.replaceWith(...await mapSection(rep));
  } catch (err) {
    mapSlot.replaceWith(el("h3", "位置示意图"), el("p", "示意图生成失败：" + err.message, "muted"));
  }
  window.sanxianReportReady = true;
}

main().catch((err) => {
  const m = document.getElementById("report");
  m.append(el("p", "报告生成失败：" + err.message, "alert"));
  window.sanxianReportReady = true;
});
