// hexgpu serve's page: the self-play dashboard. Follows a run's progress file
// (<records>.progress.jsonl, written by `hexgpu selfplay`) under --records, polling for
// new lines, and plots throughput, games and batch sizes.
'use strict';
(function () {
  const HG = window.hexgpu;
  const $ = (id) => document.getElementById(id);
  const dash = (HG.dashboard = { files: [], file: null, lines: [], next: 0, timer: null });

  async function loadFiles() {
    const r = await HG.api.get('/api/hexgpu/records');
    dash.files = r.progress.map((f) => f.name);
    const sel = $('progress-file');
    sel.replaceChildren();
    dash.files.forEach((n) => { const o = document.createElement('option'); o.value = o.textContent = n; sel.appendChild(o); });
    if (!dash.files.length) $('progress-summary').textContent = 'No self-play progress file under --records yet.';
    // the newest run first: names carry the date
    const newest = dash.files[dash.files.length - 1];
    if (newest && !dash.files.includes(dash.file)) follow(newest);
    else if (dash.file) sel.value = dash.file;
  }

  function follow(name) {
    dash.file = name;
    dash.lines = [];
    dash.next = 0;
    $('progress-file').value = name;
    poll();
  }

  async function poll() {
    clearTimeout(dash.timer);
    if (!dash.file) return;
    try {
      const r = await HG.api.get(`/api/hexgpu/progress?file=${encodeURIComponent(dash.file)}&after=${dash.next}`);
      if (r.file === dash.file) {
        dash.lines.push(...r.lines);
        dash.next = r.next;
        draw();
      }
    } catch (e) {
      $('progress-summary').textContent = e.message;
    }
    const last = dash.lines[dash.lines.length - 1];
    if (HG.activeTab === 'dashboard' && !(last && last.final)) dash.timer = setTimeout(poll, 2000);
  }

  function draw() {
    const L = dash.lines;
    if (!L.length) return;
    const last = L[L.length - 1], xs = L.map((l) => l.seconds);
    HG.lineChart($('chart-throughput'), [
      { xs, ys: L.map((l) => l.positions_per_second), color: '#1f6fd1', label: 'positions/s' },
      { xs, ys: L.map((l) => l.evaluations_per_second), color: '#d9482b', label: 'evals/s' }]);
    HG.lineChart($('chart-games'), [{ xs, ys: L.map((l) => l.games), color: '#22a06b', label: 'games' }]);
    HG.barChart($('chart-batches'), last.batch_histogram, '#6b5bd1');
    $('progress-summary').textContent = `${last.games} games (blue ${last.wins.blue}, red ${last.wins.red}), ` +
      `${last.positions} positions in ${last.seconds.toFixed(0)} s; cache hit rate ${(100 * last.cache_hit_rate).toFixed(1)}%, ` +
      `mean batch ${last.mean_batch.toFixed(1)}` + (last.final ? ' — finished' : ' — running');
    const body = $('device-table').tBodies[0];
    body.replaceChildren();
    last.devices.forEach((d) => {
      const tr = document.createElement('tr');
      [d.device, d.evaluated, d.boards_per_second.toFixed(0), (100 * d.busy_fraction).toFixed(1) + '%'].forEach((v) => {
        const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  dash.init = function () { $('progress-file').onchange = (e) => follow(e.target.value); };
  dash.show = () => loadFiles().then(poll).catch((e) => HG.setStatus('Dashboard: ' + e.message, true));
})();
