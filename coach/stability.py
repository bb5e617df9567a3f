"""The stability rule for partial transcripts (LocalAgreement-2, after ufal/whisper_streaming).

Each partial hypothesis re-transcribes the whole utterance so far. A token is *committed* once two
consecutive hypotheses agree on it and on everything before it. Invariant: committed text only
grows within an utterance's partials — listeners may act on it (show a card) without it being
taken back. The final utterance is decoded afresh from all of its audio and supersedes the
partials: forcing it to begin with the committed prefix was measured to copy the partials' errors
(decoded from audio cut mid-word) into the final text.

Tokens are words for space-delimited languages and characters for Chinese; punctuation and case do
not count when comparing, so "Okay," and "okay" agree.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def tokenize(text: str) -> list[str]:
    """Split into comparable tokens: one per CJK character, one per other whitespace word."""
    return _TOKEN.findall(text)


def _key(token: str) -> str:
    kept = "".join(c for c in token if not unicodedata.category(c).startswith(("P", "S")))
    return kept.casefold()


def join(tokens: list[str]) -> str:
    """Re-assemble tokens: no space around CJK characters or before punctuation."""
    out = ""
    for tok in tokens:
        if out and not (_is_cjk(out[-1]) or _is_cjk(tok[0]) or _is_punct(tok[0])):
            out += " "
        out += tok
    return out


def _is_cjk(ch: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", ch))


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if _key(x) != _key(y):
            break
        n += 1
    return n


class HypothesisBuffer:
    """Commits the agreed prefix of consecutive hypotheses of one utterance."""

    def __init__(self) -> None:
        self.committed: list[str] = []
        self._previous: list[str] | None = None

    def update(self, hypothesis: str) -> tuple[str, str]:
        """Feed a new hypothesis; return ``(stable, full)`` texts for a partial event."""
        tokens = tokenize(hypothesis)
        agrees = _common_prefix(self.committed, tokens) == len(self.committed)
        if agrees and self._previous is not None:
            agreed = _common_prefix(self._previous, tokens)
            if agreed > len(self.committed):  # extend; what is committed is never rewritten,
                self.committed += tokens[len(self.committed) : agreed]  # not even its commas
        self._previous = tokens
        tail = tokens[len(self.committed) :] if agrees else []
        return join(self.committed), join(self.committed + tail)
