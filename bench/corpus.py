"""Synthetic crawl of news category pages with a ground-truth blurb label per paragraph."""

from __future__ import annotations

import argparse
import json
import math
import random
import string
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench import vocab
from bench.paragraphs import split_paragraphs
from bench.sites import SITES, TEMPLATES, Site, Template, format_date, set_case, typeset
from bench.textgen import Article, Grammar, Picker, Topic, make_articles

# split_paragraphs lives in bench.paragraphs (the anchor scripts import it without the
# generator) and is re-exported here for the callers that read crawls.
__all__ = ["KINDS", "Page", "default_path", "generate", "read_jsonl", "split_paragraphs"]
__all__ += ["write_jsonl"]

KINDS = ("title", "teaser", "boiler", "spam", "heading", "unique")
# How a title's copy may differ from the plain title: cut at another length, in capitals,
# with the site's name around it, with one or two typos.
TITLE_VARIANTS = ("cut", "caps", "site", "typo")
DATA_DIR = Path(__file__).resolve().parent / "data"
# Raised whenever the same seed makes a different crawl, so that the crawls cached in DATA_DIR
# by an older generator are not read as this one's. 2: two stories' titles part within five
# words (bench.textgen.TITLE_KEY_WORDS).
GENERATOR_VERSION = 2

# Per-instance rates: the brief's "realistic frequencies" (about one teaser in ten each).
TYPO_RATE = 0.10
TITLE_TYPO_RATE = 0.05  # titles are proofread more than teasers; one or two typos
DATE_RATE = 0.10
SPAM_RATE = 0.35  # pages with a spam line; half of them glued to a teaser by one newline
SPLIT_RATE = 0.3  # multi-part appeal paragraph shown as one paragraph per part
INTRO_RATE = 0.25  # pages with a unique introduction paragraph under the heading
IN_TOPIC_SHARE = 0.85  # share of a category page's stories filed under its topic


@dataclass(frozen=True, slots=True)
class Page:
    """One crawled page and the truth about each of its paragraphs.

    Attributes:
        id: Page id, "template/category/page-n".
        text: Page text; paragraphs are separated by blank lines.
        labels: One label per paragraph of split_paragraphs(text): paragraphs with the same
            non-null label are the same blurb; null marks a paragraph seen once.
        kind: One of KINDS per paragraph.
        variants: Per paragraph, how a title differs from the story's plain title: "+"-joined
            tags out of TITLE_VARIANTS ("cut+caps"), or "" (every other paragraph too).
    """

    id: str
    text: str
    labels: list[str | None]
    kind: list[str]
    variants: list[str]

    def to_json(self) -> str:
        """Return the page as one JSON line (no trailing newline)."""
        record = {
            "id": self.id,
            "text": self.text,
            "labels": self.labels,
            "kind": self.kind,
            "variants": self.variants,
        }
        return json.dumps(record, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Page:
        """Return the page encoded in one JSON line (a crawl made before variants has none)."""
        record = json.loads(line)
        variants = record.get("variants") or [""] * len(record["labels"])
        return cls(record["id"], record["text"], record["labels"], record["kind"], variants)


@dataclass(slots=True)
class _World:
    rng: random.Random
    grammar: Grammar
    topics: list[Topic]
    articles: list[Article]
    choice_p: list[npt.NDArray[np.float64]]  # per topic: probability of each article
    stats: Counter[str]
    one_site: bool = False  # every template is one site's, and its boilerplate is on every page


def _story_weights(
    articles: Sequence[Article], n_topics: int, rng: random.Random
) -> list[npt.NDArray[np.float64]]:
    # Popularity is Zipf over a random ranking, so a few stories are on hundreds of pages.
    ranks = list(range(len(articles)))
    rng.shuffle(ranks)
    pop = 1.0 / (np.asarray(ranks, dtype=np.float64) + 3.0) ** 0.95
    out = []
    for t in range(n_topics):
        member = np.asarray([t in a.topics for a in articles])
        w_in, w_out = pop[member].sum(), pop[~member].sum()
        boost = IN_TOPIC_SHARE * w_out / ((1 - IN_TOPIC_SHARE) * w_in) if w_in and w_out else 1.0
        p = np.where(member, pop * boost, pop)
        out.append(p / p.sum())
    return out


def _typos(text: str, rng: random.Random, count: int) -> str:
    words = text.split(" ")
    eligible = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.sample(eligible, min(count, len(eligible))):
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        op = rng.randrange(3)
        if op == 0 and w[j] != w[j + 1]:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap two letters
        elif op == 1:
            w = w[:j] + w[j + 1 :]  # drop a letter
        else:
            w = w[:j] + rng.choice(string.ascii_lowercase.replace(w[j], "")) + w[j + 1 :]
        words[i] = w
    return " ".join(words)


def _teaser(world: _World, article: Article, template: Template) -> str:
    words = article.lede.split(" ")
    if len(words) > template.teaser_words:
        cut = " ".join(words[: template.teaser_words]).rstrip(" ,;:—")
        text = typeset(cut, template) + template.ellipsis
        world.stats["truncated"] += 1
    else:
        text = typeset(article.lede, template)
    rng = world.rng
    if rng.random() < DATE_RATE:
        text = f"{format_date(article.date, template)} {typeset('—', template)} {text}"
        world.stats["date_prefix"] += 1
    if rng.random() < TYPO_RATE:
        text = _typos(text, rng, rng.randint(1, 3))
        world.stats["typo"] += 1
    return text


def _title(world: _World, article: Article, template: Template) -> tuple[str, str]:
    """Return a story's title as the template shows it, and its "+"-joined variant tags."""
    tags = []
    words = article.title.split(" ")
    if 0 < template.title_words < len(words):
        words = words[: template.title_words]
        tags.append("cut")
        world.stats["title_cut"] += 1
    text = set_case(" ".join(words), template)
    if template.title_case == "upper":
        tags.append("caps")
    typo = world.rng.random() < TITLE_TYPO_RATE
    if typo:  # in the title, not in the site's name the template adds
        text = _typos(text, world.rng, world.rng.randint(1, 2))
        world.stats["title_typo"] += 1
    if template.title_site:
        text = template.title_site.format(title=text, site=_site(world, template).name)
        tags.append("site")
        world.stats["title_site"] += 1
    if typo:
        tags.append("typo")
    return typeset(text, template), "+".join(tags)


def _appeal(
    site: Site, template: Template, rng: random.Random, stats: Counter[str]
) -> list[tuple[str, str | None, str]]:
    out: list[tuple[str, str | None, str]] = []
    n = len(site.appeal) - (rng.random() < 0.5)  # the last paragraph is optional
    for i, parts in enumerate(site.appeal[:n]):
        label = f"boiler:{site.key}-appeal-{i}"
        if len(parts) > 1 and rng.random() < SPLIT_RATE:
            # A part is not the same blurb as the whole paragraph: each gets its own label.
            out += [(typeset(p, template), f"{label}.{j}", "boiler") for j, p in enumerate(parts)]
            stats["split_appeal"] += 1
        else:
            out.append((typeset(" ".join(parts), template), label, "boiler"))
    return out


def _site(world: _World, template: Template) -> Site:
    """Return the site whose boilerplate and name a page of this template shows."""
    return SITES[0 if world.one_site else template.site]


def _page(world: _World, template: Template, topic_id: int) -> list[tuple[str, str | None, str]]:
    rng, stats = world.rng, world.stats
    site, topic = _site(world, template), world.topics[topic_id]
    always = world.one_site  # a real site prints its boilerplate on every page
    paras: list[tuple[str, str | None, str]] = []
    if always or rng.random() < 0.97:
        # Two sites print the same "Skip to content": the label follows the text, not the site.
        paras.append((site.skip, f"boiler:{site.skip.lower().replace(' ', '-')}", "boiler"))
    heading = topic.name.upper() if template.title_case == "upper" else topic.name
    paras.append((heading, f"heading:{topic_id}", "heading"))
    if rng.random() < INTRO_RATE:
        intro = " ".join(world.grammar.passage(rng, topic, 20, 60))
        paras.append((typeset(intro, template), None, "unique"))
    k = min(template.stories, len(world.articles))
    seed = rng.getrandbits(64)
    picked = np.random.default_rng(seed).choice(
        len(world.articles), size=k, replace=False, p=world.choice_p[topic_id]
    )
    stories = sorted((world.articles[int(i)] for i in picked), key=lambda a: (a.date, a.id))
    for article in reversed(stories):  # newest first, as category pages list them
        title, variants = _title(world, article, template)
        # The kind carries the title's variants until generate() splits them off.
        paras.append((title, f"title:{article.id}", f"title:{variants}"))
        paras.append((_teaser(world, article, template), f"teaser:{article.id}", "teaser"))
    if rng.random() < SPAM_RATE:
        n = int(min(len(vocab.SPAM_LINES) - 1, rng.expovariate(0.4)))
        spam = vocab.SPAM_LINES[n]
        last_teaser = len(paras) - 1
        if rng.random() < 0.5:
            # Glued to a teaser by a single newline: the paragraph is still that teaser.
            i = last_teaser if rng.random() < 0.6 else last_teaser - 2 * rng.randrange(k)
            text, label, kind = paras[i]
            paras[i] = (f"{text}\n{spam}", label, kind)
            stats["glued_spam"] += 1
        else:
            paras.insert(last_teaser + 1 - 2 * rng.randrange(k), (spam, f"spam:{n}", "spam"))
            stats["spam"] += 1
    copies = 0 if rng.random() >= 0.92 and not always else 2 if rng.random() < 0.2 else 1
    for _ in range(copies):  # some pages show the appeal twice, split differently
        paras += _appeal(site, template, rng, stats)
    if always or rng.random() < 0.9:
        label = f"boiler:{site.key}-signup"
        paras.append((typeset(site.signup[0], template), f"{label}-0", "boiler"))
        paras.append((typeset(site.signup[1], template), f"{label}-1", "boiler"))
    paras.append((typeset(site.footer, template), f"boiler:{site.key}-footer", "boiler"))
    return paras


def _join(paras: Sequence[tuple[str, str | None, str]], rng: random.Random) -> str:
    chunks = []
    for text, _, _ in paras:
        r = rng.random()
        # Whitespace-only lines and runs of blank lines must split exactly like "\n\n".
        gap = "\n\n" if r < 0.94 else ("\n \n" if r < 0.97 else "\n\n\n")
        chunks += [text, gap]
    return "".join(chunks[:-1]) + "\n"


def generate(
    pages: int, seed: int, stats: Counter[str] | None = None, sites: int = 3
) -> list[Page]:
    """Return a deterministic synthetic crawl of category pages with blurb labels.

    Args:
        pages: Number of pages.
        seed: Random seed; the same (pages, seed, sites) always gives the same crawl.
        stats: If given, counts of the phenomena planted ("truncated", "typo",
            "date_prefix", "glued_spam", "spam", "split_appeal", "title_cut", "title_site",
            "title_typo") are added to it.
        sites: 3 (the default) spreads the pages over three sites whose boilerplate shows on
            most pages; 1 renders every template on one site, whose skip link, appeal,
            sign-up box and footer are on every page, as a real site's are.

    Returns:
        The pages, in crawl order.
    """
    if sites not in (1, len(SITES)):
        raise ValueError(f"sites={sites}: the generator knows 1 or {len(SITES)} sites")
    rng = random.Random(seed)
    grammar = Grammar()
    n_articles = max(40, round(pages * 0.6))
    n_topics = max(4, round(math.sqrt(n_articles) / 2))
    taken: set[str] = set()
    topics = [grammar.topic(rng, taken) for _ in range(n_topics)]
    articles = make_articles(n_articles, topics, rng, grammar)
    world = _World(
        rng, grammar, topics, articles, _story_weights(articles, n_topics, rng), Counter()
    )
    world.one_site = sites == 1
    topic_pick = Picker([str(i) for i in range(n_topics)], s=0.9, offset=1.5)
    weights = [t.weight for t in TEMPLATES]
    numbers: Counter[tuple[str, int]] = Counter()
    built: list[tuple[str, str, list[str | None], list[str]]] = []
    for _ in range(pages):
        template = rng.choices(TEMPLATES, weights)[0]
        topic_id = int(topic_pick(rng))
        numbers[template.name, topic_id] += 1
        slug = topics[topic_id].name.lower().replace(" ", "-")
        page_id = f"{template.name}/{slug}/page-{numbers[template.name, topic_id]}"
        paras = _page(world, template, topic_id)
        built.append((page_id, _join(paras, rng), [p[1] for p in paras], [p[2] for p in paras]))
    # A heading is a duplicate only if its category has more than one page.
    per_topic = Counter(
        label
        for *_, labels, kinds in built
        for label, kind in zip(labels, kinds, strict=True)
        if kind == "heading"
    )
    out = []
    for page_id, text, labels, tagged in built:
        kinds = [kind.partition(":")[0] for kind in tagged]
        variants = [kind.partition(":")[2] for kind in tagged]
        fixed = [
            None if kind == "heading" and per_topic[label] < 2 else label
            for label, kind in zip(labels, kinds, strict=True)
        ]
        out.append(Page(page_id, text, fixed, kinds, variants))
    if stats is not None:
        stats.update(world.stats)
    return out


def write_jsonl(pages: Sequence[Page], path: Path) -> None:
    """Write pages to path as JSON lines, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for page in pages:
            f.write(page.to_json() + "\n")


def read_jsonl(path: Path) -> Iterator[Page]:
    """Yield the pages stored in a JSON-lines file."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield Page.from_json(line)


def default_path(pages: int, seed: int, sites: int = 3) -> Path:
    """Return bench/data/crawl-N-gV.jsonl, V the generator's version (crawl-N-sS-gV.jsonl for a
    seed other than 0; a one-site crawl has -1site before -gV)."""
    suffix = ("" if seed == 0 else f"-s{seed}") + ("-1site" if sites == 1 else "")
    return DATA_DIR / f"crawl-{pages}{suffix}-g{GENERATOR_VERSION}.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a crawl and write it as JSON lines; print a summary table.

    Example:
        python -m bench.corpus --pages 1000 --seed 0 -o bench/data/crawl-1000-g2.jsonl
    """
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="number of pages")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--sites",
        type=int,
        choices=(1, len(SITES)),
        default=len(SITES),
        help="1: one site, its boilerplate on every page; 3 (default): three sites",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="default: bench/data/crawl-N-gV.jsonl (V: GENERATOR_VERSION)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    stats: Counter[str] = Counter()
    crawl = generate(args.pages, args.seed, stats, args.sites)
    elapsed = time.perf_counter() - start
    path = args.output or default_path(args.pages, args.seed, args.sites)
    write_jsonl(crawl, path)
    kinds = Counter(k for page in crawl for k in page.kind)
    n_text = sum(len(page.text.encode()) for page in crawl)
    rows = [
        ("pages", f"{len(crawl):,}"),
        ("paragraphs", f"{sum(kinds.values()):,}"),
        ("text MB", f"{n_text / 1e6:.1f}"),
        *((f"kind {k}", f"{kinds[k]:,}") for k in KINDS),
        *((f"planted {k}", f"{v:,}") for k, v in sorted(stats.items())),
        ("generate s", f"{elapsed:.2f}"),
    ]
    print(f"| {path} | |\n|---|---:|")
    print("\n".join(f"| {a} | {b} |" for a, b in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
