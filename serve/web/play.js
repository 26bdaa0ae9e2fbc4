// hexgpu serve's page: the game. A game is a list of actions (a move, or the pie rule's
// swap, which exchanges the two players' settings and leaves the stones); undo and redo
// move through it; after each change the network's view is fetched, and the engine
// answers when it is its turn (at once against a human, on Step or Continuous between
// engines).
'use strict';
(function () {
  const HG = window.hexgpu;
  const COLORS = ['blue', 'red'];
  const game = (HG.game = {
    size: 13, actions: [], redo: [], winner: null, busy: false, analysing: false, analysed: 0, analysis: null,
    search: null, graph: [], error: null, models: [], defaultModel: null, lastSaved: null,
    players: {
      blue: { kind: 'human', model: '', simulations: 200, c_puct: 1.5, temperature: 0, gumbel: true },
      red: { kind: 'engine', model: '', simulations: 200, c_puct: 1.5, temperature: 0, gumbel: true },
    },
  });

  const moves = () => game.actions.filter((a) => a.move).map((a) => a.move);
  const toMove = () => COLORS[moves().length % 2];
  game.trmph = () => `#${game.size},` + moves().join('');
  game.moves = moves;
  game.toMove = toMove;
  const $ = (id) => document.getElementById(id);

  // The settings form of one colour.
  function buildPlayer(color) {
    const box = $('player-' + color), p = game.players[color];
    const row = (label, input) => {
      const l = document.createElement('label');
      l.textContent = label;
      box.appendChild(l);
      box.appendChild(input);
      return input;
    };
    const select = (options, value) => {
      const s = document.createElement('select');
      options.forEach(([v, text]) => { const o = document.createElement('option'); o.value = v; o.textContent = text; s.appendChild(o); });
      s.value = value;
      return s;
    };
    const number = (value, min, max, step) => {
      const i = document.createElement('input');
      Object.assign(i, { type: 'number', value, min, max, step });
      return i;
    };
    const kind = row('player', select([['human', 'human'], ['engine', 'engine']], p.kind));
    kind.id = color + '-kind';
    const model = row('model', select(game.models.map((m) => [m.name, m.name]), p.model));
    model.id = color + '-model';
    const sims = row('simulations', number(p.simulations, 1, 100000, 1));
    sims.id = color + '-simulations';
    const cp = row('c_puct', number(p.c_puct, 0.01, 100, 0.1));
    cp.id = color + '-c-puct';
    const t = row('temperature', number(p.temperature, 0, 10, 0.05));
    t.id = color + '-temperature';
    const g = document.createElement('input');
    g.type = 'checkbox';
    g.checked = p.gumbel;
    g.id = color + '-gumbel';
    row('Gumbel', g);
    const sync = () => {
      Object.assign(p, { kind: kind.value, model: model.value, simulations: +sims.value || 1, c_puct: +cp.value || 1.5,
        temperature: +t.value || 0, gumbel: g.checked });
    };
    [kind, model, sims, cp, t, g].forEach((i) => i.addEventListener('change', () => {
      const sizeBefore = game.modelSize(p.model);
      sync();
      if (i === model && game.modelSize(p.model) !== sizeBefore) game.newGame();
      else game.changed(true);
    }));
    box.sync = () => { kind.value = p.kind; model.value = p.model; sims.value = p.simulations; cp.value = p.c_puct;
      t.value = p.temperature; g.checked = p.gumbel; };
  }

  game.modelSize = (name) => {
    const m = game.models.find((x) => x.name === name);
    return m && m.board_size ? m.board_size : null;
  };

  function draw() {
    const ms = moves(), stones = HG.stonesOf(ms, game.size);
    const last = ms.length ? HG.cellIndex(ms[ms.length - 1], game.size) : null;
    const humanTurn = !game.winner && !game.busy && game.players[toMove()].kind === 'human';
    const view = { stones, last, onClick: humanTurn ? play : null };
    if (game.analysis && $('heatmap').checked && !game.winner) {
      const h = HG.heatOf(game.analysis.policy);
      view.heat = h.heat;
      view.heatText = h.text;
    }
    HG.drawBoard($('board'), game.size, view);
    $('trmph').value = game.trmph();
    $('undo').disabled = !game.actions.length || game.busy;
    $('redo').disabled = !game.redo.length || game.busy;
    $('swap').disabled = !swapAllowed() || game.busy;
    $('save').disabled = !game.winner;
    const a = game.analysis;
    if (a) {
      $('value-blue').style.width = (100 * a.win_prob.blue).toFixed(1) + '%';
      $('value-red').style.width = (100 * a.win_prob.red).toFixed(1) + '%';
      $('value-text').textContent = `Blue ${(100 * a.win_prob.blue).toFixed(1)}% · Red ${(100 * a.win_prob.red).toFixed(1)}%` +
        ` (value ${a.value.toFixed(3)}, ${a.model})`;
    }
    const s = game.search, body = $('search-table').tBodies[0];
    body.replaceChildren();
    $('search-summary').textContent = '';
    if (s) {
      $('search-summary').textContent = `${s.model}: ${s.algorithm}, ${s.simulations} simulations in ${s.seconds.toFixed(2)} s, ` +
        `${s.nodes} nodes, depth ${s.max_depth}; ${s.to_move} ${(100 * s.win_prob[s.to_move]).toFixed(1)}%; PV ${s.pv.slice(0, 8).join(' ')}`;
      s.top.forEach((t) => {
        const tr = document.createElement('tr');
        [t.move, t.visits, t.q.toFixed(3), t.prior.toFixed(3)].forEach((v) => {
          const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    HG.lineChart($('graph'), [{ xs: game.graph.map((g) => g.ply), ys: game.graph.map((g) => g.blue), color: '#1f6fd1', max: 1 }],
      { mid: true });
    const who = game.winner ? `${game.winner} wins` : `${toMove()} to move (${game.players[toMove()].kind})`;
    HG.setStatus(game.error ? game.error : `${game.trmph()} · ${who}` + (game.busy ? ' · thinking…' : ''), !!game.error);
  }
  game.draw = draw;

  function swapAllowed() {
    return $('pie').checked && moves().length === 1 && game.actions.length === 1 && !game.winner;
  }

  function exchangePlayers() {
    const b = game.players.blue;
    game.players.blue = game.players.red;
    game.players.red = b;
    COLORS.forEach((c) => $('player-' + c).sync && $('player-' + c).sync());
  }

  function apply(action) {
    if (action.swap) exchangePlayers();
    game.actions.push(action);
  }

  // The position changed: the network's view, then perhaps the engine's move. Changes can
  // overlap (a quick undo while an analysis is on its way): only the latest one's answer is
  // used, and `analysing` stays true until it has come, so the page (and a test reading
  // snapshot()) never takes an older position's view, or no view yet, for the current one.
  game.changed = async function (keepRedo) {
    if (!keepRedo) game.redo = [];
    game.error = null;
    const model = game.players[toMove()].model || game.defaultModel;
    const ticket = ++game.analysed;
    game.analysing = true;
    draw();
    try {
      const a = await HG.api.post('/api/hexgpu/analyse', { trmph: game.trmph(), model });
      if (ticket !== game.analysed) return;
      game.analysis = a;
      game.winner = a.winner;
      game.graph = game.graph.filter((g) => g.ply < a.moves);
      game.graph.push({ ply: a.moves, blue: a.win_prob.blue });
    } catch (e) {
      if (ticket !== game.analysed) return;
      game.error = e.message;
    }
    game.analysing = false;
    draw();
    maybeEngine();
  };

  function maybeEngine() {
    if (game.winner || game.busy || game.error || game.redo.length) return;
    const p = game.players[toMove()], other = game.players[toMove() === 'blue' ? 'red' : 'blue'];
    if (p.kind !== 'engine') return;
    if (other.kind === 'human' || $('continuous').checked) engineMove();
  }

  async function engineMove() {
    if (game.winner || game.busy) return;
    const color = toMove(), p = game.players[color];
    game.busy = true;
    draw();
    try {
      const pie = $('pie').checked && moves().length === 1 && game.actions.length === 1;
      const s = await HG.api.post('/api/hexgpu/search', { trmph: game.trmph(), model: p.model || game.defaultModel,
        simulations: p.simulations, c_puct: p.c_puct, temperature: p.temperature, gumbel: p.gumbel, pie });
      game.search = s;
      game.busy = false;
      apply(s.swap ? { swap: true } : { move: s.move });
      await game.changed(false);
    } catch (e) {
      game.busy = false;
      game.error = e.message;
      draw();
    }
  }
  game.engineMove = engineMove;

  function play(cell) {
    if (game.busy || game.winner) return;
    apply({ move: HG.cellName(cell, game.size) });
    game.changed(false);
  }
  game.play = play;

  // Back one action; against an engine, back to the human's turn (else the engine would
  // answer again at once).
  game.undo = function () {
    if (game.busy) return;
    const back = () => {
      const a = game.actions.pop();
      if (a.swap) exchangePlayers();
      game.redo.push(a);
    };
    if (!game.actions.length) return;
    back();
    const human = (c) => game.players[c].kind === 'human';
    while (game.actions.length && !human(toMove()) && (human('blue') || human('red'))) back();
    game.winner = null;
    game.search = null;
    game.changed(true);
  };
  // Forward again over what undo took back, up to the human's next turn.
  game.redoOne = function () {
    if (!game.redo.length || game.busy) return;
    apply(game.redo.pop());
    const human = (c) => game.players[c].kind === 'human';
    while (game.redo.length && !human(toMove()) && (human('blue') || human('red'))) apply(game.redo.pop());
    game.changed(true);
  };
  game.swap = function () {
    if (!swapAllowed()) return;
    apply({ swap: true });
    game.changed(false);
  };
  game.newGame = function () {
    game.size = game.modelSize(game.players.blue.model) || game.size;
    game.actions = [];
    game.redo = [];
    game.winner = null;
    game.search = null;
    game.graph = [];
    game.changed(false);
  };

  // A TRMPH string from the user: checked by the server, then played from the start.
  game.load = async function (text) {
    try {
      const model = game.players.blue.model || game.defaultModel;
      const a = await HG.api.post('/api/hexgpu/analyse', { trmph: text.trim(), model });
      game.size = a.size;
      game.actions = HG.trmphMoves(a.trmph).map((m) => ({ move: m }));
      game.graph = [];
      game.search = null;
      await game.changed(false);
    } catch (e) {
      game.error = 'Load: ' + e.message;
      draw();
    }
  };

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const i = $('trmph');
    i.select();
    document.execCommand('copy');
    return Promise.resolve();
  }

  game.download = function () {
    const blob = new Blob([game.trmph() + (game.winner ? ' ' + game.winner[0] : '') + '\n'], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `hexgpu_${game.size}x${game.size}_${moves().length}.trmph`;
    document.body.appendChild(a);
    a.click();
    a.remove();
  };

  game.save = async function () {
    try {
      const r = await HG.api.post('/api/save_game', { trmph: game.trmph(), winner: game.winner });
      game.lastSaved = r.trmph_file;
      HG.setStatus(`saved to ${r.trmph_file}`);
    } catch (e) {
      HG.setStatus('Save: ' + e.message, true);
    }
  };

  game.init = async function () {
    const list = await HG.api.get('/api/hexgpu/models');
    game.models = list.models;
    game.defaultModel = list.default;
    COLORS.forEach((c) => { game.players[c].model = list.default; });
    const info = await HG.api.get('/api/hexgpu/info');
    game.size = info.board_size;
    COLORS.forEach(buildPlayer);
    $('new-game').onclick = game.newGame;
    $('undo').onclick = game.undo;
    $('redo').onclick = game.redoOne;
    $('swap').onclick = game.swap;
    $('step').onclick = () => engineMove();
    $('continuous').onchange = () => maybeEngine();
    $('heatmap').onchange = draw;
    $('pie').onchange = draw;
    $('load-trmph').onclick = () => game.load($('trmph').value);
    $('trmph').addEventListener('keydown', (e) => { if (e.key === 'Enter') game.load($('trmph').value); });
    $('copy-trmph').onclick = () => copyText(game.trmph()).then(() => HG.setStatus('TRMPH copied'));
    $('download-trmph').onclick = game.download;
    $('save').onclick = game.save;
    await game.changed(false);
  };
})();
