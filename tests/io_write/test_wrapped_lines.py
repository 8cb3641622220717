"""The row heights of wrapped messages count lines exactly as textwrap.wrap does (the
count is computed without textwrap for plain text: words and single spaces)."""
from __future__ import annotations

import random
import textwrap

import pytest

from massbal.xlsx.write.print_setup import _plain, text_lines, wrapped_lines

WORDS = ["Oats", "lot", "L-2025-001", "2025-03-31", "co-packer", "re-count", "received", "1,250.00", "lb",
         "Shipments", "row", "17", "a", "B-12", "A-B-C", "ab-c-d", "x-1a", "Müsli", "–", "x" * 70]


@pytest.mark.parametrize("alphabet", ["abc de-f\t\n  xyz,.!'\"0123456789\u00a0é—", "ab-c d--e-f1-2 _x-y-z",
                                      "a-bc-d ef-g-h 12-ab ab-12 a_b-c-d -- ---a"])
def test_random_text_as_textwrap(alphabet):
    rng = random.Random(len(alphabet))
    for _ in range(5000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        w = rng.randint(8, 40)
        assert text_lines(s, w) == max(1, len(textwrap.wrap(s, w, break_long_words=True))), (s, w)


def test_messages_as_textwrap():
    rng = random.Random(7)
    plain = 0
    for _ in range(8000):
        s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 40)))
        w = rng.randint(8, 90)
        assert text_lines(s, w) == max(1, len(textwrap.wrap(s, w, break_long_words=True))), (s, w)
        plain += _plain(s)
    assert plain > 300   # the plain-text count is what these exercise, not only textwrap


def test_short_and_missing_values_take_one_line():
    got = wrapped_lines(["short", None, 3.5, "word " * 40], 10)
    assert list(got[:3]) == [1, 1, 1] and got[3] == len(textwrap.wrap("word " * 40, 13))


def test_letter_hyphen_holds_wherever_the_hyphen_rule_matches():
    """_letter_hyphen (a cheap check before _HYPHEN's search) is true for every text
    _HYPHEN matches, with letters, digits and marks of other scripts around the hyphens."""
    from massbal.xlsx.write.print_setup import _HYPHEN, _letter_hyphen
    rng = random.Random(11)
    alphabet = ["a", "Z", "_", "1", "-", "-", "-", " ", "é", "²", "\u0663", "Ж", "\u0301", "x"]
    matched = 0
    for _ in range(60000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        if _HYPHEN.search(s):
            matched += 1
            assert _letter_hyphen(s), s
    assert matched > 1000


@pytest.mark.parametrize("dtype", [None, "string", "string[pyarrow]"])
def test_whole_column_as_each_text(dtype):
    """wrapped_lines fills plain ASCII texts all at once and sends the rest to text_lines: every
    count as textwrap gives it, whatever the text (odd spaces, hyphens, other scripts,
    words longer than a line, missing values)."""
    import pandas as pd
    rng = random.Random(3)
    odd = ["", " ", "  ", "\t", "\u00a0", "a-b", "--", "Ж", "é", "x" * 90, "_-x", "\x1f"]
    texts = []
    for _ in range(6000):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.3:
            words.insert(rng.randint(0, len(words)), rng.choice(odd))
        texts.append(" ".join(words) if rng.random() < 0.95 else None)
    for width in (6, 20, 60):
        chars = max(int(width * 1.3), 8)
        want = [1 if t is None or len(t) <= chars else max(1, len(textwrap.wrap(t, chars, break_long_words=True)))
                for t in texts]
        vals = texts if dtype is None else pd.Series(texts, dtype=dtype)
        assert wrapped_lines(vals, width).tolist() == want
