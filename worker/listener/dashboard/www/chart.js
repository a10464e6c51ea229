// Charts: sparklines drawn on a small <canvas>, and uPlot for the 24 h
// usage of one job.
import uPlot from './vendor/uplot/uPlot.esm.js';
import { h } from './dom.js';
import { t } from './i18n.js';

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

// Draws `values` (numbers or null) as a line on `canvas`.
export function sparkline(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 80, hgt = canvas.clientHeight || 18;
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
  if (canvas.height !== Math.round(hgt * ratio)) canvas.height = Math.round(hgt * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  if (!values || !values.length) return;
  let max = 0, min = Infinity;
  for (const v of values) if (v !== null && v !== undefined) { if (v > max) max = v; if (v < min) min = v; }
  if (min === Infinity) return;
  if (max === min) { min = Math.max(0, min - 1); max = max + 1; }
  const n = values.length;
  const x = (i) => n === 1 ? w - 1 : 1 + (i * (w - 2)) / (n - 1);
  const y = (v) => hgt - 2 - ((v - min) / (max - min)) * (hgt - 4);
  ctx.strokeStyle = sparkColor || (sparkColor = cssVar('--accent', '#2563eb'));
  ctx.lineWidth = 1.25;
  ctx.beginPath();
  let pen = false;
  const none = (v) => v === null || v === undefined;
  values.forEach((v, i) => {
    if (none(v)) { pen = false; return; }
    if (pen) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v));
    pen = true;
  });
  ctx.stroke();
  // A sample with no neighbour has no line: a dot shows it.
  ctx.fillStyle = ctx.strokeStyle;
  values.forEach((v, i) => {
    if (!none(v) && (i === 0 || none(values[i - 1])) && (i === n - 1 || none(values[i + 1])))
      ctx.fillRect(x(i) - 1.5, y(v) - 1.5, 3, 3);
  });
}
let sparkColor = '';
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { sparkColor = ''; });

// The memory (MiB) and CPU (%) of one job over its USAGE reply, in `box`.
// Returns {destroy()}.
export function usageChart(box, usage) {
  const step = Number(usage.step) || 60;
  const mem = Array.isArray(usage.mem) ? usage.mem : [];
  const cpu = Array.isArray(usage.cpu) ? usage.cpu : [];
  const n = Math.max(mem.length, cpu.length);
  const end = Number(usage.end) || Math.floor(Date.now() / 1000);
  const xs = [], ms = [], cs = [];
  for (let i = 0; i < n; i++) {
    xs.push(end - (n - 1 - i) * step);
    const m = mem[i];
    ms.push(m === null || m === undefined ? null : m / 1024);
    const c = cpu[i];
    cs.push(c === null || c === undefined ? null : c);
  }
  if (!n) {
    box.appendChild(h('p', { class: 'muted', text: t('job.noUsage') }));
    return { destroy() {} };
  }
  const accent = cssVar('--accent', '#2563eb'), second = cssVar('--accent2', '#d97706');
  // A sample with no neighbour (a job's first minute, a run between gaps)
  // has no line to be part of: it is drawn as a dot instead.
  const lone = (u, si) => {
    const d = u.data[si], idxs = [];
    for (let i = 0; i < d.length; i++)
      if (d[i] !== null && (i === 0 || d[i - 1] === null) && (i === d.length - 1 || d[i + 1] === null)) idxs.push(i);
    return idxs.length ? idxs : null;
  };
  const axisColor = cssVar('--muted', '#666'), grid = cssVar('--grid', '#e5e7eb');
  const axis = (scale, side, fmt) => ({
    scale, side, stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
    values: (u, vals) => vals.map(fmt), size: 76,
  });
  const opts = {
    width: Math.max(300, box.clientWidth || 600),
    height: 220,
    scales: { x: { time: true }, mem: { auto: true, range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] }, cpu: { auto: true, range: (u, lo, hi) => [0, Math.max(5, hi * 1.1)] } },
    series: [
      {},
      { label: t('job.memMiB'), scale: 'mem', stroke: accent, width: 1.5, points: { show: false, filter: lone, size: 5, fill: accent }, value: (u, v) => v === null ? '-' : v.toFixed(1) + ' MiB' },
      { label: t('job.cpuPct'), scale: 'cpu', stroke: second, width: 1.5, points: { show: false, filter: lone, size: 5, fill: second }, value: (u, v) => v === null ? '-' : v.toFixed(1) + '%' },
    ],
    axes: [
      { stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      axis('mem', 3, (v) => v + ' MiB'),
      Object.assign(axis('cpu', 1, (v) => v + '%'), { grid: { show: false } }),
    ],
  };
  const plot = new uPlot(opts, [xs, ms, cs], box);
  const ro = new ResizeObserver(() => {
    const w = box.clientWidth;
    if (w && Math.abs(w - plot.width) > 4) plot.setSize({ width: Math.max(300, w), height: 220 });
  });
  ro.observe(box);
  return { destroy() { ro.disconnect(); plot.destroy(); } };
}
