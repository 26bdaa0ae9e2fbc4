// hexgpu serve's page: small SVG line and bar charts (no library).
'use strict';
(function () {
  const HG = window.hexgpu;
  const NS = 'http://www.w3.org/2000/svg';

  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function add(svg, name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  }

  // series: [{xs, ys, color, max (optional)}]; each on its own vertical scale from 0.
  HG.lineChart = function (svg, series, opts) {
    clear(svg);
    const [w, h] = [400, svg.viewBox.baseVal.height || 150];
    const pad = 4;
    if (opts && opts.mid) add(svg, 'line', { x1: 0, x2: w, y1: h / 2, y2: h / 2, stroke: '#ccd', 'stroke-dasharray': '4 3' });
    let xmax = 1e-9;
    series.forEach((s) => s.xs.forEach((x) => { xmax = Math.max(xmax, x); }));
    series.forEach((s) => {
      if (!s.xs.length) return;
      const ymax = s.max !== undefined ? s.max : Math.max(...s.ys, 1e-9);
      const pts = s.xs.map((x, i) => `${(pad + (w - 2 * pad) * x / xmax).toFixed(1)},` +
        `${(h - pad - (h - 2 * pad) * s.ys[i] / ymax).toFixed(1)}`).join(' ');
      add(svg, 'polyline', { points: pts, fill: 'none', stroke: s.color, 'stroke-width': 2,
        'vector-effect': 'non-scaling-stroke' });
      if (s.label) add(svg, 'text', { x: w - pad, y: 12 + 12 * series.indexOf(s), 'text-anchor': 'end',
        'font-size': 10, fill: s.color }, `${s.label} ${ymax.toFixed(ymax < 10 ? 2 : 0)} max`);
    });
  };

  HG.barChart = function (svg, values, color) {
    clear(svg);
    const [w, h] = [400, svg.viewBox.baseVal.height || 150];
    const top = Math.max(...values, 1e-9), bw = w / values.length;
    values.forEach((v, i) => {
      const bh = (h - 14) * v / top;
      add(svg, 'rect', { x: i * bw + 1, y: h - 12 - bh, width: bw - 2, height: bh, fill: color });
      add(svg, 'text', { x: i * bw + bw / 2, y: h - 2, 'text-anchor': 'middle', 'font-size': 8, fill: '#667' }, 1 << i);
    });
  };
})();
