"""Site templates and boilerplate blocks of the synthetic crawl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bench import vocab


@dataclass(frozen=True, slots=True)
class Site:
    """Boilerplate of one site; every appeal paragraph is a tuple of parts that may be split.

    Attributes:
        key: Short name used in labels, e.g. "ledger".
        skip: The "Skip to content" link text.
        appeal: Fundraising appeal paragraphs: a heading, two paragraphs, and an optional last
            one. A paragraph of several parts is sometimes shown as one paragraph per part.
        signup: Heading and body of the newsletter sign-up box.
        footer: Footer line.
        name: The site's name, which some templates print around titles.
    """

    key: str
    skip: str
    appeal: tuple[tuple[str, ...], ...]
    signup: tuple[str, str]
    footer: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    """How one site renders a category page: story count, teaser cut and typography.

    Attributes:
        name: Template name, the first part of page ids.
        weight: Share of pages rendered with this template.
        site: Index into SITES of the boilerplate it shows.
        stories: Stories listed per page.
        teaser_words: Teasers are cut to this many words (never longer than the full lede).
        ellipsis: Appended to a teaser that was cut.
        quotes: "curly" keeps ’ “ ”; "straight" turns them into ' and ".
        dash: Replacement for the em dash.
        sentence_gap: What follows a full stop inside a paragraph.
        title_case: "title" keeps Title Case, "sentence" lowers all but the first letter,
            "upper" upper-cases titles and the heading.
        date_format: "short" (Dec 12, 2022), "long" (December 12, 2022) or "iso".
        title_words: Titles are cut to this many words (0: shown whole), as a template with
            less room cuts them at another length.
        title_site: How the site's name goes around a title, as HTML ``<title>`` elements
            print it: "{title} | {site}", "{site} – {title}", or "" for a bare title.
    """

    name: str
    weight: float
    site: int
    stories: int
    teaser_words: int
    ellipsis: str
    quotes: Literal["curly", "straight"]
    dash: str
    sentence_gap: str
    title_case: Literal["title", "sentence", "upper"]
    date_format: Literal["short", "long", "iso"]
    title_words: int = 0
    title_site: str = ""


SITES: tuple[Site, ...] = (
    Site(
        key="ledger",
        skip="Skip to content",
        appeal=(
            ("Urgent End Of Year Fundraising Campaign",),
            ("Online donations are back!", "Keep independent media alive."),
            (
                "Due to the attacks on our fiscal sponsor, we were unable to raise funds online "
                "for nearly two years.",
                "As the bills pile up, your help is needed now to cover the monthly costs of "
                "operating The Open Ledger.",
            ),
            ("Every gift is matched until December 31.", "Donate today."),
        ),
        signup=(
            "Sign Up To Our Daily Digest",
            "Independent media outlets are being suppressed and dropped by corporations like "
            "Google, Facebook and Twitter. Sign up for our daily email digest before it’s too "
            "late so you don’t miss the latest movement news.",
        ),
        footer="© 2023 The Open Ledger. All rights reserved. Theme by Ledger Labs.",
        name="The Open Ledger",
    ),
    Site(
        key="courier",
        skip="Skip to content",
        appeal=(
            ("Support Reader-Funded Journalism",),
            ("We don’t run ads.", "We don’t take corporate money."),
            (
                "Our reporters cover the movements that the mainstream press ignores, and we "
                "rely entirely on readers like you.",
                "A monthly gift of $5 keeps our newsroom open.",
            ),
            ("Already a member?", "Thank you — log in to hide this message."),
        ),
        signup=(
            "Get The Courier In Your Inbox",
            "Join 40,000 readers who get our weekly roundup of stories from the front lines of "
            "social struggle. No spam, unsubscribe any time.",
        ),
        footer=(
            "Southern Courier is a project of the Courier Media Collective. Content is licensed "
            "under Creative Commons BY-NC-SA 4.0."
        ),
        name="Southern Courier",
    ),
    Site(
        key="review",
        skip="Skip to main content",
        appeal=(
            ("Help Us Reach Our Goal",),
            ("We are 72% of the way to our spring goal.", "Can you chip in?"),
            (
                "Grassroots Review is published by a small team of volunteers and freelancers.",
                "Your donation pays for reporting trips, translation and web hosting.",
            ),
            ("Donations are tax-deductible.",),
        ),
        signup=(
            "Newsletter",
            "Sign up to receive new articles from Grassroots Review every Friday morning.",
        ),
        footer="Copyright © 2023 Grassroots Review — Privacy Policy — Contact Us",
        name="Grassroots Review",
    ),
)

# Six renderings of the same stories. Most cut teasers at 70 or 90 words; the "mobile"
# (45 words, 30 stories) and "archive" (130 words) templates are the rarer extremes. Titles
# (6-14 words) are cut at 10 words by "digest" and at 8, in capitals, by "mobile"; "blog" and
# "archive" print the site's name after or before them.
TEMPLATES: tuple[Template, ...] = (
    Template("wire", 0.28, 0, 15, 70, "…", "curly", "—", " ", "title", "short"),
    Template("mirror", 0.28, 1, 15, 90, "...", "straight", "--", "  ", "title", "long"),
    Template("digest", 0.14, 0, 15, 70, " [...]", "curly", "—", "\xa0 ", "sentence", "short", 10),
    Template(
        "blog",
        0.14,
        2,
        15,
        90,
        " Read more",
        "straight",
        "-",
        " ",
        "title",
        "iso",
        0,
        "{title} | {site}",
    ),
    Template("mobile", 0.08, 1, 20, 45, "…", "straight", "—", " ", "upper", "short", 8),
    Template(
        "archive",
        0.08,
        2,
        15,
        130,
        "...",
        "curly",
        "—",
        "  ",
        "title",
        "long",
        0,
        "{site} – {title}",
    ),
)

_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_MONTHS_LONG = tuple(vocab.MONTHS)
_MONTHS_SHORT = tuple(month[:3] for month in _MONTHS_LONG)


def typeset(text: str, template: Template) -> str:
    """Return text (canonical typography: curly quotes, spaced em dash) as template shows it."""
    if template.quotes == "straight":
        text = text.translate(_STRAIGHT)
    if template.dash != "—":
        text = text.replace("—", template.dash)
    if template.sentence_gap != " ":
        text = text.replace(". ", "." + template.sentence_gap)
    return text


def set_case(title: str, template: Template) -> str:
    """Return title in the template's letter case."""
    if template.title_case == "upper":
        return title.upper()
    if template.title_case == "sentence":
        return title[:1] + title[1:].lower()
    return title


def format_date(date: tuple[int, int, int], template: Template) -> str:
    """Return a (year, month, day) date in the template's format."""
    year, month, day = date
    if template.date_format == "iso":
        return f"{year:04d}-{month:02d}-{day:02d}"
    if template.date_format == "long":
        return f"{_MONTHS_LONG[month - 1]} {day}, {year}"
    return f"{_MONTHS_SHORT[month - 1]} {day}, {year}"
