"""Clauses of a long reply, for matching an excuse said in passing.

A debtor who rambles ("hi, yes, this is Dana — look, I got laid off in March and it's been a
mess, so what are my options?") says the excuse in one clause; the whole reply's vector sits far
from every short example. The matcher may read such a reply clause by clause
(``MatcherConfig.clause_min_prob``); this module says which pieces to read:

- the reply is cut at punctuation (a recogniser's commas and full stops); an unpunctuated
  transcript is cut into short windows instead;
- the pieces are read alone and in adjacent pairs (an excuse often spans two: "我上个月被裁了,
  一直没找到工作");
- only what follows the last contrast ("but", "不过", "now", "现在") is read: "I lost my job last
  year, but I'm working again" has resolved its excuse, and the clause before the "but" must not
  speak. "now / 现在" is blunt (it also cuts "I lost my job, now I can't find work" short), kept
  because a resolved excuse so often turns on it ("我去年失业过,现在已经上班了").
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")
# sentence and clause punctuation, full- and half-width; a dot between digits is a decimal point
_PUNCT = re.compile(r"[,，。!！?？;；:：、…]+|(?<!\d)\.(?!\d)|\s+-+\s+")
_CONTRAST = re.compile(
    # 但 alone is "but", not inside 不但 ("not only") or 但愿 ("if only")
    r"\b(?:but|however|though|anyway|anyways|now)\b|但是|不过|可是|然而|只是|(?<!不)但(?!愿)|现在",
    re.I,
)
_WINDOW = {"zh": 8, "en": 5}  # characters / words per piece when there is no punctuation
_MIN_SIZE = {"zh": 6, "en": 4}  # a shorter clause says too little to carry an excuse
MAX_CLAUSES = 16  # the cost bound: each clause is one more embedding


def size(text: str, lang: str) -> int:
    """Chinese characters for zh, words for en: how long a reply is."""
    return len(_CJK.findall(text)) if lang == "zh" else len(text.split())


def after_last_contrast(text: str) -> str:
    last = None
    for last in _CONTRAST.finditer(text):  # noqa: B007 - the last match is the one wanted
        pass
    return text[last.end() :] if last else text


def _pieces(text: str, lang: str) -> tuple[list[str], str]:
    """The pieces of ``text``, and how two adjacent ones are joined again."""
    pieces = [p.strip() for p in _PUNCT.split(text) if p.strip()]
    if len(pieces) > 1:
        return pieces, "，" if lang == "zh" else ", "
    step = _WINDOW[lang]
    if lang == "zh":
        flat = text.replace(" ", "")
        return [flat[i : i + step] for i in range(0, len(flat), step)], ""
    words = text.split()
    return [" ".join(words[i : i + step]) for i in range(0, len(words), step)], " "


def clauses(text: str, lang: str) -> list[str]:
    """The clauses of ``text`` worth matching alone (module docstring), at most MAX_CLAUSES,
    the latest first when there are more: a reply tends to end on its point."""
    pieces, joiner = _pieces(after_last_contrast(text), lang)
    out: list[str] = []
    for i in range(len(pieces) - 1, -1, -1):
        for n in (1, 2):
            if i + n <= len(pieces):
                clause = joiner.join(pieces[i : i + n])
                if size(clause, lang) >= _MIN_SIZE[lang] and clause != text and clause not in out:
                    out.append(clause)
    return out[:MAX_CLAUSES]
