"""bench/floor.py tries the rules' regexes the way akhbar does (anchored where a rule is anchored, within
its max_words, behind its hints, head rules on the first line), so its figure is a floor under akhbar."""

from __future__ import annotations

import gzip
import json
import re

from akhbar.tasks.clean import Rule, RuleSet

from bench.floor import floor_once


class Counted:
    """A compiled pattern that records every line it is tried on, and how (match or search)."""

    def __init__(self, pattern: str):
        self.regex = re.compile(pattern)
        self.calls: list[tuple[str, str]] = []

    def match(self, line: str):
        self.calls.append(("match", line))
        return self.regex.match(line)

    def search(self, line: str):
        self.calls.append(("search", line))
        return self.regex.search(line)


def rule(rid: str, regex: Counted, **kw) -> Rule:
    return Rule(id=rid, category="test", action="drop_line", regex=regex, **kw)


def test_rules_are_tried_as_akhbar_tries_them(tmp_path):
    corpus = tmp_path / "c.jsonl.gz"
    texts = ["القاهرة (رويترز) - خبر\nاقرأ أيضا\nفقرة طويلة من عشر كلمات تروي ما حدث أمس في المدينة", "سطر"]
    raw = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts).encode()
    with gzip.open(corpus, "wb") as f:
        f.write(raw)
    anchored, scanning, head, hinted = (Counted(p) for p in ("اقرأ", "رويترز", r"\S+", "اقرأ"))
    rules = RuleSet(
        (
            rule("short.anchored", anchored, max_words=3),
            rule("any.search", scanning, search=True),
            rule("head.only", head, where="head"),
            rule("hinted", hinted, hints=("أيضا",)),
        )
    )

    _, _, records, size = floor_once(corpus, rules)

    assert (records, size) == (2, len(raw))
    # max_words 3: the 4-word first line and the 12-word paragraph are never tried; anchored: match
    assert anchored.calls == [("match", "اقرأ أيضا"), ("match", "سطر")]
    # search: true scans every line
    assert [how for how, _ in scanning.calls] == ["search"] * 4
    # where: head, on each text's first line only
    assert head.calls == [("match", "القاهرة (رويترز) - خبر"), ("match", "سطر")]
    # hints gate the regex: only the line holding "أيضا" reaches it
    assert hinted.calls == [("match", "اقرأ أيضا")]
