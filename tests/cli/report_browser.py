#!/usr/bin/env python3
"""Drive Debian's headless Chromium over the DevTools protocol (standard
library only: --remote-debugging-pipe, NUL-separated JSON on fds 3 and 4) to
check a `whyalive report` page in a real browser.

usage: report_browser.py PAGE.html [--check basic|hostile]... [--expect-text T]
                         [--screenshot PNG] [--timing]

Always checked: the page loads from a file:// URL, no console error, no
uncaught exception, no CSP or other error in the log, no network request but
the page itself (data: URLs are no requests), no dialog, and the script ran
(html[data-ready]); --pdf prints it (the print stylesheet). basic: the tree expands three levels with the keyboard,
selecting an object shows its referrers and route, the type table sorts by
count and the filter filters, every route picture decodes and is SVG that
parses. hostile: the page holds exactly its own two script elements, no
element from the dump, no global the dump could have set, and the dump's
markup payloads read as text. Exit 0 when every check passes, 1 otherwise
(each failure on its own line), 2 when Chromium cannot be run.
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, exe):
        self.tmp = tempfile.mkdtemp(prefix="wa-chromium-")
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()

        def fds():  # in the child: the pipe ends become fds 3 and 4
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [exe, "--headless=new", "--remote-debugging-pipe", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio",
                "--user-data-dir=" + self.tmp, "--window-size=1200,900"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root otherwise
        args.append("about:blank")
        self.proc = subprocess.Popen(args, preexec_fn=fds, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_child_r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        mid = self.next_id
        m = {"id": mid, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_child_w, json.dumps(m).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            r = self._read_msg(deadline)
            if r.get("id") == mid:
                if "error" in r:
                    raise RuntimeError(f"{method}: {r['error']}")
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._read_msg(deadline)
            self.events.append(e)
            if e.get("method") == method:
                return self.events.pop()

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


BASIC = r"""
(async () => {
  const out = [];
  const bad = (m) => out.push(m);
  for (const id of ['overview', 'verdict', 'types', 'dominators', 'about'])
    if (!document.getElementById(id)) bad('section ' + id + ' missing');
  // the tree: three levels with the keyboard, along a chain the data has
  // (the deepest embedded object's ancestors, up to three of them), each
  // expansion showing exactly the embedded children, largest first
  const data = JSON.parse(document.getElementById('wa-data').textContent);
  const N = data.tree.nodes, depth = [];
  N.forEach((n, i) => { depth[i] = n[4] < 0 ? 0 : depth[n[4]] + 1; });
  let target = -1;
  for (let i = 0; i < N.length; i++) if (target < 0 || depth[i] > depth[target]) { target = i; if (depth[i] >= 3) break; }
  const chain = [];
  for (let p = N[target][4]; p >= 0; p = N[p][4]) chain.unshift(p);
  const want = Math.min(3, chain.length);
  const tree = document.getElementById('domtree');
  const key = (el, k) => el.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
  let li = tree.querySelector('li[role="treeitem"]');
  li.focus();
  let levels = 0;
  for (let lv = 0; lv < want; lv++) {
    // move down with the keyboard to the chain's object
    for (let guard = 0; guard < 10000 && document.activeElement.dataset.node !== String(chain[lv]); guard++)
      key(document.activeElement, 'ArrowDown');
    li = document.activeElement;
    if (li.dataset.node !== String(chain[lv])) { bad('ArrowDown never reached node ' + chain[lv]); break; }
    key(li, 'ArrowRight');
    if (li.getAttribute('aria-expanded') !== 'true') { bad('level ' + (lv + 1) + ' did not expand'); break; }
    const shown = [...li.querySelectorAll(':scope > ul[role="group"] > li[role="treeitem"]')].map(k => Number(k.dataset.node));
    const expect = N.map((n, i) => [n, i]).filter(x => x[0][4] === chain[lv]).map(x => x[1]);
    if (JSON.stringify(shown) !== JSON.stringify(expect)) { bad('level ' + (lv + 1) + ' shows ' + shown + ', expected ' + expect); break; }
    const ret = shown.map(i => N[i][3]);
    if (ret.some((r, i) => i && r > ret[i - 1])) bad('children not largest first at level ' + (lv + 1));
    key(li, 'ArrowRight');
    if (document.activeElement.dataset.node !== String(shown[0])) bad('ArrowRight did not move to the first child');
    key(document.activeElement, 'ArrowUp');
    levels = lv + 1;
  }
  if (levels < want || want < Math.min(3, Math.max(...depth))) bad('tree expanded ' + levels + ' levels, expected ' + want);
  key(li, 'ArrowLeft'); key(li, 'ArrowLeft');
  key(document.activeElement, 'Enter');
  const det = document.getElementById('details').textContent;
  if (!/Referrers \(/.test(det) || !/Route from the roots/.test(det)) bad('details not shown: ' + det.slice(0, 200));
  // the type table: sort by count, then filter
  const table = document.getElementById('type-table');
  const btn = table.querySelector('button[data-key="count"]');
  btn.click();
  const nums = [...table.querySelectorAll('tbody tr')].map(tr => Number(tr.children[1].textContent.replace(/,/g, '')));
  for (let i = 1; i < nums.length; i++) if (nums[i] > nums[i - 1]) { bad('not sorted by count: ' + nums.join(' ')); break; }
  if (btn.parentElement.getAttribute('aria-sort') !== 'descending') bad('aria-sort not set');
  btn.click();
  const up = [...table.querySelectorAll('tbody tr')].map(tr => Number(tr.children[1].textContent.replace(/,/g, '')));
  for (let i = 1; i < up.length; i++) if (up[i] < up[i - 1]) { bad('second click did not sort ascending'); break; }
  const all = table.querySelectorAll('tbody tr').length;
  const f = document.getElementById('type-filter');
  const first = table.querySelector('tbody tr td').textContent;
  f.value = first; f.dispatchEvent(new Event('input'));
  const rows = [...table.querySelectorAll('tbody tr')];
  if (!rows.length || rows.some(tr => !tr.children[0].textContent.toLowerCase().includes(first.toLowerCase())))
    bad('filter kept a row without ' + first);
  f.value = 'no-such-type-zzz'; f.dispatchEvent(new Event('input'));
  if (table.querySelectorAll('tbody tr').length !== 0) bad('filter with no match kept rows');
  f.value = ''; f.dispatchEvent(new Event('input'));
  if (table.querySelectorAll('tbody tr').length !== all) bad('clearing the filter did not restore the rows');
  // the pictures: images that decode, SVG that parses
  const imgs = [...document.querySelectorAll('figure.picture img')];
  for (const img of imgs) {
    try { await img.decode(); } catch (e) { bad('picture does not decode'); }
    if (!img.naturalWidth) bad('picture has no width');
    const svg = decodeURIComponent(img.src.slice(img.src.indexOf(',') + 1));
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    if (doc.getElementsByTagName('parsererror').length || doc.documentElement.nodeName !== 'svg')
      bad('picture is not SVG that parses');
  }
  return {failures: out, pictures: imgs.length, levels};
})()
"""

HOSTILE = r"""
(() => {
  const out = [];
  const bad = (m) => out.push(m);
  const scripts = document.querySelectorAll('script');
  if (scripts.length !== 2) bad(scripts.length + ' script elements, expected the page\'s 2');
  const allowed = new Set(['HTML','HEAD','META','LINK','TITLE','STYLE','BODY','HEADER','H1','H2','H3','P','NOSCRIPT','MAIN',
    'SCRIPT','SECTION','DL','DT','DD','DIV','SPAN','STRONG','CODE','OL','UL','LI','ARTICLE','FIGURE','FIGCAPTION','IMG',
    'TABLE','THEAD','TBODY','TR','TH','TD','INPUT','BUTTON']);
  for (const e of document.querySelectorAll('*'))
    if (!allowed.has(e.tagName)) bad('unexpected element ' + e.tagName);
  for (const e of document.querySelectorAll('*'))
    for (const a of e.attributes)
      if (/^on/i.test(a.name)) bad('event handler attribute ' + a.name + ' on ' + e.tagName);
  for (const img of document.querySelectorAll('img'))
    if (!img.src.startsWith('data:image/svg+xml')) bad('image from ' + img.src.slice(0, 40));
  if (window.__wa_pwned !== undefined || window.pwned !== undefined) bad('a global from the dump was set');
  return {failures: out, text: document.body.innerText};
})()
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--check", action="append", default=[], choices=["basic", "hostile"])
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--expect-verdict", help="text the first suspect must show")
    ap.add_argument("--screenshot")
    ap.add_argument("--timing", action="store_true", help="print the load time in seconds")
    ap.add_argument("--pdf", help="print the page (the print stylesheet) to this PDF")
    ap.add_argument("--narrow", action="store_true",
                    help="a 360 px wide phone screen: the page must not scroll sideways")
    ap.add_argument("--chromium", default=os.environ.get("WA_CHROMIUM", "chromium"))
    a = ap.parse_args()
    exe = shutil.which(a.chromium)
    if not exe:
        print(f"report_browser: {a.chromium} not found (scripts/setup.sh installs chromium)",
              file=sys.stderr)
        return 2
    url = pathlib.Path(a.page).resolve().as_uri()
    b = Browser(exe)
    failures = []
    try:
        b.send("Target.setDiscoverTargets", {"discover": True})
        tid = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = b.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        for dom in ("Page", "Runtime", "Log", "Network"):
            b.send(dom + ".enable", session=sid)
        if a.narrow:
            b.send("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 800,
                                                          "deviceScaleFactor": 1, "mobile": True},
                   session=sid)
        b.events.clear()
        t0 = time.monotonic()
        b.send("Page.navigate", {"url": url}, session=sid)
        b.wait_event("Page.loadEventFired", timeout=60)
        load = time.monotonic() - t0
        ready = b.send("Runtime.evaluate", {"expression": "document.documentElement.dataset.ready || ''",
                                            "returnByValue": True}, session=sid)["result"]["value"]
        if ready != "1":
            failures.append("the page's script did not finish (html[data-ready] unset)")

        def ev(expr):
            r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                            "awaitPromise": True}, session=sid)
            if "exceptionDetails" in r:
                failures.append("check script failed: " + json.dumps(r["exceptionDetails"])[:400])
                return {"failures": []}
            return r["result"].get("value")

        if "basic" in a.check:
            r = ev(BASIC)
            failures += r["failures"]
            print(f"basic: tree levels {r.get('levels')}, pictures {r.get('pictures')}")
        if a.narrow:
            w = ev("[document.documentElement.scrollWidth, window.innerWidth]")
            if w[0] > w[1] + 1:
                failures.append(f"the page is {w[0]} px wide on a {w[1]} px screen")
        text = ev("document.body.innerText")
        for t in a.expect_text:
            if t not in text:
                failures.append(f"text {t!r} not on the page")
        if a.expect_verdict:
            first = ev("(document.querySelector('#verdict article.suspect h3')||{}).textContent || ''")
            if a.expect_verdict not in first:
                failures.append(f"first suspect {first!r} does not name {a.expect_verdict!r}")
        if "hostile" in a.check:
            r = ev(HOSTILE)
            failures += r["failures"]
        if a.screenshot:
            shot = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False},
                          session=sid)
            pathlib.Path(a.screenshot).write_bytes(base64.b64decode(shot["data"]))
        if a.pdf:
            pdf = base64.b64decode(b.send("Page.printToPDF", {"printBackground": False},
                                          session=sid, timeout=60)["data"])
            if not pdf.startswith(b"%PDF") or len(pdf) < 2000:
                failures.append("printing gave no PDF")
            pathlib.Path(a.pdf).write_bytes(pdf)
        # let late events (errors from timers, requests) arrive, then read them
        ev("new Promise(r => setTimeout(r, 200))")
        for e in b.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                failures.append("console error: " + json.dumps(p.get("args"))[:300])
            elif m == "Runtime.exceptionThrown":
                failures.append("uncaught exception: " + json.dumps(p)[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                failures.append("log error: " + p["entry"].get("text", "")[:300])
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if u != url and not u.startswith("data:"):
                    failures.append("network request: " + u[:200])
            elif m == "Page.javascriptDialogOpening":
                failures.append("a dialog opened: " + p.get("message", "")[:100])
        if a.timing:
            print(f"load: {load:.3f} s")
    finally:
        b.close()
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
