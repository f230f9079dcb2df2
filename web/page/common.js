// Helpers shared by the map, 批量筛查 and 数据版本 pages (loaded before each
// page's own script). All text goes in through textContent, never
// innerHTML.
"use strict";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
const $ = (id) => document.getElementById(id);

function fmt(n, digits) {
  digits = digits || 0;
  return Number(n).toLocaleString("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// api fetches JSON and throws an Error with the service's Chinese message
// (err.status and err.code say what failed).
async function api(url, opts) {
  let r;
  try {
    r = await fetch(url, opts);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    const e = new Error("无法连接服务，请检查网络后重试。");
    e.status = 0;
    throw e;
  }
  let body;
  try {
    body = await r.json();
  } catch (err) {
    if (err.name === "AbortError") throw err;
    const e = new Error(`服务返回了无法解析的内容（HTTP ${r.status}）。`);
    e.status = r.status;
    throw e;
  }
  if (!r.ok) {
    const b = body && body.error;
    const e = new Error(b ? b.message : `请求失败（HTTP ${r.status}）。`);
    e.status = r.status;
    e.code = b ? b.code : "";
    throw e;
  }
  return body;
}
