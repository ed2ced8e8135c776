/* The hub's monitoring dashboard: renders /api/state, refreshes itself, Vietnamese and English labels.
 * Every figure shown carries data-* attributes naming what it is, so tests can read the page. */
"use strict";

const LABELS = {
  vi: {
    title: "Giám sát trung tâm dữ liệu", namespace: "Không gian tên", updated: "Cập nhật",
    pipeline: "Tổng quan luồng dữ liệu", dataset: "Bộ dữ liệu", stage_raw: "Thô (raw)",
    stage_clean: "Đã làm sạch", stage_dlq: "Thư lỗi (DLQ)", stage_stored: "Đã lưu (ClickHouse)",
    throughput: "Thông lượng (sự kiện/giây)", lag: "Độ trễ tiêu thụ theo nhóm", group: "Nhóm tiêu thụ",
    topic: "Chủ đề", partition: "Phân vùng", committed: "Đã xác nhận", log_end: "Cuối nhật ký",
    lag_messages: "Trễ (thông điệp)", lag_seconds: "Trễ (giây)", status: "Trạng thái",
    lag_chart: "Độ trễ (thông điệp)", lag_seconds_chart: "Độ trễ (giây)", probe: "Đầu dò đầu-cuối",
    sent: "Đã gửi", landed: "Đã đến", lost: "Bị mất", probe_chart: "Độ trễ đầu dò (giây)",
    freshness: "Độ tươi của bảng", table: "Bảng", rows: "Số dòng", event_age: "Từ sự kiện mới nhất",
    sink_age: "Từ lần ghi mới nhất", quality: "Chất lượng dữ liệu", dead_letters: "Thư lỗi theo lý do",
    reason: "Lý do", count: "Số lượng", latest_dead_letters: "Thư lỗi gần nhất", rejected_at: "Thời điểm",
    field: "Trường", source: "Nguồn", none: "Chưa có dữ liệu", lang: "English",
    source_down: "đang lỗi", clickhouse_down: "Không đọc được ClickHouse", valid_ratio: "tỉ lệ hợp lệ", score: "điểm",
  },
  en: {
    title: "Data hub monitor", namespace: "Namespace", updated: "Updated",
    pipeline: "Pipeline overview", dataset: "Dataset", stage_raw: "Raw", stage_clean: "Cleaned",
    stage_dlq: "Dead letters (DLQ)", stage_stored: "Stored (ClickHouse)", throughput: "Throughput (events/s)",
    lag: "Consumer lag by group", group: "Consumer group", topic: "Topic", partition: "Partition",
    committed: "Committed", log_end: "Log end", lag_messages: "Lag (messages)", lag_seconds: "Lag (seconds)",
    status: "Status", lag_chart: "Lag (messages)", lag_seconds_chart: "Lag (seconds)", probe: "End-to-end probe",
    sent: "Sent", landed: "Landed", lost: "Lost", probe_chart: "Probe latency (seconds)",
    freshness: "Table freshness", table: "Table", rows: "Rows", event_age: "Since newest event",
    sink_age: "Since newest landing", quality: "Data quality", dead_letters: "Dead letters by reason",
    reason: "Reason", count: "Count", latest_dead_letters: "Latest dead letters", rejected_at: "Rejected at",
    field: "Field", source: "Source", none: "No data yet", lang: "Tiếng Việt",
    source_down: "failing", clickhouse_down: "ClickHouse cannot be read", valid_ratio: "valid ratio", score: "score",
  },
};
const COLORS = ["#0b3d6b", "#cf222e", "#1a7f37", "#b58100", "#8250df", "#0a7ea4", "#bc4c00", "#57606a"];
const REFRESH_MS = Number(new URLSearchParams(location.search).get("refresh")) || 2000;

let lang = localStorage.getItem("hub-monitor-lang") || "vi";
let last = null;
const charts = {};

const t = (key) => LABELS[lang][key] ?? key;
const int = (n) => n === null || n === undefined ? "—" : Number(n).toLocaleString(lang === "vi" ? "vi-VN" : "en-US");
const secs = (s) => s === null || s === undefined ? "—" : String(s);
function age(s) {
  if (s === null || s === undefined) return "—";
  const steps = [[86400, "d"], [3600, "h"], [60, "min"]];
  for (const [size, unit] of steps) if (s >= size) return `${int(Math.floor(s / size))} ${unit}`;
  return `${Math.round(s)} s`;
}
const clock = (ms) => new Date(ms).toLocaleTimeString(lang === "vi" ? "vi-VN" : "en-GB", { hour12: false });

function cell(text, attrs = {}, cls = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  for (const [k, v] of Object.entries(attrs)) td.dataset[k] = v;
  return td;
}

function statusCell(status, attrs) {
  const td = cell("", attrs, "text");
  const span = document.createElement("span");
  span.className = `status ${status}`;
  span.textContent = status;
  td.appendChild(span);
  return td;
}

function fill(tableId, rows, columns, emptyKey = "none") {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell(t(emptyKey), {}, "empty text");
    td.colSpan = columns;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  for (const tr of rows) body.appendChild(tr);
}

function row(cells, attrs = {}, cls = "") {
  const tr = document.createElement("tr");
  if (cls) tr.className = cls;
  for (const [k, v] of Object.entries(attrs)) tr.dataset[k] = v;
  cells.forEach((c) => tr.appendChild(c));
  return tr;
}

function renderStages(state) {
  fill("stages", state.stages.map((s) => row([
    cell(s.dataset, {}, "text"),
    ...["raw", "clean", "dlq", "stored"].map((stage) => cell(int(s[stage]), { stage, value: s[stage] ?? "" })),
  ], { dataset: s.dataset })), 5);
}

function renderLag(state) {
  const rows = [];
  for (const g of state.lag ? state.lag.groups : []) {
    rows.push(row([cell(g.group, {}, "text"), cell(""), cell(""), cell(""), cell(""),
      cell(int(g.lag), { field: "lag" }), cell(secs(g.lag_seconds), { field: "lag_seconds" }),
      statusCell(g.status, { field: "status" })], { group: g.group }, "group"));
    for (const p of g.partitions) {
      if (p.lag === 0 && p.status === "OK") continue;
      rows.push(row([cell("", {}, "text"), cell(p.topic, {}, "text"), cell(String(p.partition)),
        cell(p.committed === null ? "—" : int(p.committed), { field: "committed" }),
        cell(int(p.log_end), { field: "log_end" }), cell(int(p.lag), { field: "lag" }),
        cell(secs(p.lag_seconds), { field: "lag_seconds" }), statusCell(p.status, { field: "status" })],
        { group: g.group, topic: p.topic, partition: p.partition }));
    }
  }
  fill("groups", rows, 8);
}

function renderProbe(state) {
  fill("probes", state.probe.map((p) => row([cell(p.dataset, {}, "text"), cell(int(p.sent), { field: "sent" }),
    cell(int(p.landed), { field: "landed" }), cell(int(p.lost), { field: "lost" }),
    cell(secs(p.p50_s), { field: "p50" }), cell(secs(p.p99_s), { field: "p99" })], { dataset: p.dataset })), 6);
}

function renderTables(state) {
  const empty = state.errors.clickhouse ? "clickhouse_down" : "none";
  fill("tables", state.freshness.map((f) => row([cell(f.table, {}, "text"), cell(int(f.rows), { field: "rows" }),
    cell(age(f.event_time_lag_s)), cell(age(f.sink_time_lag_s))], { table: f.table })), 4, empty);
  fill("reasons", state.dead_letters.map((d) => row([cell(d.dataset, {}, "text"), cell(d.reason, {}, "text"),
    cell(int(d.count), { field: "count" })], { dataset: d.dataset, reason: d.reason })), 3, empty);
  fill("latest", state.latest_dead_letters.map((d) => row([cell(new Date(d.rejected_at_ms).toISOString(), {}, "text"),
    cell(d.dataset, {}, "text"), cell(d.reason, {}, "text"), cell(d.field || "—", {}, "text"),
    cell(`${d.source_topic}[${d.source_partition}]@${d.source_offset}`, {}, "text")])), 5, empty);
}

function renderQuality(state) {
  const box = document.getElementById("scores");
  box.replaceChildren();
  if (!state.quality.length) box.innerHTML = `<p class="empty">${t("none")}</p>`;
  for (const q of state.quality) {
    const div = document.createElement("div");
    div.className = "score";
    div.dataset.dataset = q.dataset;
    div.dataset.measure = q.measure;
    div.innerHTML = `<span>${q.dataset} · ${t(q.measure)}</span><div class="bar"><span></span></div><b></b>`;
    div.querySelector(".bar > span").style.width = `${(q.score * 100).toFixed(1)}%`;
    div.querySelector("b").textContent = `${(q.score * 100).toFixed(1)} %`;
    box.appendChild(div);
  }
}

function lineChart(id, titleKey, times, series) {
  const datasets = Object.entries(series).map(([name, values], i) => ({
    label: name, data: values.map((y, k) => ({ x: times[k], y })), borderColor: COLORS[i % COLORS.length],
    backgroundColor: COLORS[i % COLORS.length], pointRadius: 0, borderWidth: 2, spanGaps: true,
  }));
  const options = {
    animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
    plugins: { title: { display: true, text: t(titleKey) }, legend: { position: "bottom" } },
    scales: { x: { type: "linear", ticks: { callback: (v) => clock(v), maxTicksLimit: 6 } }, y: { beginAtZero: true } },
  };
  if (charts[id]) {
    charts[id].data.datasets = datasets;
    charts[id].options.plugins.title.text = t(titleKey);
    charts[id].update("none");
  } else {
    charts[id] = new Chart(document.getElementById(id), { type: "line", data: { datasets }, options });
  }
}

function renderCharts(history) {
  lineChart("chart-throughput", "throughput", history.t, history.throughput);
  lineChart("chart-lag", "lag_chart", history.t, history.lag);
  lineChart("chart-lag-seconds", "lag_seconds_chart", history.t, history.lag_seconds);
  const probe = {};
  for (const [d, v] of Object.entries(history.probe_p50)) probe[`${d} p50`] = v;
  for (const [d, v] of Object.entries(history.probe_p99)) probe[`${d} p99`] = v;
  lineChart("chart-probe", "probe_chart", history.t, probe);
}

function renderLabels() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.getElementById("lang").textContent = t("lang");
}

function render(state) {
  renderLabels();
  document.getElementById("namespace").textContent = state.namespace;
  document.getElementById("updated").textContent = clock(state.at_ms);
  document.getElementById("sources").innerHTML = Object.keys(state.errors)
    .map((s) => `<span class="source" title="${state.errors[s].replace(/"/g, "&quot;")}">${s} ${t("source_down")}</span>`)
    .join("");
  renderStages(state);
  renderLag(state);
  renderProbe(state);
  renderTables(state);
  renderQuality(state);
  renderCharts(state.history);
  document.body.dataset.atMs = String(state.at_ms);
}

async function refresh() {
  try {
    const response = await fetch("/api/state", { cache: "no-store" });
    if (response.ok) {
      last = await response.json();
      render(last);
    }
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "vi" ? "en" : "vi";
  localStorage.setItem("hub-monitor-lang", lang);
  if (last) render(last); else renderLabels();
});
renderLabels();
refresh();
