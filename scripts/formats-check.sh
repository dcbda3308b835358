#!/usr/bin/env bash
# Exports and feeds read back by the parsers users' tools use (PyPI):
# rispy, bibtexparser, citeproc-py and feedparser (scripts/formats_check.py),
# against a curio on a fresh SQLite database with the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import rispy, bibtexparser, citeproc, feedparser' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check rispy==0.10.0 bibtexparser==2.1.0 citeproc-py==0.11.1 feedparser==6.0.14
python3 -c 'import bibtexparser, sys; sys.exit(0 if bibtexparser.__version__.startswith("2.") else 1)' \
  || python3 -m pip install -q --disable-pip-version-check bibtexparser==2.1.0
source scripts/lib.sh
start_curio sqlite CURIO__APP__DEMO=true
python3 scripts/formats_check.py "http://127.0.0.1:$port" curator@curio.local curio-curator-demo
