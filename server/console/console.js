// The lab console: polls the admin API and shows the enrollment rounds, the
// policy and the authorities. Every value comes from TPM certificates and
// requests, so the DOM is built with textContent only, never from markup.
'use strict';

(function () {
  const EXCHANGE_POLL_MS = 1000;
  const STATUS_POLL_MS = 5000;
  const KEPT_EXCHANGES = 1000;  // the server's own ring holds as many
  const OUTCOMES = ['challenged', 'issued', 'refused', 'dropped'];
  const OUTCOME_GROUPS = { ok: ['challenged', 'issued'], failed: ['refused', 'dropped'] };

  const state = {
    next: 0,
    exchanges: [],  // newest first
    selectedId: null,
    authorityCounts: '',  // "ready/pending" as last shown
    policyShown: '',  // the policy's JSON as last shown
  };

  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers ------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function replaceChildren(parent, children) {
    while (parent.firstChild) parent.removeChild(parent.firstChild);
    children.forEach((child) => parent.appendChild(child));
  }

  // Appends to a <dl> the pairs whose value (a string or a node) is not empty.
  function fillDefinitions(dl, pairs) {
    pairs.forEach(([term, value, valueClass]) => {
      if (value === '' || value === undefined || value === null) return;
      dl.appendChild(el('dt', null, term));
      const isNode = value instanceof Node;
      const dd = dl.appendChild(el('dd', valueClass, isNode ? null : value));
      if (isNode) dd.appendChild(value);
    });
    return dl;
  }

  const definitionList = (pairs) => fillDefinitions(el('dl', 'kv'), pairs);

  function badge(outcome) {
    const known = OUTCOMES.includes(outcome) ? outcome : 'unknown';
    return el('span', 'badge badge-' + known, outcome || 'unknown');
  }

  const pad = (n) => String(n).padStart(2, '0');

  // A time as HH:MM:SS on this computer's clock; `value` is an ISO 8601 string or a Date.
  function clockTime(value) {
    const d = new Date(value);
    if (isNaN(d)) return String(value || '');
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  // YYYY-MM-DD HH:MM:SS.mmm on this computer's clock: the milliseconds match an exchange to its access-log line.
  function localDateTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso || '';
    const date = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    return date + ' ' + clockTime(d) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  function duration(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    if (h) return h + ' h ' + pad(m) + ' min';
    if (m) return m + ' min ' + pad(seconds % 60) + ' s';
    return seconds + ' s';
  }

  // ---- API --------------------------------------------------------------

  class Unauthorized extends Error {}

  // Fetches JSON; a 401 means the session has ended, so the login page takes over.
  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, options));
    if (response.status === 401) {
      window.location.assign('/console/login');
      throw new Unauthorized();
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      // a body that is not JSON counts as none
    }
    return { ok: response.ok, status: response.status, body: body };
  }

  // Runs `task` now and then every `ms` after it settles, until a 401.
  function repeat(task, ms) {
    const run = () => task().then(
      () => setTimeout(run, ms),
      (error) => { if (!(error instanceof Unauthorized)) setTimeout(run, ms); });
    run();
  }

  function setLive(connected) {
    const live = $('live');
    live.textContent = connected ? 'Live' : 'Connection lost, retrying…';
    live.className = 'live ' + (connected ? 'live-ok' : 'live-lost');
  }

  // ---- Exchanges --------------------------------------------------------

  async function pollExchanges() {
    let answer;
    try {
      answer = await api('/admin/api/exchanges?since=' + state.next);
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      setLive(false);
      return;
    }
    setLive(answer.ok);
    if (!answer.ok || !answer.body) return;
    const next = Number(answer.body.next) || 0;
    // A lower `next` than ours: the server restarted, and its ring started over.
    if (next < state.next) {
      state.next = 0;
      state.exchanges = [];
      renderExchanges();
      return;
    }
    state.next = next;
    const fresh = (answer.body.exchanges || []).slice().reverse();
    if (fresh.length === 0) return;
    state.exchanges = fresh.concat(state.exchanges).slice(0, KEPT_EXCHANGES);
    updateAuthorityFilter();
    renderExchanges();
  }

  function updateAuthorityFilter() {
    const select = $('filter-authority');
    const known = new Set(Array.from(select.options, (o) => o.value));
    const names = new Set(state.exchanges.map((x) => x.authority).filter(Boolean));
    Array.from(names).sort().forEach((name) => {
      if (!known.has(name)) select.appendChild(new Option(name, name));
    });
  }

  function visibleExchanges() {
    const outcome = $('filter-outcome').value;
    const authority = $('filter-authority').value;
    const outcomes = OUTCOME_GROUPS[outcome] || (outcome === 'all' ? null : [outcome]);
    return state.exchanges.filter((x) =>
      (!outcomes || outcomes.includes(x.outcome)) && (!authority || x.authority === authority));
  }

  function cell(column, content, title) {
    const td = el('td', 'col-' + column);
    td.setAttribute('data-col', column);
    if (typeof content !== 'string') td.appendChild(content);
    else if (content) td.textContent = content;
    else {
      td.textContent = '—';
      td.classList.add('none');
    }
    if (title) td.title = title;
    return td;
  }

  // The machine's name over its TPM's vendor and model; either may be unknown (a JSON API client has no name).
  function deviceCell(x) {
    const tpm = x.tpm || {};
    const model = [tpm.vendor || tpm.manufacturer, tpm.model].filter(Boolean).join(' ');
    const title = [tpm.manufacturer, tpm.version && 'firmware ' + tpm.version].filter(Boolean).join(', ');
    if (!x.machine) return cell('device', model, title);
    const box = el('div');
    box.appendChild(el('span', 'machine', x.machine));
    if (model) box.appendChild(el('span', 'sub', model));
    return cell('device', box, title);
  }

  function exchangeRow(x) {
    const tr = el('tr');
    tr.setAttribute('data-id', String(x.id));
    tr.tabIndex = 0;
    if (x.id === state.selectedId) tr.classList.add('selected');
    const ek = [x.ekTemplate, x.ekKey].filter(Boolean).join(' · ');
    tr.appendChild(cell('time', clockTime(x.time), localDateTime(x.time)));
    tr.appendChild(cell('authority', x.authority || '', x.host));
    tr.appendChild(deviceCell(x));
    tr.appendChild(cell('ek', ek));
    tr.appendChild(cell('outcome', badge(x.outcome), 'round ' + x.round + ', ' + x.operation));
    tr.appendChild(cell('status', x.status ? String(x.status) : ''));
    tr.appendChild(cell('hresult', x.hresult || '', x.hresultName));
    return tr;
  }

  function renderExchanges() {
    const shown = visibleExchanges();
    replaceChildren(document.querySelector('#exchanges tbody'), shown.map(exchangeRow));
    $('exchanges-count').textContent = shown.length === state.exchanges.length
      ? String(shown.length) : shown.length + ' of ' + state.exchanges.length;
    $('exchanges-empty').hidden = state.exchanges.length > 0;
    $('exchanges-filtered').hidden = shown.length > 0 || state.exchanges.length === 0;
  }

  function select(id) {
    state.selectedId = id;
    document.querySelectorAll('#exchanges tbody tr').forEach((tr) =>
      tr.classList.toggle('selected', tr.getAttribute('data-id') === String(id)));
    renderDetail(state.exchanges.find((x) => x.id === id));
    // On a narrow screen the detail sits below the list: bring it into view.
    if (window.matchMedia('(max-width: 1099px)').matches) $('detail').scrollIntoView({ behavior: 'smooth' });
  }

  function onRowActivated(event) {
    const tr = event.target.closest('tr[data-id]');
    if (!tr) return;
    if (event.type === 'keydown' && event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    select(Number(tr.getAttribute('data-id')));
  }

  // ---- Detail -----------------------------------------------------------

  // Nested objects become dotted keys ("ek.template"), lists one comma-separated value.
  function flatten(value, prefix, rows) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.keys(value).forEach((key) => flatten(value[key], prefix ? prefix + '.' + key : key, rows));
    } else {
      rows.push([prefix, factText(value)]);
    }
    return rows;
  }

  function factText(value) {
    if (Array.isArray(value)) {
      if (!value.length) return 'none';
      return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
    }
    if (value === null) return '—';
    if (value === '') return '(empty)';
    return String(value);
  }

  function traceList(x) {
    const ol = el('ol', 'trace');
    (x.trace || []).forEach((step) => {
      const li = el('li');
      if (x.rule && (step.check === x.rule || step.check === 'rule:' + x.rule)) li.classList.add('fired');
      li.appendChild(el('span', 'check', step.check));
      li.appendChild(el('span', 'result', step.result));
      ol.appendChild(li);
    });
    return ol;
  }

  function factsTable(facts) {
    const table = el('table', 'facts');
    const tbody = el('tbody');
    flatten(facts, '', []).forEach(([key, value]) => {
      const tr = el('tr');
      tr.appendChild(el('th', null, key));
      tr.appendChild(el('td', null, value));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    return table;
  }

  function renderDetail(x) {
    const panel = $('detail');
    if (!x) return;
    const title = el('h2', null, 'Exchange ' + x.id + ' ');
    title.id = 'detail-title';
    title.appendChild(badge(x.outcome));
    const hresult = el('span', 'mono', x.hresult);
    if (x.hresultName) hresult.appendChild(el('span', 'sub', x.hresultName));
    const parts = [
      title,
      definitionList([
        ['Time', localDateTime(x.time)],
        ['Request id', x.requestId, 'mono'],
        ['Authority', x.authority, 'mono'],
        ['Host', x.host, 'mono'],
        ['Remote', x.remote, 'mono'],
        ['Round', x.round + ' · ' + x.operation + ' (' + x.route + ')'],
        ['HTTP', x.status ? String(x.status) : 'none: the connection was dropped'],
        ['HRESULT', x.hresult ? hresult : ''],
        ['Error', x.error, 'mono'],
        ['Message', x.message, 'message'],
        ['Why', x.detail],
        ['Rule', x.rule, 'mono'],
        ['Profile', x.profile],
        ['Duration', typeof x.durationMs === 'number' ? x.durationMs.toFixed(1) + ' ms' : ''],
      ]),
      el('h3', null, 'Decision trace'),
      (x.trace || []).length ? traceList(x) : el('p', 'empty', 'No policy decision was recorded.'),
      el('h3', null, 'Facts'),
      x.facts ? factsTable(x.facts) : el('p', 'empty', 'The exchange ended before the request was read.'),
    ];
    replaceChildren(panel, parts);
  }

  // ---- Policy, authorities, status -------------------------------------

  function ruleItem(name, fired, description) {
    const li = el('li');
    const head = el('div', 'rule-head');
    head.appendChild(el('span', 'mono', name));
    head.appendChild(el('span', 'fired-count' + (fired ? ' fired-some' : ''), fired + ' ×'));
    li.appendChild(head);
    if (description) li.appendChild(el('p', 'sub', description));
    return li;
  }

  async function loadPolicy() {
    const answer = await api('/admin/api/policy');
    if (!answer.ok || !answer.body) return;
    const p = answer.body;
    // Rebuilt only when something changed, and with the description as open as it was.
    const shown = JSON.stringify(p);
    if (shown === state.policyShown) return;
    state.policyShown = shown;
    const previous = $('policy').querySelector('details');
    const parts = [el('p', 'policy-name mono', p.name)];
    if (p.description) {
      const about = el('details');
      about.open = Boolean(previous && previous.open);
      about.appendChild(el('summary', null, 'What this policy reproduces'));
      about.appendChild(el('p', 'sub', p.description));
      parts.push(about);
    }
    const list = el('ul', 'rules');
    (p.rules || []).forEach((r) => list.appendChild(ruleItem(r.name, r.fired || 0, r.description)));
    const fired = p.fired || {};
    list.appendChild(ruleItem('default', fired.default || 0, 'No rule decided: the policy\'s defaults.'));
    list.appendChild(ruleItem('exchange', fired.exchange || 0,
      'The exchange\'s own checks: EK certificate, AIK proof, challenge answer.'));
    parts.push(list);
    replaceChildren($('policy'), parts);
  }

  function certificateItem(c) {
    const li = el('li');
    li.appendChild(definitionList([
      ['Subject', c.subject],
      ['Issuer', c.issuer],
      ['Serial', c.serial, 'mono'],
      ['Valid', [c.notBefore, c.notAfter].filter(Boolean).join(' → ')],
      ['SHA-256', c.sha256, 'mono'],
    ]));
    return li;
  }

  function authorityItem(a) {
    const details = el('details', 'authority');
    const summary = el('summary');
    summary.appendChild(el('span', 'authority-name', a.name));
    summary.title = a.name;
    details.appendChild(summary);
    details.appendChild(definitionList([
      ['Host', a.host, 'mono'],
      ['Key id', a.keyId, 'mono'],
      ['Name id', a.nameId, 'mono'],
    ]));
    details.appendChild(el('h3', null, 'Certificate chain'));
    const chain = el('ol', 'chain');
    (a.chain || []).forEach((c) => chain.appendChild(certificateItem(c)));
    details.appendChild(chain);
    return details;
  }

  async function loadAuthorities() {
    const answer = await api('/admin/api/authorities');
    if (!answer.ok || !answer.body) return;
    const list = answer.body.authorities || [];
    const pending = answer.body.pending || [];
    const parts = list.map(authorityItem);
    if (pending.length) parts.push(el('p', 'sub', 'Still being minted: ' + pending.join(', ')));
    if (!parts.length) parts.push(el('p', 'empty', 'No authorities.'));
    $('authorities-count').textContent = String(list.length);
    replaceChildren($('authorities'), parts);
  }

  async function loadStatus() {
    const answer = await api('/admin/api/status');
    if (!answer.ok || !answer.body) return;
    const s = answer.body;
    const readiness = s.draining ? 'draining' : s.ready ? 'ready' : 'not ready';
    const authorities = s.authorities + (s.pendingAuthorities ? ' (+' + s.pendingAuthorities + ' minting)' : '');
    const status = $('status');
    replaceChildren(status, []);
    fillDefinitions(status, [
      ['Policy', s.policy, 'mono'],
      ['State', readiness, 'state-' + readiness.replace(' ', '-')],
      ['Authorities', authorities],
      ['Up', duration(Number(s.uptimeSeconds) || 0)],
      ['Version', s.version, 'mono'],
    ]);
    // Authorities appear as the server mints them: refresh that panel when their numbers move.
    const counts = s.authorities + '/' + s.pendingAuthorities;
    if (counts !== state.authorityCounts) {
      state.authorityCounts = counts;
      await loadAuthorities();
    }
  }

  async function reload() {
    const button = $('reload');
    const result = $('reload-result');
    button.disabled = true;
    result.className = 'reload-result';
    result.textContent = 'Reloading…';
    let done = false;
    try {
      // The server wants this header on a POST without Authorization: a form on another site cannot send it.
      const answer = await api('/admin/reload', { method: 'POST', headers: { 'X-Aikmock-Admin': '1' } });
      const body = answer.body || {};
      done = answer.ok && body.reloaded === true;
      result.textContent = done
        ? 'Reloaded at ' + clockTime(new Date()) + '.'
        : 'Not reloaded: ' + (body.reason || body.Message || 'HTTP ' + answer.status);
    } catch (error) {
      if (error instanceof Unauthorized) return;
      result.textContent = 'Not reloaded: the server did not answer.';
    }
    result.classList.add(done ? 'reload-ok' : 'reload-failed');
    button.disabled = false;
    if (done) await Promise.all([loadPolicy(), loadStatus(), loadAuthorities()]);
  }

  function start() {
    $('filter-outcome').addEventListener('change', renderExchanges);
    $('filter-authority').addEventListener('change', renderExchanges);
    const tbody = document.querySelector('#exchanges tbody');
    tbody.addEventListener('click', onRowActivated);
    tbody.addEventListener('keydown', onRowActivated);
    $('reload').addEventListener('click', reload);
    repeat(pollExchanges, EXCHANGE_POLL_MS);
    repeat(() => Promise.all([loadStatus(), loadPolicy()]), STATUS_POLL_MS);
  }

  start();
})();
