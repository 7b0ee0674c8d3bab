"""``forms.parse_submission`` on a corpus: pinned results, and the same answers as the old parser.

``fixtures/submission_golden.json`` holds one short SHA-256 per corpus document over the repr of
everything ``parse_submission`` returns (form id, version, ids, instance name, entity, attachments,
record — key order, int/float and tuple/list included) or over the error message it raises. It was
written with the defusedxml-based parser (commit a66a023), before the lxml rewrite; the rewrite
changed two entries, ``edge/gbk`` and ``bad/unknown-encoding``, where the old parser crashed
(ValueError / LookupError from expat) and the new one raises SubmissionParseError; issue #12 then
changed ``edge/gbk`` again: a GBK/GB2312/GB18030-declared instance is parsed. Regenerate only
for an intended behaviour change: ``.venv/bin/python tests/forms/test_submission_corpus.py --write``.

The differential test parses the corpus and a few thousand more random mutants with both the
current parser and the frozen old one (tests/forms/legacy_submission.py) and requires identical
outcomes; where the old parser crashed (an exception other than SubmissionParseError) the new one
must refuse the document with SubmissionParseError — except a document declaring a Chinese encoding
expat cannot read, which the new one parses exactly as the old one parses its UTF-8 transcoding. One
intended change is applied to the old parser's results before comparing: a lowercase x in an ID number
is stored as X (issue 18).
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from forms import SubmissionParseError, parse_submission  # noqa: E402
from tests.forms import legacy_submission, submission_corpus  # noqa: E402

FIXTURE = Path(__file__).with_name("fixtures") / "submission_golden.json"


def outcome(parse, data: bytes) -> str:
    try:
        p = parse(data)
    except SubmissionParseError as exc:
        return f"error: {exc}"
    except Exception as exc:  # noqa: BLE001 — recorded, and compared below
        return f"crash: {type(exc).__name__}"
    return repr((p.form_id, p.form_version, p.instance_id, p.deprecated_id, p.instance_name, p.entity,
                 p.attachments, p.record))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _golden_digests() -> dict[str, str]:
    return {label: _digest(outcome(parse_submission, data)) for label, data in submission_corpus.corpus()}


def test_corpus_matches_golden_digest():
    golden = json.loads(FIXTURE.read_text(encoding="utf-8"))["digests"]
    got = _golden_digests()
    assert list(got) == list(golden), "the corpus itself changed (labels differ): regenerate deliberately"
    changed = [label for label in got if got[label] != golden[label]]
    assert not changed, f"{len(changed)} documents parse differently, first: {changed[:10]}"


def test_corpus_covers_what_it_should():
    outcomes = [outcome(parse_submission, data) for _, data in submission_corpus.corpus()]
    ok = [o for o in outcomes if not o.startswith(("error:", "crash:"))]
    assert len(ok) > 1000
    assert not [o for o in outcomes if o.startswith("crash:")]
    for fragment in ("unsafe XML refused", "not well-formed", "nests deeper", "is not a code of list",
                     "expected a value of type int", "expected a value of type geo", "bare file name",
                     "meta/instanceID is missing", "a repeat field appears outside", "more than 5 risks"):
        assert any(fragment in o for o in outcomes), fragment


_GB_DECLARATION = re.compile(rb'^\s*<\?xml[^>]*encoding=["\'](gbk|gb2312|gb18030|cp936)["\']', re.I)


def _as_utf8(data: bytes) -> bytes | None:
    """The UTF-8 transcoding of a document declaring a Chinese encoding (None otherwise / undecodable)."""
    match = _GB_DECLARATION.match(data)
    if match is None:
        return None
    try:
        text = data.decode(match.group(1).decode().lower())
    except UnicodeDecodeError:
        return None
    return text.replace(match.group(1).decode(), "UTF-8", 1).encode("utf-8")


def _legacy_parse(data: bytes):
    """The old parser plus the one intended change since (issue 18): an ID number's lowercase x is
    stored as X (head_id_number, members[].id_number, authorization.proxy_id_number)."""
    parsed = legacy_submission.parse_submission(data)
    rec = parsed.record

    def upper(holder, key):
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            holder[key] = holder[key].replace("x", "X")
    upper(rec, "head_id_number")
    upper(rec.get("authorization"), "proxy_id_number")
    for member in rec.get("members") or ():
        upper(member, "id_number")
    return parsed


def _compare(docs: list[tuple[str, bytes]]) -> list[str]:
    bad = []
    for label, data in docs:
        old = outcome(_legacy_parse, data)
        new = outcome(parse_submission, data)
        utf8 = _as_utf8(data) if old.startswith("crash:") else None
        if utf8 is not None and not new.startswith("error:"):
            old = outcome(_legacy_parse, utf8)
            if old != new:
                bad.append(f"{label}: Chinese encoding\n  old (UTF-8) {old[:300]}\n  new {new[:300]}")
        elif old.startswith("crash:"):
            if not new.startswith("error:"):
                bad.append(f"{label}: old {old}, new {new[:200]}")
        elif old != new:
            bad.append(f"{label}:\n  old {old[:300]}\n  new {new[:300]}")
    return bad


def test_same_outcomes_as_the_old_parser_on_the_corpus():
    bad = _compare(submission_corpus.corpus())
    assert not bad, f"{len(bad)} differ:\n" + "\n".join(bad[:5])


def test_same_outcomes_as_the_old_parser_on_random_mutants():
    base = (submission_corpus.households(30, seed=5) + submission_corpus.other_forms(6, seed=6)
            + submission_corpus.fixtures() + submission_corpus.edge_cases())
    docs = submission_corpus.mutants(base, 2500, seed=7)
    assert len(docs) > 2000
    bad = _compare(docs)
    assert not bad, f"{len(bad)} differ:\n" + "\n".join(bad[:5])


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps({"written_with": "forms.parse_submission", "digests": _golden_digests()},
                                  indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
