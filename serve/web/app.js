// hexgpu serve's page: tabs and start-up. window.hexgpu.snapshot() gives the page's
// state as plain data (the browser test reads it instead of pixels); its `busy` is true while
// the page waits on the server for anything (the engine's search or the network's view).
'use strict';
(function () {
  const HG = window.hexgpu;

  HG.showTab = function (name) {
    HG.activeTab = name;
    document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.dataset.tab === name));
    document.querySelectorAll('.panel').forEach((p) => p.classList.toggle('active', p.id === name));
    if (name === 'records') HG.viewer.show();
    if (name === 'dashboard') HG.dashboard.show();
  };

  HG.snapshot = function () {
    const g = HG.game, v = HG.viewer, d = HG.dashboard;
    return {
      tab: HG.activeTab, status: document.getElementById('status').textContent,
      game: { size: g.size, trmph: g.trmph(), moves: g.moves(), toMove: g.toMove(), winner: g.winner, busy: g.busy || g.analysing,
        error: g.error, swapped: g.actions.some((a) => a.swap), redo: g.redo.length, graph: g.graph.length,
        players: JSON.parse(JSON.stringify(g.players)), analysis: g.analysis && { moves: g.analysis.moves,
          win_prob: g.analysis.win_prob }, search: g.search && { move: g.search.move, swap: g.search.swap,
          top: g.search.top.length }, lastSaved: g.lastSaved,
        stones: document.querySelectorAll('#board .cell.blue, #board .cell.red').length,
        heat: document.querySelectorAll('#board .heat').length },
      viewer: { file: v.file, total: v.total, games: v.games.length, index: v.index,
        game: v.game && { index: v.game.index, moves: v.game.moves.length, winner: v.game.winner },
        stones: document.querySelectorAll('#viewer-board .cell.blue, #viewer-board .cell.red').length },
      dashboard: { file: d.file, lines: d.lines.length, last: d.lines[d.lines.length - 1] || null },
    };
  };

  document.addEventListener('DOMContentLoaded', async () => {
    document.querySelectorAll('.tab').forEach((t) => { t.onclick = () => HG.showTab(t.dataset.tab); });
    HG.activeTab = 'play';
    HG.viewer.init();
    HG.dashboard.init();
    try {
      await HG.game.init();
      HG.ready = true;
    } catch (e) {
      HG.setStatus('Could not start: ' + e.message, true);
    }
  });
})();
