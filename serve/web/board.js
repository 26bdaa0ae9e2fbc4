// hexgpu serve's page: the board as SVG, any size. Blue joins top and bottom, Red left
// and right; cell (row, col) sits at x = col + row/2 (the rhombus of the reference page).
'use strict';
(function () {
  const HG = window.hexgpu;
  const R = 20; // hexagon radius
  const W = R * Math.sqrt(3);
  const NS = 'http://www.w3.org/2000/svg';

  function el(name, attrs) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function center(row, col) {
    return { x: W * (col + row / 2) + W, y: 1.5 * R * row + R * 1.6 };
  }

  function hexPoints(cx, cy) {
    const pts = [];
    for (let i = 0; i < 6; i++) {
      const a = Math.PI / 3 * i + Math.PI / 6;
      pts.push(`${(cx + R * Math.cos(a)).toFixed(2)},${(cy + R * Math.sin(a)).toFixed(2)}`);
    }
    return pts.join(' ');
  }

  // Draws into container: stones {cell: 'blue'|'red'}, optional heat [n*n] (0..1 share of
  // the largest), last move cell, clickable legal cells calling onClick(cell).
  HG.drawBoard = function (container, size, view) {
    const last = center(size - 1, size - 1);
    const svg = el('svg', { viewBox: `0 0 ${last.x + W * 1.2} ${last.y + R * 1.8}`, class: 'hexboard' });
    const a = center(0, 0), b = center(0, size - 1), c = center(size - 1, 0), d = center(size - 1, size - 1);
    svg.appendChild(el('line', { x1: a.x - W / 2, y1: a.y - R * 1.2, x2: b.x + W / 2, y2: b.y - R * 1.2, class: 'edge-blue' }));
    svg.appendChild(el('line', { x1: c.x - W / 2, y1: c.y + R * 1.2, x2: d.x + W / 2, y2: d.y + R * 1.2, class: 'edge-blue' }));
    svg.appendChild(el('line', { x1: a.x - W * 0.8, y1: a.y - R * 0.4, x2: c.x - W * 0.8, y2: c.y + R * 0.4, class: 'edge-red' }));
    svg.appendChild(el('line', { x1: b.x + W * 0.8, y1: b.y - R * 0.4, x2: d.x + W * 0.8, y2: d.y + R * 0.4, class: 'edge-red' }));
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const cell = row * size + col, p = center(row, col), name = HG.cellName(cell, size);
        const stone = view.stones[cell];
        const poly = el('polygon', { points: hexPoints(p.x, p.y), 'data-cell': name,
          class: 'cell' + (stone ? ' ' + stone : '') + (view.last === cell ? ' last' : '') });
        if (!stone && view.onClick) {
          poly.classList.add('legal');
          poly.addEventListener('click', () => view.onClick(cell));
        }
        const title = el('title', {});
        title.textContent = name + (view.heatText && view.heatText[cell] ? ' ' + view.heatText[cell] : '');
        poly.appendChild(title);
        svg.appendChild(poly);
        if (!stone && view.heat && view.heat[cell] > 0.01) {
          svg.appendChild(el('circle', { cx: p.x, cy: p.y, r: (R * 0.75 * Math.sqrt(view.heat[cell])).toFixed(2),
            class: 'heat', 'fill-opacity': (0.25 + 0.6 * view.heat[cell]).toFixed(2) }));
        }
        if (!stone) {
          const t = el('text', { x: p.x, y: p.y, class: 'label' });
          t.textContent = name;
          svg.appendChild(t);
        }
      }
    }
    container.replaceChildren(svg);
  };

  // Stones of a move list, Blue first.
  HG.stonesOf = function (moves, size) {
    const stones = {};
    moves.forEach((m, i) => { stones[HG.cellIndex(m, size)] = i % 2 === 0 ? 'blue' : 'red'; });
    return stones;
  };

  // A policy [n*n] as heat relative to its largest entry, and its percentages as text.
  HG.heatOf = function (policy) {
    const top = Math.max(...policy, 1e-9);
    return { heat: policy.map((p) => p / top), text: policy.map((p) => (p > 0 ? (100 * p).toFixed(1) + '%' : '')) };
  };
})();
