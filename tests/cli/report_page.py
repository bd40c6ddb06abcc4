#!/usr/bin/env python3
"""Check what every `whyalive report` page must be, then write its JSON data
block to stdout (for the caller's own checks).

usage: report_page.py PAGE.html > data.json

The page's markup (everything outside the one JSON data block) has exactly
two script elements (the data block and the page's script) and one style
element, nothing that loads anything (no src or href but the empty data:
icon), a Content-Security-Policy meta first in the head that forbids network
access (default-src 'none', img-src data: only) and allows only the page's
own script and style by their SHA-256 hashes, which match; the data block
holds no "<", ">", "&", U+2028 or U+2029 (so it can neither close its
element nor open a comment), and parses as JSON; the page holds no raw
control character but newlines. Exit 1 with one line per problem.
"""
import base64
import hashlib
import json
import re
import sys
from html.parser import HTMLParser


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def main(path):
    raw = open(path, "rb").read()
    bad = []
    page = raw.decode("utf-8")  # raises on invalid UTF-8
    if re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", page):
        bad.append("raw control character (C0, DEL or C1) in the page")
    if "\u2028" in page or "\u2029" in page:
        bad.append("raw U+2028/U+2029 in the page")
    m = re.search(r'<script type="application/json" id="wa-data">(.*?)</script>', page, re.S)
    if not m:
        print("FAIL: no data block", file=sys.stderr)
        return 1
    data_text = m.group(1)
    for ch in "<>&":
        if ch in data_text:
            bad.append(f"{ch!r} in the data block")
    data = json.loads(data_text)
    shell = page[:m.start()] + page[m.end():]
    p = Tags()
    p.feed(shell)
    tags = p.tags
    scripts = [a for t, a in tags if t == "script"]
    if len(scripts) != 1 or scripts[0]:
        bad.append(f"markup outside the data block has script elements {scripts}, expected one bare <script>")
    if sum(1 for t, _ in tags if t == "style") != 1:
        bad.append("expected one style element")
    for t, a in tags:
        for k, v in a.items():
            if k.startswith("on"):
                bad.append(f"event handler attribute {k} on {t}")
            if k in ("src", "href", "action", "formaction", "srcset") and not (t == "link" and v == "data:,"):
                bad.append(f"{t} {k}={v!r} loads something")
    metas = [a for t, a in tags if t == "meta"]
    csp = [a["content"] for a in metas if a.get("http-equiv", "").lower() == "content-security-policy"]
    if len(csp) != 1:
        bad.append("no Content-Security-Policy meta")
    else:
        head = page[:page.index("</head>")]
        if head.index("Content-Security-Policy") > head.index("<title>"):
            bad.append("the CSP meta is not before the content")
        d = {}
        for part in csp[0].split(";"):
            w = part.split()
            if w:
                d[w[0]] = w[1:]
        if d.get("default-src") != ["'none'"]:
            bad.append(f"default-src is {d.get('default-src')}")
        if d.get("img-src") != ["data:"]:
            bad.append(f"img-src is {d.get('img-src')}")
        for name, tag in (("script-src", "script"), ("style-src", "style")):
            body = re.search(rf"<{tag}>(.*?)</{tag}>", shell, re.S).group(1)
            want = "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            if d.get(name) != [want]:
                bad.append(f"{name} is {d.get(name)}, expected [{want}]")
        for k in ("connect-src", "frame-src", "font-src", "object-src"):
            if k in d:
                bad.append(f"{k} loosens default-src")
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    json.dump(data, sys.stdout)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
