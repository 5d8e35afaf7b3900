"""Words for the relevance model: splitting, English stop words, light stemming.

Pure and dependency-free. The stemmer is deliberately light: it folds the
inflections that split one topic across several terms (plurals, -ing, -ed,
-ly) and leaves derivations alone, which measured better on 20 Newsgroups
than no stemming (measured with bench/related_byline.py).
"""

import re
import unicodedata
from functools import lru_cache

# Letters and digits of any script; underscores, apostrophes and punctuation
# split words, so "don't" gives "don" and "t", both dropped below.
_WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# Porter's "measure > 0": a vowel followed by a consonant somewhere in the stem.
_VOWEL_CONSONANT = re.compile(r"[aeiouy][^aeiouy]")
_MIN_LENGTH = 2

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "almost",
        "also",
        "although",
        "always",
        "am",
        "among",
        "an",
        "and",
        "another",
        "any",
        "anybody",
        "anyone",
        "anything",
        "anyway",
        "anywhere",
        "are",
        "aren",
        "around",
        "as",
        "at",
        "be",
        "became",
        "because",
        "become",
        "becomes",
        "been",
        "before",
        "behind",
        "being",
        "below",
        "beside",
        "besides",
        "between",
        "beyond",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "done",
        "down",
        "during",
        "each",
        "either",
        "else",
        "elsewhere",
        "enough",
        "etc",
        "even",
        "ever",
        "every",
        "everybody",
        "everyone",
        "everything",
        "everywhere",
        "except",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "go",
        "goes",
        "going",
        "gone",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "ie",
        "if",
        "in",
        "indeed",
        "instead",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "let",
        "like",
        "ll",
        "many",
        "may",
        "maybe",
        "me",
        "might",
        "mine",
        "more",
        "most",
        "mostly",
        "much",
        "must",
        "mustn",
        "my",
        "myself",
        "neither",
        "never",
        "nevertheless",
        "no",
        "nobody",
        "none",
        "nor",
        "not",
        "nothing",
        "now",
        "nowhere",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "ones",
        "only",
        "onto",
        "or",
        "other",
        "others",
        "otherwise",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "perhaps",
        "please",
        "quite",
        "rather",
        "re",
        "really",
        "said",
        "same",
        "say",
        "says",
        "see",
        "seem",
        "seemed",
        "seeming",
        "seems",
        "shall",
        "shan",
        "she",
        "should",
        "shouldn",
        "since",
        "so",
        "some",
        "somebody",
        "someone",
        "something",
        "sometime",
        "sometimes",
        "somewhere",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "thereby",
        "therefore",
        "these",
        "they",
        "thing",
        "things",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "together",
        "too",
        "toward",
        "towards",
        "under",
        "unless",
        "until",
        "up",
        "upon",
        "us",
        "use",
        "used",
        "using",
        "ve",
        "very",
        "via",
        "was",
        "wasn",
        "we",
        "well",
        "were",
        "weren",
        "what",
        "whatever",
        "when",
        "whenever",
        "where",
        "whereas",
        "wherever",
        "whether",
        "which",
        "while",
        "who",
        "whoever",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won",
        "would",
        "wouldn",
        "yes",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


def tokenize(text: str) -> list[str]:
    """Return the stemmed content words of ``text`` in order.

    Lowercases (case-folds) any script, drops URLs and HTML tags found in
    Markdown sources, stop words, one-letter words and bare numbers.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _HTML_TAG.sub(" ", _URL.sub(" ", text)).casefold()
    words: list[str] = []
    for word in _WORD.findall(text):
        if len(word) < _MIN_LENGTH or word.isdigit() or word in STOP_WORDS:
            continue
        words.append(stem(word))
    return words


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Fold common English inflections: ``"queries"`` -> ``"query"``."""
    if len(word) <= 3 or not word.isascii():
        return word
    word = _strip_plural(word)
    for suffix, shortest in (("ingly", 3), ("edly", 3), ("ing", 3), ("ed", 3), ("ly", 5)):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= shortest and _VOWEL_CONSONANT.search(base):
                word = _undouble(base)
            break
    # A final "e" goes too, so that "hope" and "hoping" meet at "hop".
    if len(word) > 3 and word.endswith("e") and _VOWEL_CONSONANT.search(word[:-1]):
        word = word[:-1]
    return word


def _strip_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(base: str) -> str:
    # "running" -> "runn" -> "run"; keep "ll", "ss" and "zz" ("falling" -> "fall").
    if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
        return base[:-1]
    return base
