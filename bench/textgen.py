"""Prose generator for the synthetic crawl: a Zipfian vocabulary, a small grammar and topics."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass

from bench import vocab

# The vocabulary is fixed (its own seed), so corpora made with different seeds share words.
_VOCAB_SEED = 20221207
_TAIL_NOUNS = 1500


@dataclass(frozen=True, slots=True)
class Topic:
    """A news topic: its category heading, the names it uses and the phrases its stories share.

    Attributes:
        name: Category heading shown on the topic's pages, e.g. "Kalimora Coup".
        place: The country or region of the topic.
        people: Full names of the topic's main actors.
        phrases: Stock phrases (5-9 words) that stories of the topic repeat.
    """

    name: str
    place: str
    people: tuple[str, ...]
    phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Article:
    """One story: a title and its full lede, which category pages truncate into teasers.

    Attributes:
        id: Index of the article in the pool.
        topics: Topics the article is filed under; the first is its main topic.
        title: Title in Title Case, 6-14 words.
        lede: Full lede, 90-140 words separated by single spaces, canonical typography
            (curly quotes, em dash).
        date: (year, month, day) of publication.
    """

    id: int
    topics: tuple[int, ...]
    title: str
    lede: str
    date: tuple[int, int, int]


class Picker:
    """Draw words from a list with Zipf weights: rank r has weight 1 / (r + offset) ** s.

    Args:
        words: Candidates, most frequent first.
        s: Zipf exponent.
        offset: Rank offset that flattens the head of the distribution.
    """

    __slots__ = ("_cum", "_last", "_total", "_words")

    def __init__(self, words: Sequence[str], s: float = 1.0, offset: float = 4.0) -> None:
        self._words = list(words)
        cum: list[float] = []
        total = 0.0
        for rank in range(len(self._words)):
            total += 1.0 / (rank + offset) ** s
            cum.append(total)
        self._cum = cum
        self._total = total
        self._last = len(self._words) - 1

    def __call__(self, rng: random.Random) -> str:
        """Return one word drawn with the Zipf weights."""
        i = bisect.bisect_right(self._cum, rng.random() * self._total)
        return self._words[min(i, self._last)]


def make_name(rng: random.Random, syllables: tuple[int, int] = (2, 3)) -> str:
    """Return an invented capitalised proper name of 2-3 syllables."""
    n = rng.randint(*syllables)
    return "".join(rng.choice(vocab.SYLLABLES) for _ in range(n)).capitalize()


def _tail_nouns() -> list[str]:
    rng = random.Random(_VOCAB_SEED)
    seen = set(vocab.NOUNS)
    out: list[str] = []
    while len(out) < _TAIL_NOUNS:
        word = make_name(rng, (1, 2)).lower()
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


class Grammar:
    """A small phrase-structure grammar over Zipf-weighted word classes."""

    def __init__(self) -> None:
        self.det = Picker(vocab.DETERMINERS, s=1.3)
        self.prep = Picker(vocab.PREPOSITIONS, s=1.1)
        self.conj = Picker(vocab.CONJUNCTIONS)
        self.adv = Picker(vocab.ADVERBS)
        self.noun = Picker(vocab.NOUNS + _tail_nouns(), s=1.15)
        self.verb = Picker(vocab.VERBS)
        self.adj = Picker(vocab.ADJECTIVES)
        self.num = Picker(vocab.NUMBERS)

    def topic(self, rng: random.Random, taken: set[str]) -> Topic:
        """Return a new topic whose heading is not in taken (taken is updated)."""
        while True:
            place = make_name(rng)
            kind = rng.random()
            if kind < 0.5:
                name = place
            elif kind < 0.85:
                name = f"{place} {rng.choice(vocab.TOPIC_NOUNS)}"
            else:
                name = f"{rng.choice(vocab.TOPIC_NOUNS)} In {place}"
            if name not in taken:
                taken.add(name)
                break
        people = tuple(f"{make_name(rng)} {make_name(rng)}" for _ in range(3))
        g = self
        phrases = (
            f"{g.adv(rng)} {g.adj(rng)} {g.adj(rng)} {rng.choice(vocab.ROLES)} {people[0]}",
            f"the {g.adj(rng)} {g.noun(rng)} of {place} {g.prep(rng)} {g.noun(rng)}",
            f"{place}’s {g.adj(rng)} {g.noun(rng)} {g.verb(rng)} the {g.noun(rng)}",
            f"the {g.adj(rng)}-dominated {g.adj(rng)} {g.noun(rng)} of {place}",
            f"{g.num(rng)} of {g.noun(rng)} {g.prep(rng)} {place} and {g.noun(rng)}",
            f"the {g.noun(rng)} {g.verb(rng)} on {rng.choice(vocab.MONTHS)} {rng.randint(1, 28)}",
            f"{rng.choice(vocab.ROLES)} {people[1]} and the {g.adj(rng)} {g.noun(rng)}",
            f"the {g.adj(rng)} {g.noun(rng)} {g.prep(rng)} the {g.adj(rng)} {g.noun(rng)}",
        )
        return Topic(name, place, people, phrases)

    def np(self, rng: random.Random, topic: Topic) -> str:
        """Return a noun phrase, sometimes one of the topic's stock phrases."""
        r = rng.random()
        if r < 0.28:
            phrase = f"the {self.adj(rng)} {self.noun(rng)}"
        elif r < 0.42:
            phrase = f"{self.det(rng)} {self.noun(rng)}"
        elif r < 0.50:
            phrase = f"the {self.noun(rng)} of {topic.place}"
        elif r < 0.56:
            phrase = f"{topic.place}’s {self.noun(rng)}"
        elif r < 0.66:
            person = rng.choice(topic.people)
            phrase = person if rng.random() < 0.5 else f"{rng.choice(vocab.ROLES)} {person}"
        elif r < 0.73:
            phrase = f"{self.num(rng)} of {self.noun(rng)}"
        elif r < 0.85:
            head = f"{self.det(rng)} {self.adj(rng)} {self.noun(rng)}"
            phrase = f"{head} {self.prep(rng)} the {self.noun(rng)}"
        else:
            phrase = rng.choice(topic.phrases)
        return phrase

    def vp(self, rng: random.Random, topic: Topic) -> str:
        """Return a verb phrase with an object and sometimes an adverb or a prepositional phrase."""
        parts = []
        if rng.random() < 0.15:
            parts.append(self.adv(rng))
        parts.append(self.verb(rng))
        parts.append(self.np(rng, topic))
        if rng.random() < 0.5:
            parts.append(f"{self.prep(rng)} {self.np(rng, topic)}")
        return " ".join(parts)

    def sentence(self, rng: random.Random, topic: Topic) -> str:
        """Return one sentence with canonical typography (curly quotes, spaced em dash)."""
        r = rng.random()
        np, vp = self.np, self.vp
        if r < 0.38:
            s = f"{np(rng, topic)} {vp(rng, topic)}."
        elif r < 0.50:
            s = f"{self.prep(rng)} {np(rng, topic)}, {np(rng, topic)} {vp(rng, topic)}."
        elif r < 0.62:
            s = f"{np(rng, topic)}, who {vp(rng, topic)}, {vp(rng, topic)}."
        elif r < 0.72:
            s = f"{np(rng, topic)} {self.verb(rng)} that {np(rng, topic)} {vp(rng, topic)}."
        elif r < 0.80:
            who = rng.choice(topic.people)
            s = f"“{np(rng, topic)} {vp(rng, topic)},” {who} {self.verb(rng)}."
        elif r < 0.86:
            s = f"{np(rng, topic)} {vp(rng, topic)} — {np(rng, topic)} {vp(rng, topic)}."
        elif r < 0.92:
            month = rng.choice(vocab.MONTHS)
            s = (
                f"Since {month} {rng.randint(1, 28)}, {self.num(rng)} of {self.noun(rng)} have "
                f"{self.verb(rng)} {self.prep(rng)} {np(rng, topic)}."
            )
        else:
            first = f"{np(rng, topic)} {vp(rng, topic)}"
            s = f"{first}, {self.conj(rng)} {np(rng, topic)} {vp(rng, topic)}."
        if s[0] == "“":
            return "“" + s[1].upper() + s[2:]
        return s[0].upper() + s[1:]

    def title(self, rng: random.Random, topic: Topic) -> str:
        """Return a 6-14 word title in Title Case."""
        r = rng.random()
        if r < 0.3:
            text = f"{topic.place}: {self.np(rng, topic)} {self.vp(rng, topic)}"
        elif r < 0.55:
            text = f"{rng.choice(topic.people)} {self.vp(rng, topic)}"
        else:
            text = f"{self.np(rng, topic)} {self.vp(rng, topic)} {self.prep(rng)} {topic.place}"
        words = text.replace(",", "").split()
        words = words[: rng.randint(6, 14)]
        while len(words) < 6:
            words += f"{self.prep(rng)} {topic.place}".split()
        while len(words) > 6 and words[-1] in _WEAK_ENDINGS:
            words.pop()
        return " ".join(w[:1].upper() + w[1:] for w in words)

    def passage(
        self,
        rng: random.Random,
        topic: Topic,
        low: int,
        high: int,
        *,
        first: Sequence[str] = (),
        borrowed: Sequence[str] = (),
    ) -> list[str]:
        """Return sentences totalling low..high words (last one cut and closed if needed).

        Args:
            rng: Random source.
            topic: Topic whose names and phrases the sentences use.
            low: Minimum number of words.
            high: Maximum number of words.
            first: Sentences to open with (a story reusing another's opening).
            borrowed: Sentences to insert after the first one (shared background).
        """
        target = rng.randint(low, max(low, high - 20))
        sentences = list(first)
        count = sum(len(s.split()) for s in sentences)
        pending = list(borrowed)
        while count < target:
            s = pending.pop() if pending and sentences else self.sentence(rng, topic)
            sentences.append(s)
            count += len(s.split())
        if count > high:
            words = sentences[-1].split()
            keep = len(words) - (count - high)
            if keep < 3:
                sentences.pop()
            else:
                sentences[-1] = " ".join(words[:keep]).rstrip(",;:—") + "."
        return sentences


# Shorter than the shortest teaser cut (45 words), so two stories never share a whole teaser.
_MAX_SHARED_OPENING = 32
# Two stories' titles differ within this many first words. Titles are 6-14 words and the
# templates cut them at 8 or 10: two titles that agree on more of their start print the same
# cut copy (or one is a cut of the other), which no detector, nor a reader, can tell from one
# story's title cut at two lengths. Titles that share up to four first words still occur
# ("Peru: Protesters …"), the hard negatives of the title rule.
TITLE_KEY_WORDS = 5
_TITLE_TRIES = 50
_WEAK_ENDINGS = frozenset(vocab.PREPOSITIONS + vocab.DETERMINERS + vocab.CONJUNCTIONS + ["—"])


def make_articles(
    n_articles: int, topics: Sequence[Topic], rng: random.Random, grammar: Grammar
) -> list[Article]:
    """Return the article pool; stories of one topic share names, phrases and some sentences.

    About 9% of stories open with the first sentence (3%: two sentences) of an earlier story of
    the same topic, and 20% repeat one background sentence of one: different stories that
    overlap partially, the hard negatives.
    """
    topic_pick = Picker([str(i) for i in range(len(topics))], s=0.9, offset=1.5)
    by_topic: dict[int, list[list[str]]] = {}
    articles: list[Article] = []
    title_starts: set[tuple[str, ...]] = set()
    for aid in range(n_articles):
        main = int(topic_pick(rng))
        extra = (rng.randrange(len(topics)),) if rng.random() < 0.3 else ()
        tags = (main, *(t for t in extra if t != main))
        topic = topics[main]
        earlier = by_topic.setdefault(main, [])
        first: list[str] = []
        borrowed: list[str] = []
        opening = rng.random()
        if earlier and opening < 0.09:
            # A follow-up story: same opening sentence (or two), then its own text.
            first = rng.choice(earlier)[: 2 if opening < 0.03 else 1]
            while sum(len(x.split()) for x in first) > _MAX_SHARED_OPENING:
                first.pop()
        if earlier and rng.random() < 0.2:
            borrowed = [rng.choice(rng.choice(earlier))]
        sentences = grammar.passage(rng, topic, 90, 140, first=first, borrowed=borrowed)
        earlier.append(sentences)
        date = (rng.choice((2022, 2023)), rng.randint(1, 12), rng.randint(1, 28))
        title = fresh_title(rng, topic, grammar, title_starts)
        articles.append(Article(aid, tags, title, " ".join(sentences), date))
    return articles


def title_start(title: str) -> tuple[str, ...]:
    """Return the title's first TITLE_KEY_WORDS words, lower-cased: two stories never share it."""
    return tuple(title.lower().split()[:TITLE_KEY_WORDS])


def fresh_title(
    rng: random.Random, topic: Topic, grammar: Grammar, taken: set[tuple[str, ...]]
) -> str:
    """Return a title whose start no earlier story's title has, and add its start to ``taken``.

    Raises:
        RuntimeError: If the topic's phrases give no new start in _TITLE_TRIES draws.
    """
    for _ in range(_TITLE_TRIES):
        title = grammar.title(rng, topic)
        start = title_start(title)
        if start not in taken:
            taken.add(start)
            return title
    raise RuntimeError(f"no new title start for topic {topic.place!r} in {_TITLE_TRIES} draws")
