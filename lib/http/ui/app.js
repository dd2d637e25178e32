/* rxpafd dashboard: plain browser JavaScript, no build step. Services stream live from the watch endpoint
 * (Server-Sent Events read with fetch, so a bearer token can be sent, resumed with Last-Event-ID after a drop);
 * totals, the chart and the clients table are polled every two seconds. */
/* global document, window, location, history, fetch, sessionStorage, TextDecoder, AbortController, uPlot,
   ResizeObserver, requestAnimationFrame, getComputedStyle, setTimeout, clearTimeout, setInterval, URLSearchParams, console */
'use strict';

(() => {
  const MAX_ROWS = 500;
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);

  const state = {
    domains: [],
    domain: undefined,
    filter: '',
    token: sessionStorage.getItem('rxpaf-token') || undefined,
    /** id (decimal string) → service, in the order the server reported them */
    services: new Map(),
    /** ids whose row must be (re)drawn */
    dirty: new Set(),
    rows: new Map(),
    lastEventId: undefined,
    /** server clock minus browser clock, seconds */
    skew: 0,
    gen: 0,
    abort: undefined,
    synced: false,
    chart: undefined,
  };

  // ---- JSON with exact 63-bit integers (the API writes ids as exact integer literals)
  const parse = (text) =>
    JSON.parse(text, (_k, v, ctx) =>
      typeof v === 'number' && !Number.isSafeInteger(v) && ctx && /^-?\d+$/.test(ctx.source) ? BigInt(ctx.source) : v,
    );
  const hex = (n) => '0x' + n.toString(16);
  const count = (n) => Number(n).toLocaleString('en-US');
  /** Axis labels: 950, 1.5k, 100k, 2M. */
  const compact = (n) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n));
  const now = () => Date.now() / 1000 + state.skew;

  const authHeaders = () => (state.token ? { Authorization: `Bearer ${state.token}` } : {});
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  class AuthNeeded extends Error {}

  const api = async (path) => {
    const res = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (res.status === 401) throw new AuthNeeded();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return parse(await res.text());
  };

  // ---- status, token
  const setStatus = (kind, text) => {
    $('status').dataset.state = kind;
    $('status').querySelector('.text').textContent = text;
  };
  const needToken = () => {
    $('auth').hidden = false;
    setStatus('error', 'Token required');
    $('token').focus();
  };
  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value.trim() || undefined;
    if (state.token) sessionStorage.setItem('rxpaf-token', state.token);
    $('auth').hidden = true;
    start();
  });

  // ---- location: #/<domain>?filter=<text>
  const readHash = () => {
    const m = /^#\/([^?]*)(?:\?(.*))?$/.exec(location.hash);
    if (!m) return {};
    const q = new URLSearchParams(m[2] || '');
    return { domain: decodeURIComponent(m[1]), filter: q.get('filter') || '' };
  };
  const writeHash = () => {
    const q = state.filter ? `?filter=${encodeURIComponent(state.filter)}` : '';
    history.replaceState(null, '', `#/${encodeURIComponent(state.domain)}${q}`);
  };

  // ---- domains
  const renderDomains = () => {
    const nav = $('domains');
    nav.replaceChildren(
      ...state.domains.map((d) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = d.name !== undefined ? d.name : `domain ${d.index}`;
        const addr = document.createElement('span');
        addr.className = 'addr';
        addr.textContent = d.addresses[0] || '';
        b.append(addr);
        b.setAttribute('aria-current', String(d.key === state.domain));
        b.addEventListener('click', () => selectDomain(d.key));
        return b;
      }),
    );
  };
  const selectDomain = (key) => {
    if (key === state.domain) return;
    state.domain = key;
    renderDomains();
    writeHash();
    restartWatch();
    poll();
  };

  // ---- the watch stream
  const clearServices = () => {
    state.services.clear();
    for (const tr of state.rows.values()) tr.remove();
    state.rows.clear();
    state.dirty.clear();
    state.synced = false;
    scheduleRender();
  };

  const restartWatch = () => {
    state.gen++;
    if (state.abort) state.abort.abort();
    state.lastEventId = undefined;
    clearServices();
    watchLoop(state.gen);
  };

  /** Parse complete events out of text; returns the rest. */
  const takeEvents = (buffer, onEvent) => {
    let rest = buffer;
    for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
      const block = rest.slice(0, end);
      rest = rest.slice(end + 2);
      const ev = { event: 'message', id: undefined, data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line === '' || line[0] === ':') continue;
        const i = line.indexOf(':');
        const k = i < 0 ? line : line.slice(0, i);
        const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (k === 'event') ev.event = v;
        else if (k === 'id') ev.id = v;
        else if (k === 'data') {
          ev.data += (hasData ? '\n' : '') + v;
          hasData = true;
        }
      }
      if (ev.id !== undefined) state.lastEventId = ev.id;
      if (hasData) onEvent(ev);
    }
    return rest;
  };

  const watchLoop = async (gen) => {
    let backoff = 500;
    while (gen === state.gen) {
      const ac = new AbortController();
      state.abort = ac;
      try {
        const headers = { Accept: 'text/event-stream', ...authHeaders() };
        if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
        const q = state.filter ? `?filter=${encodeURIComponent(state.filter)}` : '';
        const res = await fetch(`/v1/domains/${encodeURIComponent(state.domain)}/watch${q}`, {
          headers,
          signal: ac.signal,
          cache: 'no-store',
        });
        if (res.status === 400) {
          showFilterError(parse(await res.text()).error);
          setStatus('error', 'Invalid filter');
          renderServices();
          return; // until the filter changes
        }
        if (res.status === 401) return needToken();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        showFilterError('');
        setStatus('live', 'Live');
        backoff = 500;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = takeEvents(buffer + decoder.decode(value, { stream: true }), (ev) => {
            if (gen === state.gen) onEvent(ev);
          });
        }
        throw new Error('the stream ended');
      } catch (e) {
        if (gen !== state.gen) return;
        setStatus('reconnecting', 'Reconnecting…');
        if (!(e instanceof TypeError) && e.name !== 'AbortError') console.debug('watch:', e.message);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  };

  /** Count full syncs and resumptions on the status element (shown as its tooltip). */
  const countStream = (what) => {
    const s = $('status');
    s.dataset[what] = String(Number(s.dataset[what] || 0) + 1);
    s.title = `full syncs: ${s.dataset.syncs || 0}, resumed after a drop: ${s.dataset.resumes || 0}`;
  };

  const onEvent = (ev) => {
    const d = parse(ev.data);
    if (typeof d.now === 'number') state.skew = d.now - Date.now() / 1000;
    switch (ev.event) {
      case 'reset':
        countStream('syncs');
        clearServices();
        break;
      case 'resumed':
        countStream('resumes');
        break;
      case 'appeared':
      case 'modified': {
        const key = String(d.service.id);
        state.services.set(key, d.service);
        state.dirty.add(key);
        break;
      }
      case 'disappeared': {
        const key = String(d.service.id);
        state.services.delete(key);
        state.dirty.add(key);
        break;
      }
      case 'synced':
        state.synced = true;
        break;
    }
    scheduleRender();
  };

  // ---- services table
  let renderQueued = false;
  const scheduleRender = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderServices();
    });
  };

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const propsCell = (props) => {
    const box = el('div', 'props');
    for (const [k, values] of Object.entries(props)) {
      for (const v of values) {
        const chip = el('span', 'prop');
        chip.title = `${k}=${v}`;
        chip.append(el('span', 'k', k), el('span', typeof v === 'string' ? 'v' : 'v int', String(v)));
        box.append(chip);
      }
    }
    return box;
  };

  const fillRow = (tr, s) => {
    const idCell = el('td', 'id', hex(s.id));
    idCell.title = String(s.id);
    const owner = el('td', 'id', hex(s.clientId));
    owner.title = String(s.clientId);
    const stateCell = el('td', 'state');
    tr.replaceChildren(
      idCell,
      el('td', undefined),
      owner,
      el('td', 'num', String(s.generation)),
      el('td', 'num', `${s.ttl} s`),
      stateCell,
    );
    tr.children[1].append(propsCell(s.props));
    tr.dataset.id = String(s.id);
    if (s.orphanSince === undefined) {
      tr.classList.remove('orphan');
      stateCell.append(el('span', 'badge live', 'live'));
    } else {
      tr.classList.add('orphan');
      const box = el('div', 'countdown');
      const bar = el('span', 'bar');
      bar.append(el('i'));
      box.append(el('span', 'badge orphan', 'orphan'), bar, el('span', 'left'));
      stateCell.append(box);
      updateCountdown(tr, s);
    }
  };

  const updateCountdown = (tr, s) => {
    const left = Math.max(0, s.orphanSince + s.ttl - now());
    const bar = tr.querySelector('.bar i');
    const text = tr.querySelector('.left');
    if (!bar || !text) return;
    bar.style.width = `${s.ttl > 0 ? (100 * left) / s.ttl : 0}%`;
    text.textContent = left > 0 ? `${left < 10 ? left.toFixed(1) : Math.round(left)} s` : 'expiring';
  };

  const flash = (tr) => {
    tr.classList.remove('flash');
    void tr.offsetWidth; // restart the animation
    tr.classList.add('flash');
  };

  const renderServices = () => {
    const tbody = $('services').tBodies[0];
    const shown = [];
    for (const key of state.services.keys()) {
      if (shown.length >= MAX_ROWS) break;
      shown.push(key);
    }
    const keep = new Set(shown);
    for (const [key, tr] of state.rows)
      if (!keep.has(key)) {
        tr.remove();
        state.rows.delete(key);
      }
    let prev = null;
    for (const key of shown) {
      let tr = state.rows.get(key);
      const s = state.services.get(key);
      if (tr === undefined) {
        tr = document.createElement('tr');
        fillRow(tr, s);
        state.rows.set(key, tr);
        if (state.synced) flash(tr);
      } else if (state.dirty.has(key)) {
        fillRow(tr, s);
        flash(tr);
      }
      const at = prev === null ? tbody.firstChild : prev.nextSibling;
      if (at !== tr) tbody.insertBefore(tr, at);
      prev = tr;
    }
    state.dirty.clear();
    const n = state.services.size;
    const invalid = $('filter').getAttribute('aria-invalid') === 'true';
    $('services-count').textContent = invalid ? '' : state.filter ? `${count(n)} matching` : count(n);
    $('services-empty').hidden = n > 0;
    $('services-empty').textContent = invalid
      ? 'Correct the filter to see services.'
      : !state.synced
        ? 'Loading…'
        : state.filter
          ? 'No service matches the filter.'
          : 'No services yet.';
    $('services-more').hidden = n <= MAX_ROWS;
    $('services-more').textContent =
      `Showing the first ${MAX_ROWS} of ${count(n)} services; narrow them down with a filter.`;
  };

  setInterval(() => {
    for (const tr of state.rows.values())
      if (tr.classList.contains('orphan')) updateCountdown(tr, state.services.get(tr.dataset.id));
  }, 200);

  // ---- filter box
  const showFilterError = (msg) => {
    $('filter-error').textContent = msg;
    $('filter').setAttribute('aria-invalid', String(msg !== ''));
  };
  let filterTimer;
  $('filter').addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      const f = $('filter').value.trim();
      if (f === state.filter) return;
      state.filter = f;
      writeHash();
      restartWatch();
    }, 250);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== $('filter')) {
      e.preventDefault();
      $('filter').focus();
    }
  });

  // ---- totals, chart, clients (polled)
  const fmtDuration = (s) => {
    if (s < 60) return `${Math.floor(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} m ${Math.floor(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  };

  const renderClients = (clients) => {
    const tbody = $('clients').tBodies[0];
    const t = now();
    tbody.replaceChildren(
      ...clients.slice(0, MAX_ROWS).map((c) => {
        const tr = document.createElement('tr');
        tr.dataset.id = String(c.clientId);
        const id = el('td', 'id', hex(c.clientId));
        id.title = String(c.clientId);
        const proto = el('td', 'num');
        if (c.protocolVersion !== undefined)
          proto.append(el('span', `badge v${c.protocolVersion}`, `v${c.protocolVersion}`));
        tr.append(
          id,
          el('td', 'id', c.address),
          proto,
          el('td', 'num', fmtDuration(Math.max(0, t - c.connectedAt))),
          el('td', 'num', c.idle === undefined ? '–' : `${c.idle.toFixed(1)} s`),
          el('td', 'num', c.latency === undefined ? '–' : `${(c.latency * 1000).toFixed(1)} ms`),
        );
        return tr;
      }),
    );
    $('clients-count').textContent = count(clients.length);
    $('clients-empty').hidden = clients.length > 0;
    $('clients-more').hidden = clients.length <= MAX_ROWS;
    $('clients-more').textContent = `Showing the first ${MAX_ROWS} of ${count(clients.length)} clients.`;
  };

  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  /** The sampled series, extended to now with the current totals. */
  const renderChart = (stats, summary) => {
    const t = Math.max(now(), stats.time.length > 0 ? stats.time[stats.time.length - 1] : 0);
    const data = [
      [...stats.time, t],
      [...stats.services, Number(summary.services)],
      [...stats.clients, Number(summary.clients)],
      [...stats.orphans, Number(summary.orphans)],
    ];
    const span = t - data[0][0];
    $('chart-window').textContent =
      span <= 60 ? 'last minute' : span < 590 ? `last ${fmtDuration(span)}` : 'last 10 minutes';
    if (state.chart) return state.chart.setData(data);
    if (typeof uPlot === 'undefined') return;
    const box = $('chart');
    const stepped = uPlot.paths.stepped({ align: 1 });
    const line = (label, color, fill) => ({
      label,
      stroke: color,
      fill,
      width: 2,
      paths: stepped,
      points: { show: false },
    });
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { show: false } };
    const two = (n) => String(n).padStart(2, '0');
    const clock = (t, seconds) => {
      const d = new Date(t * 1000);
      return `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? ':' + two(d.getSeconds()) : ''}`;
    };
    const timeAxis = {
      ...axis,
      space: 80,
      incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
      values: (u, splits) => {
        const span = u.scales.x.max - u.scales.x.min;
        return splits.map((t) => clock(t, span < 600));
      },
    };
    const countAxis = {
      ...axis,
      size: 48,
      values: (_u, splits) => splits.map(compact),
      incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000],
    };
    state.chart = new uPlot(
      {
        width: Math.max(200, box.clientWidth),
        height: Math.max(150, box.clientHeight - 8),
        legend: { show: false },
        padding: [10, 28, 0, 0],
        cursor: { points: { size: 6 } },
        scales: {
          // now at the right edge; at least the last minute, at most the ten minutes the server keeps
          x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
          y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
        },
        axes: [timeAxis, countAxis],
        series: [
          {},
          line('services', cssVar('--services'), 'rgba(99, 102, 241, 0.08)'),
          line('clients', cssVar('--clients')),
          line('orphans', cssVar('--orphans')),
        ],
      },
      data,
      box,
    );
    new ResizeObserver(() =>
      state.chart.setSize({ width: Math.max(200, box.clientWidth), height: Math.max(150, box.clientHeight - 8) }),
    ).observe(box);
  };

  let pollTimer;
  const poll = async () => {
    clearTimeout(pollTimer);
    const domain = state.domain;
    let next = POLL_MS;
    try {
      const base = `/v1/domains/${encodeURIComponent(domain)}`;
      const [summary, stats, clients] = await Promise.all([api(base), api(`${base}/stats`), api(`${base}/clients`)]);
      if (domain === state.domain) {
        for (const k of ['services', 'orphans', 'clients', 'subscriptions'])
          $(`n-${k}`).textContent = count(summary[k]);
        renderChart(stats, summary);
        renderClients(clients);
        if (clients.length > MAX_ROWS) next = 5 * POLL_MS; // a large fleet: poll the full list less often
        $('footer').textContent =
          `${summary.addresses.join(' · ')} — live from ${base}/watch · JSON API under /v1 · Prometheus metrics at /metrics`;
      }
    } catch (e) {
      if (e instanceof AuthNeeded) return needToken();
    }
    pollTimer = setTimeout(poll, next);
  };

  // ---- start
  const start = async () => {
    for (;;) {
      try {
        state.domains = await api('/v1/domains');
        break;
      } catch (e) {
        if (e instanceof AuthNeeded) return needToken();
        setStatus('reconnecting', 'Waiting for the server…');
        await sleep(1000);
      }
    }
    const want = readHash();
    const known = state.domains.find((d) => d.key === want.domain);
    state.domain = known ? known.key : state.domains[0] && state.domains[0].key;
    state.filter = want.filter || '';
    $('filter').value = state.filter;
    renderDomains();
    if (state.domain === undefined) return setStatus('error', 'No domains');
    writeHash();
    restartWatch();
    poll();
  };
  window.addEventListener('hashchange', () => {
    const want = readHash();
    if (want.domain !== undefined && want.domain !== state.domain) selectDomain(want.domain);
  });
  start();
})();
