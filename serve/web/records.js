// hexgpu serve's page: the records viewer over --records: a file's games a page at a
// time, one game stepped through with the network's view of each position.
'use strict';
(function () {
  const HG = window.hexgpu;
  const PAGE = 200;
  const $ = (id) => document.getElementById(id);
  const viewer = (HG.viewer = { files: [], file: null, offset: 0, total: 0, games: [], game: null, index: 0,
    analysis: null, enabled: false });

  async function loadFiles() {
    const r = await HG.api.get('/api/hexgpu/records');
    viewer.enabled = r.enabled;
    viewer.files = r.files.map((f) => f.name);
    const sel = $('record-file');
    sel.replaceChildren();
    viewer.files.forEach((n) => { const o = document.createElement('option'); o.value = o.textContent = n; sel.appendChild(o); });
    if (!r.enabled) $('record-header').textContent = 'No records: start hexgpu serve with --records DIR.';
    if (viewer.files.length && !viewer.files.includes(viewer.file)) await openFile(viewer.files[0], 0);
    else if (viewer.file) sel.value = viewer.file;
  }

  async function openFile(name, offset) {
    viewer.file = name;
    $('record-file').value = name;
    const r = await HG.api.get(`/api/hexgpu/records/games?file=${encodeURIComponent(name)}&offset=${offset}&limit=${PAGE}`);
    viewer.offset = offset;
    viewer.total = r.total;
    viewer.games = r.games;
    $('record-header').textContent = (r.header || []).join(' · ') + ` — ${r.total} games` +
      (r.skipped_lines ? `, ${r.skipped_lines} lines skipped` : '');
    $('games-range').textContent = r.total ? `${offset + 1}–${offset + r.games.length} of ${r.total}` : 'no games';
    const body = $('games-table').tBodies[0];
    body.replaceChildren();
    r.games.forEach((g) => {
      const tr = document.createElement('tr');
      tr.dataset.index = g.index;
      [g.index + 1, g.winner, g.moves].forEach((v) => { const td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
      tr.onclick = () => showGame(g);
      body.appendChild(tr);
    });
    if (r.games.length) showGame(r.games[0]);
  }

  function showGame(g) {
    viewer.game = { index: g.index, winner: g.winner, size: HG.trmphSize(g.trmph), moves: HG.trmphMoves(g.trmph) };
    document.querySelectorAll('#games-table tbody tr').forEach((tr) => tr.classList.toggle('selected', +tr.dataset.index === g.index));
    step(viewer.game.moves.length);
  }

  async function step(index) {
    const g = viewer.game;
    if (!g) return;
    viewer.index = Math.max(0, Math.min(index, g.moves.length));
    const moves = g.moves.slice(0, viewer.index);
    const trmph = `#${g.size},` + moves.join('');
    draw(null);
    try {
      const model = HG.game.modelSize(HG.game.defaultModel) === g.size ? HG.game.defaultModel
        : (HG.game.models.find((m) => m.board_size === g.size) || {}).name;
      viewer.analysis = await HG.api.post('/api/hexgpu/analyse', model ? { trmph, model } : { trmph });
    } catch (e) {
      viewer.analysis = null;
      $('viewer-text').textContent = e.message;
    }
    draw(viewer.analysis);
  }
  viewer.step = step;

  function draw(a) {
    const g = viewer.game, moves = g.moves.slice(0, viewer.index);
    const view = { stones: HG.stonesOf(moves, g.size), last: moves.length ? HG.cellIndex(moves[moves.length - 1], g.size) : null };
    if (a && !a.winner) {
      const h = HG.heatOf(a.policy);
      view.heat = h.heat;
      view.heatText = h.text;
    }
    HG.drawBoard($('viewer-board'), g.size, view);
    $('view-position').textContent = `game ${g.index + 1} (${g.winner} won): move ${viewer.index} of ${g.moves.length}`;
    if (a) {
      $('viewer-blue').style.width = (100 * a.win_prob.blue).toFixed(1) + '%';
      $('viewer-red').style.width = (100 * a.win_prob.red).toFixed(1) + '%';
      $('viewer-text').textContent = `${a.trmph}: Blue ${(100 * a.win_prob.blue).toFixed(1)}%, Red ` +
        `${(100 * a.win_prob.red).toFixed(1)}% (${a.model})`;
    }
  }

  viewer.init = function () {
    $('record-file').onchange = (e) => openFile(e.target.value, 0);
    $('games-prev').onclick = () => viewer.file && openFile(viewer.file, Math.max(0, viewer.offset - PAGE));
    $('games-next').onclick = () => viewer.file && viewer.offset + PAGE < viewer.total && openFile(viewer.file, viewer.offset + PAGE);
    $('view-first').onclick = () => step(0);
    $('view-prev').onclick = () => step(viewer.index - 1);
    $('view-next').onclick = () => step(viewer.index + 1);
    $('view-last').onclick = () => viewer.game && step(viewer.game.moves.length);
    $('view-play').onclick = () => {
      if (!viewer.game) return;
      HG.showTab('play');
      HG.game.load(`#${viewer.game.size},` + viewer.game.moves.slice(0, viewer.index).join(''));
    };
  };
  viewer.show = () => loadFiles().catch((e) => HG.setStatus('Records: ' + e.message, true));
})();
