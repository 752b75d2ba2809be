// The operator console's page script: listens to /console/events (server-sent events) and redraws
// from each snapshot. Plain DOM and SVG, no library and no network beyond this process, so it
// works offline. Every value that came from a client (operation names, tenants) is set as text,
// never as markup.

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// Concrete colours: SVG presentation attributes do not resolve CSS variables everywhere.
const COLORS = { req: '#8b949e', err: '#f85149', p50: '#58a6ff', p99: '#f0883e' };

const fmt = (n, digits = 1) => (n === null || n === undefined ? '–' : Number(n).toFixed(digits).replace(/\.0+$/, ''));
const time = (ms) => new Date(ms).toLocaleTimeString();
const breakerLabel = (state) => (state === 'half_open' ? 'half-open' : state);

/**
 * One line chart: `lines` are [{ key, color, label }] read from each point; null values break
 * the line. The y axis starts at 0 and its top is the largest value shown.
 */
function chart(points, lines, unit) {
  const width = 300;
  const height = 64;
  const top = 10;
  const values = points.flatMap((point) => lines.map((line) => line.value(point))).filter((v) => v !== null && Number.isFinite(v));
  const max = Math.max(1e-9, ...values);
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img' });
  root.append(svg('line', { class: 'grid', x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 }));
  root.append(svg('line', { class: 'grid', x1: 0, x2: width, y1: top, y2: top }));
  const label = svg('text', { x: 2, y: 8 });
  label.textContent = `${fmt(values.length ? max : 0, 2)} ${unit}`;
  root.append(label);
  const step = points.length > 1 ? width / (points.length - 1) : width;
  for (const line of lines) {
    let segment = [];
    const flush = () => {
      if (segment.length > 0) root.append(svg('polyline', { points: segment.join(' '), stroke: line.color }));
      segment = [];
    };
    points.forEach((point, i) => {
      const value = line.value(point);
      if (value === null || !Number.isFinite(value)) return flush();
      segment.push(`${(i * step).toFixed(1)},${(height - 1 - (value / max) * (height - 1 - top)).toFixed(1)}`);
    });
    flush();
  }
  return root;
}

function legend(lines) {
  return el(
    'div',
    { class: 'legend' },
    ...lines.map((line) => {
      // Through the CSSOM: the page's policy forbids inline style attributes.
      const swatch = el('i');
      swatch.style.background = line.color;
      return el('span', {}, swatch, line.label);
    }),
  );
}

function charts(summary, stepSeconds) {
  const rate = [
    { label: 'req/s', color: COLORS.req, value: (p) => p.requests / stepSeconds },
    { label: 'err/s', color: COLORS.err, value: (p) => p.errors / stepSeconds },
  ];
  const latency = [
    { label: 'p50 ms', color: COLORS.p50, value: (p) => p.p50 },
    { label: 'p99 ms', color: COLORS.p99, value: (p) => p.p99 },
  ];
  return [chart(summary.points, rate, 'req/s'), legend(rate), chart(summary.points, latency, 'ms'), legend(latency)];
}

function stat(label, value) {
  return el('span', {}, `${label} `, el('b', { text: value }));
}

function bffCard(bff, snapshot) {
  const t = bff.totals;
  const ratio = t.cacheLookups ? `${fmt((100 * t.cacheHits) / t.cacheLookups)} %` : '–';
  return el(
    'div',
    { class: 'card', 'data-bff': bff.name },
    el('h3', {}, el('span', { text: bff.name })),
    el(
      'div',
      { class: 'stats' },
      stat('req/s', fmt(bff.requestRate)),
      stat('err/s', fmt(bff.errorRate)),
      stat('cache hits', ratio),
      stat('fallbacks', String(t.fallbacks)),
      stat('rate-limited', String(t.rateLimited)),
    ),
    ...charts(bff, snapshot.stepSeconds),
  );
}

function sourceCard(source, snapshot) {
  const history = snapshot.breakerHistory.filter((entry) => entry.source === source.name).slice(-20);
  const t = source.totals;
  return el(
    'div',
    { class: 'card', 'data-source': source.name },
    el('h3', {}, el('span', { text: source.name }), el('span', { class: 'breaker', 'data-breaker': '', 'data-state': source.breaker, text: breakerLabel(source.breaker) })),
    el('div', { class: 'stats' }, stat('req/s', fmt(source.requestRate)), stat('err/s', fmt(source.errorRate)), stat('fallbacks', String(t.fallbacks)), stat('calls (15 min)', String(t.requests)), stat('errors (15 min)', String(t.errors))),
    ...charts(source, snapshot.stepSeconds),
    history.length
      ? el('div', { class: 'history', title: history.map((h) => `${time(h.at)} ${breakerLabel(h.state)}`).join('\n') }, ...history.map((h) => el('span', { 'data-state': h.state })))
      : null,
  );
}

function fillTable(id, rows, columns, empty = 'none') {
  const body = $(id).tBodies[0];
  body.replaceChildren(
    ...(rows.length
      ? rows.map((row) => el('tr', row.attrs ?? {}, ...columns(row).map((cell) => el('td', typeof cell === 'number' ? { class: 'num', text: fmt(cell) } : { text: cell ?? '' }))))
      : [el('tr', {}, el('td', { class: 'empty', colspan: $(id).tHead.rows[0].cells.length, text: empty }))]),
  );
}

function render(snapshot) {
  $('instance').textContent = `instance ${snapshot.instanceId.slice(0, 8)} · config v${snapshot.configVersion} · ${time(snapshot.at)}`;
  $('bffs').replaceChildren(...snapshot.bffs.map((bff) => bffCard(bff, snapshot)));
  $('sources').replaceChildren(...snapshot.sources.map((source) => sourceCard(source, snapshot)));

  // Shown only when the process reports a count (an explicit 0 included).
  const hasSubscriptions = typeof snapshot.subscriptions === 'number';
  $('subscriptions-section').hidden = !hasSubscriptions;
  if (hasSubscriptions) $('subscriptions').textContent = String(snapshot.subscriptions);

  $('fleet-section').hidden = !snapshot.fleet;
  if (snapshot.fleet) {
    fillTable('fleet', snapshot.fleet.map((i) => ({ ...i, attrs: { 'data-instance': i.instanceId, 'data-stale': String(i.stale) } })), (i) => [
      `${i.instanceId.slice(0, 8)}${i.self ? ' (this)' : ''}`,
      `${i.host} / ${i.pid}`,
      `v${i.appliedVersion}`,
      i.requestRate,
      i.errorRate,
      Object.entries(i.breakers).map(([name, state]) => `${name}: ${breakerLabel(state)}`).join(', ') || '–',
      `${Math.max(0, Math.round((snapshot.at - i.lastSeen) / 1000))} s ago`,
      i.stale ? `stale: ${i.reasons.join('; ')}` : 'live',
    ]);
  }

  fillTable('refusals', snapshot.rateLimited, (r) => [r.bff, r.plan, r.tenant, r.count]);
  fillTable('errors-by-code', snapshot.errorsByCode, (r) => [r.bff, r.code, r.count]);
  fillTable('ops-cost', snapshot.operationsByCost, (o) => [o.bff, o.operation, o.count, o.totalCost, o.meanCost]);
  fillTable('ops-latency', snapshot.operationsByLatency, (o) => [o.bff, o.operation, o.count, o.meanMs, o.maxMs]);
  fillTable('recent-errors', snapshot.recentErrors, (e) => [time(e.at), e.bff, e.code, e.operation ?? '–']);
  fillTable('breaker-history', snapshot.breakerHistory.slice(-15).reverse(), (h) => [time(h.at), h.source, breakerLabel(h.state)]);
}

function connect() {
  const status = $('status');
  const events = new EventSource('/console/events');
  events.addEventListener('snapshot', (event) => {
    status.dataset.status = 'live';
    status.textContent = 'live';
    render(JSON.parse(event.data));
  });
  // EventSource reconnects by itself (the server asks for a 2 s pause); only say so.
  events.addEventListener('error', () => {
    status.dataset.status = 'reconnecting';
    status.textContent = 'reconnecting…';
  });
}

connect();
