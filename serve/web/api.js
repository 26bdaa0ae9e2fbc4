// hexgpu serve's page: talking to the server. Every call returns the parsed JSON or
// throws an Error carrying the server's one-line message.
'use strict';
const HG = (window.hexgpu = window.hexgpu || {});

HG.api = {
  async call(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
    return data;
  },
  get(path) { return this.call('GET', path); },
  post(path, body) { return this.call('POST', path, body); },
};

// Cell names and TRMPH, as the server writes them: column letter + 1-based row.
HG.cellName = (cell, size) => String.fromCharCode(97 + (cell % size)) + (Math.floor(cell / size) + 1);
HG.cellIndex = (name, size) => (parseInt(name.slice(1), 10) - 1) * size + (name.charCodeAt(0) - 97);
HG.trmphMoves = (trmph) => {
  const body = trmph.slice(trmph.indexOf(',') + 1);
  return body.match(/[a-s][0-9]{1,2}/g) || [];
};
HG.trmphSize = (trmph) => parseInt(trmph.slice(trmph.lastIndexOf('#') + 1), 10);

HG.setStatus = (text, error) => {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', !!error);
};
