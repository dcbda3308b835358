"""Reads what Curio publishes with the parsers its users' tools use:
exports with rispy (RIS), bibtexparser (BibTeX), citeproc-py (CSL-JSON,
rendered in a citation style) and Python's csv module; the Atom feed
with feedparser (no bozo flag), the JSON Feed against the fields its
specification requires (feedparser does not read it). Every field of every
article must come back, non-ASCII text and TeX's special characters
included.

Usage: formats_check.py BASE_URL EMAIL PASSWORD (a curator of the demo
organization).
"""

import csv
import io
import json
import sys
import urllib.error
import urllib.request

import bibtexparser
import bibtexparser.middlewares as bm
import feedparser
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

RIS = """TY  - JOUR
TI  - Étude of α-synuclein in Zürich: 50% & {more}_now
AU  - Müller, Jörg
AU  - Ødegård, Åse
PY  - 2024
JO  - Revue d'Épidémiologie
AB  - Patients (n = 120) got 5 mg/kg ~ daily; 16 % responded.
DO  - 10.1000/etude.1
ER  - 

TY  - JOUR
TI  - Soil bacteria of alpine meadows
AU  - Rossi, Luca
PY  - 2022
JO  - Microbiome
DO  - 10.1000/soil.2
ER  - 
"""

EXPECTED = {
    "10.1000/etude.1": {
        "title": "Étude of α-synuclein in Zürich: 50% & {more}_now",
        "authors": ["Müller, Jörg", "Ødegård, Åse"],
        "journal": "Revue d'Épidémiologie",
        "year": "2024",
        "abstract": "Patients (n = 120) got 5 mg/kg ~ daily; 16 % responded.",
    },
    "10.1000/soil.2": {
        "title": "Soil bacteria of alpine meadows",
        "authors": ["Rossi, Luca"],
        "journal": "Microbiome",
        "year": "2022",
        "abstract": None,
    },
}


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.token = None

    def call(self, method, path, body=None, raw=None, content_type="application/json", auth=True):
        data = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if auth and self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8")

    def json(self, method, path, body=None, **kw):
        status, _, text = self.call(method, path, body, **kw)
        assert 200 <= status < 300, (status, text)
        return json.loads(text) if text else None


def check_ris(text, expected):
    entries = rispy.loads(text)
    assert len(entries) == len(expected), entries
    by_doi = {e["doi"]: e for e in entries}
    for doi, want in expected.items():
        got = by_doi[doi]
        assert got["title"] == want["title"], got
        assert got["authors"] == want["authors"], got
        assert got["journal_name"] == want["journal"], got
        assert got["year"] == want["year"], got
        assert got.get("abstract") == want["abstract"], got
        assert got["custom3"] in ("new", "included", "excluded"), got
    return entries


def check_bibtex(text, expected):
    library = bibtexparser.parse_string(
        text,
        append_middleware=[bm.LatexDecodingMiddleware(), bm.SeparateCoAuthors(), bm.SplitNameParts()],
    )
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert len(library.entries) == len(expected), library.entries
    keys = [e.key for e in library.entries]
    assert len(set(keys)) == len(keys), keys
    by_doi = {e["doi"]: e for e in library.entries}
    for doi, want in expected.items():
        got = by_doi[doi]
        assert got["title"] == want["title"], (got["title"], want["title"])
        names = [", ".join(filter(None, [" ".join(n.last), " ".join(n.first)])) for n in got["author"]]
        assert names == want["authors"], names
        assert got["journal"] == want["journal"], got["journal"]
        assert got["year"] == want["year"], got["year"]
        if want["abstract"]:
            assert got["abstract"] == want["abstract"], got["abstract"]


def check_csl(text, expected):
    items = json.loads(text)
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(expected), rendered
    for want in expected.values():
        family = want["authors"][0].split(",")[0]
        assert any(want["title"] in r and family in r and want["year"] in r for r in rendered), (want, rendered)


def check_csv(text, expected):
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(expected), rows
    by_doi = {r["doi"]: r for r in rows}
    for doi, want in expected.items():
        got = by_doi[doi]
        assert got["title"] == want["title"], got
        assert got["authors"] == "; ".join(want["authors"]), got
        assert got["year"] == want["year"], got


def check_feed(text, content_type, titles):
    parsed = feedparser.parse(text, response_headers={"content-type": content_type})
    assert not parsed.bozo, parsed.bozo_exception
    assert [e.title for e in parsed.entries] == titles, [e.title for e in parsed.entries]
    for e in parsed.entries:
        assert e.id and e.link and e.updated_parsed, e
        assert e.content[0].value, e
    return parsed


def main(base_url, email, password):
    api = Api(base_url)
    api.token = api.json("POST", "/api/v1/auth/login", {"email": email, "password": password}, auth=False)["access_token"]

    # A pool with non-ASCII text and TeX's special characters, exported in
    # every format and read back by each format's own parser.
    stream = api.json("POST", "/api/v1/streams", {
        "stream_name": "Formats check", "purpose": "Read exports back.", "scope": "organization"})["id"]
    outcome = api.json("POST", f"/api/v1/streams/{stream}/imports?format=ris", raw=RIS, content_type="text/plain")
    assert outcome["imported"] == 2, outcome
    exported = {}
    for fmt in ["ris", "bibtex", "csljson", "csv"]:
        status, headers, text = api.call("GET", f"/api/v1/streams/{stream}/candidates/export?format={fmt}")
        assert status == 200 and "attachment" in headers["Content-Disposition"], (status, headers)
        exported[fmt] = text
    check_ris(exported["ris"], EXPECTED)
    check_bibtex(exported["bibtex"], EXPECTED)
    check_csl(exported["csljson"], EXPECTED)
    check_csv(exported["csv"], EXPECTED)
    print("pool exports: rispy, bibtexparser, citeproc-py and csv read every field back")

    # The demo's approved report, exported and in its stream's feeds.
    reports = api.json("GET", "/api/v1/reports?approval_status=approved")["data"]
    assert reports, "the demo data has an approved report"
    report = api.json("GET", f"/api/v1/reports/{reports[0]['id']}")
    articles = report["articles"]
    for fmt in ["ris", "bibtex", "csljson", "csv"]:
        status, _, text = api.call("GET", f"/api/v1/reports/{report['id']}/export?format={fmt}")
        assert status == 200, status
        if fmt == "ris":
            entries = rispy.loads(text)
            assert [e["title"] for e in entries] == [a["title"] for a in articles], entries
        elif fmt == "bibtex":
            library = bibtexparser.parse_string(text, append_middleware=[bm.LatexDecodingMiddleware()])
            assert not library.failed_blocks and len(library.entries) == len(articles)
        elif fmt == "csljson":
            items = json.loads(text)
            CiteProcJSON(items)
            assert [i["title"] for i in items] == [a["title"] for a in articles]
        else:
            assert len(list(csv.DictReader(io.StringIO(text)))) == len(articles)
    print(f"report {report['id']}: {len(articles)} articles in every export format")

    stream_id = report["stream_id"]
    titles = [r_["report_name"] for r_ in reports if r_["stream_id"] == stream_id]
    token = api.json("POST", f"/api/v1/streams/{stream_id}/feed-tokens")
    with urllib.request.urlopen(token["atom_url"], timeout=30) as r:
        etag = r.headers["ETag"]
        parsed = check_feed(r.read().decode("utf-8"), r.headers["Content-Type"], titles)
    req = urllib.request.Request(token["atom_url"], headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304, e.code
    print(f"Atom: feedparser reads {len(parsed.entries)} entries, no bozo; 304 on its ETag")
    # feedparser does not read JSON Feed (the Rust tests read it with
    # feed-rs); here, the fields JSON Feed 1.1 requires.
    with urllib.request.urlopen(token["json_url"], timeout=30) as r:
        assert r.headers["Content-Type"].startswith("application/feed+json"), r.headers["Content-Type"]
        doc = json.loads(r.read().decode("utf-8"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["title"], doc
    assert [i["title"] for i in doc["items"]] == titles, doc["items"]
    assert all(i["id"] and (i.get("content_html") or i.get("content_text")) for i in doc["items"]), doc["items"]
    print(f"JSON Feed: version 1.1, {len(doc['items'])} items with ids and content")


if __name__ == "__main__":
    main(*sys.argv[1:4])
