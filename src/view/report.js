/* whyalive report: builds the page from the JSON data block. Every string
 * from the dump goes into the page as text (textContent / text nodes),
 * never as markup. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('wa-data').textContent);
  var app = document.getElementById('app');
  var T = D.types || [];

  function el(tag, cls, kids) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (kids !== undefined) add(e, kids);
    return e;
  }
  /* Text from the dump shown as the terminal shows it (whyalive/text.h):
   * controls, C1, bidi overrides and invisible format characters become
   * visible escapes, so nothing reorders or hides what is on the page. */
  var INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
  function vis(s) {
    return s.replace(INVISIBLE, function (c) {
      var n = c.charCodeAt(0);
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c === '\r') return '\\r';
      if (n < 0x80) return '\\x' + (n < 16 ? '0' : '') + n.toString(16);
      return '\\u' + ('000' + n.toString(16)).slice(-4);
    });
  }
  function add(e, kids) {
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined) return;
      e.appendChild(typeof k === 'object' ? k : document.createTextNode(vis(String(k))));
    });
    return e;
  }
  function num(v) { return typeof v === 'string' ? Number(v) : (v || 0); }
  function count(v) { return num(v).toLocaleString('en-US'); }
  function size(v) {
    var n = num(v), u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i === 0 ? n + ' B' : (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) + ' ' + u[i];
  }
  function signed(v, f) { var n = num(v); return (n > 0 ? '+' : n < 0 ? '-' : '') + f(Math.abs(n)); }
  function pct(x) { return (100 * x).toFixed(1) + '%'; }
  function section(id, title) {
    var s = el('section');
    s.id = id;
    s.setAttribute('aria-labelledby', id + '-h');
    var h = el('h2', null, title);
    h.id = id + '-h';
    s.appendChild(h);
    app.appendChild(s);
    return s;
  }
  function facts(pairs) {
    var dl = el('dl', 'facts');
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === '') return;
      dl.appendChild(el('dt', null, p[0]));
      dl.appendChild(el('dd', null, p[1]));
    });
    return dl;
  }
  function short(full) { return full.indexOf('builtins.') === 0 ? full.slice(9) : full; }

  /* ---- header */
  var H = D.header || {};
  var top = section('overview', 'What was dumped');
  top.appendChild(facts([
    ['interpreter', [H.implementation, H.python].filter(Boolean).join(' ') || undefined],
    ['pid', H.pid],
    ['argv', H.argv ? H.argv.join(' ') : undefined],
    ['host', H.host],
    ['time', H.time],
    ['objects', count(H.objects)],
    ['edges', count(H.edges)],
    ['shallow bytes', size(H.shallow_bytes)],
    ['reachable bytes', H.reachable_bytes !== undefined ? size(H.reachable_bytes) : undefined],
    ['unreachable', H.unreachable && num(H.unreachable.count) ?
      count(H.unreachable.count) + ' objects, ' + size(H.unreachable.bytes) : undefined],
    ['process RSS', H.rss !== undefined ? size(H.rss) : undefined],
    ['dump time', H.dump_seconds !== undefined ? H.dump_seconds.toFixed(2) + ' s' : undefined],
    ['analysis time', H.analysis_seconds !== undefined ? H.analysis_seconds.toFixed(2) + ' s' : undefined],
    ['dumps', D.snapshots.length > 1 ? D.snapshots.join(' \u2192 ') : undefined],
    ['written by', D.tool]
  ]));

  /* ---- routes (clusters of retention paths) */
  function routeBox(c) {
    var box = el('div', 'route');
    if (!c.reachable) {
      add(box, count(c.count) + ' ' + c.qualname + ' (' + size(c.shallow) +
        ' shallow): no root reaches them');
      return box;
    }
    var head = el('div', null, [el('strong', null, count(c.count) + ' \u00d7 ' + c.qualname),
      ' retaining ' + size(c.retained) + ', held from ']);
    head.appendChild(el('code', null, c.root ? c.root.text : '?'));
    box.appendChild(head);
    var ol = el('ol', 'mono');
    (c.hops || []).forEach(function (h, k) {
      ol.appendChild(el('li', null, [short(h.from) + ' ', el('span', 'hop-label', h.label),
        ' \u2192 ' + short(h.to)]));
      if (c.hops_cut && k === Math.floor(D.caps.route_hops / 4) - 1)
        ol.appendChild(el('li', 'more', '\u2026 ' + count(c.hops_cut) + ' hops not shown \u2026'));
    });
    box.appendChild(ol);
    return box;
  }

  /* ---- verdict */
  var S = D.suspects || {};
  var verdict = section('verdict', 'Verdict: leak suspects');
  var list = S.suspects || [];
  if (!D.suspects) {
    verdict.appendChild(el('p', null, 'The suspects were not searched for in this report (--no-suspects): ' +
      'see the dominator tree and the type table below.'));
  } else if (!list.length) {
    verdict.appendChild(el('p', null, 'No suspect: no object or non-builtin type retains ' +
      pct(S.threshold || 0.1) + ' or more of the reachable heap' +
      (S.baseline ? ', and no retention route grew since the baseline.' : '.')));
  }
  list.forEach(function (s, i) {
    var box = el('article', 'suspect');
    var what = s.qualname || (s.object ? short(s.object.type) : '?');
    var h = el('h3', null, [el('span', 'rank', '#' + (i + 1) + ' ' + s.kind), ' ' + what +
      ': ' + size(s.retained) + ' (' + pct(s.share) + ' of reachable)']);
    box.appendChild(h);
    var desc;
    if (s.kind === 'accumulation') {
      desc = 'Memory accumulates in ' + (s.accumulation ? short(s.accumulation.type) + ' ' +
        s.accumulation.addr : '?') + ', which holds ' + count(s.count) + ' ' + what + '.' +
        ' Dropping every reference to it frees ' + size(s.accumulation ? s.accumulation.retained : s.retained) + '.';
    } else if (s.kind === 'type') {
      desc = count(s.count) + ' instances of ' + what + ' retain ' + size(s.retained) + ' together.';
    } else if (s.kind === 'external') {
      desc = count(s.count) + ' ' + what + ' are held by references from native code (excess refcount ' +
        count(s.excess) + ')' + (s.via ? ', holding ' + s.via : '') + '.';
    } else {
      desc = count(s.count) + ' ' + what + ' on this route, ' + count(s.baseline_count) +
        ' in the baseline (+' + count(num(s.count) - num(s.baseline_count)) + ').';
    }
    box.appendChild(el('p', null, desc));
    if (s.path) box.appendChild(el('p', null, ['Example route: ', el('code', 'route', s.path)]));
    if (s.fix && s.fix.patterns && s.fix.patterns.length) {
      /* the cut: the fewest reference patterns whose removal frees them */
      var parts = ['To free them, remove: '];
      s.fix.patterns.forEach(function (p, k) {
        if (k) parts.push('; ');
        parts.push(el('code', 'route', p));
      });
      box.appendChild(el('p', 'fix', parts));
    }
    if (s.routes && s.routes.length) {
      box.appendChild(el('p', 'note', 'Retention routes of ' + count(s.members) + ' objects (' +
        s.members_are + '), grouped by route; ' + s.routes.length + ' of ' +
        count(s.routes_total) + ' shown:'));
      s.routes.forEach(function (c) { box.appendChild(routeBox(c)); });
    }
    if (s.sites && s.sites.length) {
      box.appendChild(el('p', null, 'Allocation sites:'));
      var ul = el('ul', 'mono');
      s.sites.forEach(function (x) { ul.appendChild(el('li', null, count(x[1]) + ' \u00d7 ' + x[0])); });
      box.appendChild(ul);
    }
    if (s.svg) {
      var fig = el('figure', 'picture');
      var img = el('img');
      img.alt = 'Retention routes of ' + what + ' (Graphviz)';
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(s.svg);
      fig.appendChild(img);
      fig.appendChild(el('figcaption', 'note', 'Routes from the roots to ' + what + ' (the picture is an image: nothing in it runs).'));
      box.appendChild(fig);
    } else if (s.svg_error) {
      box.appendChild(el('p', 'note', 'No picture: ' + s.svg_error));
    }
    verdict.appendChild(box);
  });
  if (num(S.suspects_total) > list.length)
    verdict.appendChild(el('p', 'note', count(num(S.suspects_total) - list.length) +
      ' more suspects not shown (cap ' + D.caps.suspects + ').'));

  /* ---- growth */
  if (D.diff) {
    var G = D.diff, g = section('growth', 'Growth across the dumps'), names = ['A', 'B', 'C'];
    G.snapshots.forEach(function (f, i) {
      g.appendChild(el('p', 'files', names[i] + ' = ' + f + ': ' + count(G.totals[i].count) +
        ' objects, ' + size(G.totals[i].bytes)));
    });
    g.appendChild(el('p', 'note', 'Note: ' + G.identity_note + '.'));
    var t = el('table'), hr = el('tr');
    var cols = ['type'];
    G.snapshots.forEach(function (f, i) { cols.push(names[i] + ' count'); });
    cols.push('\u0394 count');
    G.snapshots.forEach(function (f, i) { cols.push(names[i] + ' bytes'); });
    cols.push('\u0394 bytes');
    cols.forEach(function (c, i) { var th = el('th', i ? 'num' : null, c); th.scope = 'col'; hr.appendChild(th); });
    t.appendChild(el('thead', null, hr));
    var tb = el('tbody');
    G.rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', 'name', short(r.type)));
      r.count.forEach(function (c) { tr.appendChild(el('td', 'num', count(c))); });
      tr.appendChild(el('td', 'num', signed(r.dcount, count)));
      r.bytes.forEach(function (c) { tr.appendChild(el('td', 'num', size(c))); });
      tr.appendChild(el('td', 'num', signed(r.dbytes, size)));
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    g.appendChild(el('div', 'tablewrap', t));
    if (!G.rows.length) g.appendChild(el('p', null, 'No type changed.'));
    if (num(G.rows_total) > G.rows.length)
      g.appendChild(el('p', 'note', count(num(G.rows_total) - G.rows.length) + ' more types not shown (cap ' + D.caps.diff_rows + ').'));
    if (G.survivors) {
      var sv = G.survivors;
      g.appendChild(el('h3', null, 'Survivors: ' + count(sv.count) + ' objects new in B and still alive in C (' +
        size(sv.shallow) + ' shallow), by route in C'));
      sv.clusters.forEach(function (c) { g.appendChild(routeBox(c)); });
      if (num(sv.clusters_total) > sv.clusters.length)
        g.appendChild(el('p', 'note', count(num(sv.clusters_total) - sv.clusters.length) + ' more routes not shown (cap ' + D.caps.routes + ').'));
    }
  }

  /* ---- type summary */
  var Sm = D.summary, ts = section('types', 'Types');
  var filter = el('input');
  filter.type = 'search';
  filter.id = 'type-filter';
  filter.placeholder = 'filter types';
  filter.setAttribute('aria-label', 'Filter the types by name');
  var shownNote = el('span', 'note');
  ts.appendChild(el('p', null, [filter, ' ', shownNote]));
  var st = el('table'), sh = el('tr'), sb = el('tbody');
  st.id = 'type-table';
  var keys = [['type', 'type'], ['count', 'count'], ['shallow', 'shallow'], ['retained', 'retained']];
  var sortKey = 'retained', sortDir = -1;
  keys.forEach(function (k, i) {
    var th = el('th', i ? 'num' : null);
    th.scope = 'col';
    var b = el('button', null, k[1]);
    b.type = 'button';
    b.dataset.key = k[0];
    b.addEventListener('click', function () {
      if (sortKey === k[0]) sortDir = -sortDir; else { sortKey = k[0]; sortDir = k[0] === 'type' ? 1 : -1; }
      renderTypes();
    });
    th.appendChild(b);
    sh.appendChild(th);
  });
  st.appendChild(el('thead', null, sh));
  st.appendChild(sb);
  ts.appendChild(el('div', 'tablewrap', st));
  function renderTypes() {
    var q = filter.value.toLowerCase(), rows = Sm.rows.slice();
    rows.sort(function (a, b) {
      var x = sortKey === 'type' ? a.type : num(a[sortKey]), y = sortKey === 'type' ? b.type : num(b[sortKey]);
      return x < y ? -sortDir : x > y ? sortDir : 0;
    });
    sh.querySelectorAll('th').forEach(function (th, i) {
      if (keys[i][0] === sortKey) th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    while (sb.firstChild) sb.removeChild(sb.firstChild);
    var n = 0;
    rows.forEach(function (r) {
      if (q && r.type.toLowerCase().indexOf(q) < 0) return;
      n++;
      var tr = el('tr');
      tr.appendChild(el('td', 'name', short(r.type)));
      tr.appendChild(el('td', 'num', count(r.count)));
      tr.appendChild(el('td', 'num', size(r.shallow)));
      tr.appendChild(el('td', 'num', r.retained === null ? '' : size(r.retained)));
      sb.appendChild(tr);
    });
    shownNote.textContent = n + ' of ' + Sm.rows.length + ' types shown' +
      (num(Sm.rows_total) > Sm.rows.length ? ' (the ' + Sm.rows.length + ' largest of ' +
        count(Sm.rows_total) + ' types are in this page)' : '');
  }
  filter.addEventListener('input', renderTypes);
  renderTypes();
  ts.appendChild(el('p', 'note', 'Retained: what freeing every instance frees through each alone (a lower bound for the group).'));

  /* ---- dominator tree explorer */
  var TR = D.tree, N = TR.nodes, kids = N.map(function () { return []; }), roots = [];
  var byAddr = {};
  N.forEach(function (n, i) {
    if (n[4] < 0) roots.push(i); else kids[n[4]].push(i);
    byAddr[n[0]] = i;
  });
  var total = num(D.header.reachable_bytes) || 1;
  var ds = section('dominators', 'Dominator tree');
  ds.appendChild(el('p', 'note', 'Each object keeps alive the objects below it: they go when it goes. ' +
    'Largest retained first. Use the arrow keys to move, Right/Left to expand/collapse, Enter to show referrers and route.'));
  var layout = el('div', 'layout'), treeUl = el('ul'), details = el('div');
  treeUl.setAttribute('role', 'tree');
  treeUl.setAttribute('aria-label', 'Dominator tree');
  treeUl.id = 'domtree';
  details.id = 'details';
  details.setAttribute('aria-live', 'polite');
  details.appendChild(el('p', 'note', 'Select an object to see its referrers and its route from the roots.'));
  layout.appendChild(el('div', null, treeUl));
  layout.appendChild(details);
  ds.appendChild(layout);

  function label(i) {
    var n = N[i];
    var row = el('div', 'row');
    row.appendChild(el('span', 'twisty', n[5] > 0 ? '\u25b8' : '\u00b7'));
    var box = el('span', 'barbox'), bar = el('span', 'bar');
    bar.style.width = Math.max(0.5, Math.min(100, 100 * n[3] / total)) + '%';
    box.appendChild(bar);
    row.appendChild(box);
    row.appendChild(el('span', 'num', size(n[3])));
    row.appendChild(el('span', 'tname', short(T[n[1]]) + (n[6] ? ' \u2018' + n[6] + '\u2019' : '')));
    row.appendChild(el('span', 'addr note', n[0]));
    return row;
  }
  function item(i, level) {
    var li = el('li');
    li.setAttribute('role', 'treeitem');
    li.setAttribute('aria-level', String(level));
    li.setAttribute('aria-selected', 'false');
    li.tabIndex = -1;
    li.dataset.node = String(i);
    if (N[i][5] > 0) li.setAttribute('aria-expanded', 'false');
    li.appendChild(label(i));
    return li;
  }
  function expand(li, open) {
    var i = Number(li.dataset.node), n = N[i];
    if (!li.hasAttribute('aria-expanded')) return;
    var grp = li.querySelector(':scope > ul');
    if (open && !grp) {
      grp = el('ul');
      grp.setAttribute('role', 'group');
      var lv = Number(li.getAttribute('aria-level')) + 1;
      kids[i].forEach(function (k) { grp.appendChild(item(k, lv)); });
      var rest = n[5] - kids[i].length;
      if (rest > 0) grp.appendChild(el('li', 'more', count(rest) + (kids[i].length ? ' smaller' : '') +
        ' children not in this page (caps: ' + D.caps.tree_children + ' per object, ' + D.caps.tree_depth +
        ' levels, ' + D.caps.tree_nodes + ' objects)'));
      li.appendChild(grp);
    }
    if (grp) grp.hidden = !open;
    li.setAttribute('aria-expanded', open ? 'true' : 'false');
    li.querySelector(':scope > .row > .twisty').textContent = open ? '\u25be' : '\u25b8';
  }
  function visible() {
    return Array.prototype.filter.call(treeUl.querySelectorAll('li[role="treeitem"]'), function (li) {
      return !li.parentElement.closest('ul[hidden]') && !li.parentElement.hidden;
    });
  }
  var current = null;
  function focusItem(li) {
    if (current) current.tabIndex = -1;
    current = li;
    li.tabIndex = 0;
    li.focus();
  }
  function select(li) {
    treeUl.querySelectorAll('li[aria-selected="true"]').forEach(function (x) { x.setAttribute('aria-selected', 'false'); });
    li.setAttribute('aria-selected', 'true');
    focusItem(li);
    showDetails(Number(li.dataset.node));
  }
  function reveal(i) {
    /* expand the ancestors of node i, then select it */
    var chain = [];
    for (var p = N[i][4]; p >= 0; p = N[p][4]) chain.unshift(p);
    chain.forEach(function (a) {
      var li = treeUl.querySelector('li[data-node="' + a + '"]');
      if (li) expand(li, true);
    });
    var me = treeUl.querySelector('li[data-node="' + i + '"]');
    if (me) select(me);
  }
  function showDetails(i) {
    var n = N[i];
    while (details.firstChild) details.removeChild(details.firstChild);
    details.appendChild(el('h3', null, short(T[n[1]]) + ' ' + n[0]));
    details.appendChild(facts([['name', n[6]], ['value', n[7]], ['size', size(n[2])],
      ['retained', size(n[3]) + ' (' + pct(n[3] / total) + ')'], ['dominates', count(n[5]) + ' objects directly']]));
    details.appendChild(el('h3', null, 'Referrers (' + count(n[9]) + ')'));
    var ul = el('ul', 'mono');
    n[8].forEach(function (r) {
      var li = el('li', null, [short(T[r[1]]) + ' ' + r[0] + ' ', el('span', 'hop-label', r[2])]);
      if (byAddr[r[0]] !== undefined) {
        var b = el('button', null, 'show');
        b.type = 'button';
        b.addEventListener('click', function () { reveal(byAddr[r[0]]); });
        li.appendChild(document.createTextNode(' '));
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    if (n[9] > n[8].length) ul.appendChild(el('li', 'more', count(n[9] - n[8].length) + ' more (cap ' + D.caps.referrers + ')'));
    if (!n[9]) ul.appendChild(el('li', 'more', 'none seen (a root object, or held from native code)'));
    details.appendChild(ul);
    details.appendChild(el('h3', null, 'Route from the roots (shortest)'));
    var rt = n[10];
    if (rt[0] === null && !rt[1]) {
      details.appendChild(el('p', null, 'No root reaches it.'));
      return;
    }
    var ol = el('ol', 'mono route');
    ol.appendChild(el('li', null, rt[0] === null ? '(the start of this route is too long to show)' : rt[0]));
    rt[1].forEach(function (h, k) {
      if (k > 0) ol.appendChild(el('li', null, [el('span', 'hop-label', h[0]), ' \u2192 ' + short(T[h[1]])]));
      else ol.appendChild(el('li', null, short(T[h[1]])));
      if (rt[2] > 0 && k === Math.floor(D.caps.route_hops / 4) - 1)
        ol.appendChild(el('li', 'more', '\u2026 ' + count(rt[2]) + ' hops not shown \u2026'));
    });
    details.appendChild(ol);
  }
  roots.forEach(function (i) { treeUl.appendChild(item(i, 1)); });
  if (treeUl.firstChild) treeUl.firstChild.tabIndex = 0;
  current = treeUl.firstChild;
  if (TR.budget_cut)
    ds.appendChild(el('p', 'note', 'The tree stops at ' + size(D.caps.tree_bytes) +
      ' of data: deeper objects are not in this page.'));
  if (num(TR.top_total) > roots.length)
    ds.appendChild(el('p', 'note', count(num(TR.top_total) - roots.length) +
      ' smaller top-level objects not in this page (cap ' + D.caps.tree_top + ').'));
  treeUl.addEventListener('click', function (e) {
    var row = e.target.closest('.row');
    if (!row) return;
    var li = row.parentElement;
    if (e.target.classList.contains('twisty')) expand(li, li.getAttribute('aria-expanded') !== 'true');
    else { select(li); if (li.getAttribute('aria-expanded') === 'false') expand(li, true); }
  });
  treeUl.addEventListener('keydown', function (e) {
    var li = e.target.closest('li[role="treeitem"]');
    if (!li) return;
    var vis = visible(), k = vis.indexOf(li), handled = true;
    switch (e.key) {
    case 'ArrowDown': if (k + 1 < vis.length) focusItem(vis[k + 1]); break;
    case 'ArrowUp': if (k > 0) focusItem(vis[k - 1]); break;
    case 'Home': focusItem(vis[0]); break;
    case 'End': focusItem(vis[vis.length - 1]); break;
    case 'ArrowRight':
      if (li.getAttribute('aria-expanded') === 'false') expand(li, true);
      else if (li.getAttribute('aria-expanded') === 'true' && vis[k + 1] &&
        vis[k + 1].parentElement.parentElement === li) focusItem(vis[k + 1]);
      break;
    case 'ArrowLeft':
      if (li.getAttribute('aria-expanded') === 'true') expand(li, false);
      else if (li.parentElement.getAttribute('role') === 'group') focusItem(li.parentElement.parentElement);
      break;
    case 'Enter': case ' ': select(li); break;
    default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  /* ---- about: caps and privacy */
  var ab = section('about', 'About this report');
  var nv = num(D.objects_with_values);
  ab.appendChild(el('p', null, nv ? 'Privacy: the dump was taken with values: ' + count(nv) +
    ' objects carry a value snippet as the dump has it, and this page shows those of the objects in the tree explorer.' :
    'Privacy: the dump holds no string values (taken without values), so this page shows none: only type, attribute, key and function names, addresses and sizes.'));
  var C = D.caps;
  ab.appendChild(el('p', null, 'Caps (so the page stays small whatever the dump): ' + C.suspects + ' suspects, ' +
    C.routes + ' routes per suspect and survivor routes, ' + C.diff_rows + ' growth rows, ' + C.types +
    ' types; the tree embeds the ' + C.tree_top + ' largest top-level objects, ' + C.tree_children +
    ' children per object, ' + C.tree_depth + ' levels and ' + C.tree_nodes + ' objects in all, ' +
    C.referrers + ' referrers per object, ' + size(C.tree_bytes) + ' of tree data; a route longer than ' +
    C.route_hops + ' hops has its middle cut; a name longer than ' + C.string_bytes + ' bytes is cut (ends in "...").'));
  ab.appendChild(el('p', 'note', 'Everything in this page comes from the dump and is shown as text. The page fetches nothing.'));
  document.documentElement.dataset.ready = '1';
})();
