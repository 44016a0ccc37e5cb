"""HTML pages to paragraph blocks, each with the CSS path of its element (selectolax/lexbor)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from dedup.errors import InputError

__all__ = ["MAX_NESTING", "Blocks", "extract_blocks", "remove_blocks"]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements whose own text is a paragraph block (a div counts when no block sits inside it).
_BLOCKS = _names("p li h1 h2 h3 h4 h5 h6 td th dt dd blockquote pre figcaption div title")
# Other elements a browser lays out as blocks: text loose in them is a block of its own rather
# than glued to the text of a neighbouring header, nav or footer.
_CONTAINERS = _names(
    "body header footer nav aside main section article form ul ol dl table thead tbody tfoot "
    "tr caption fieldset legend figure details summary address hgroup center menu dialog "
    "option select button label"
)
_CONTEXTS = _BLOCKS | _CONTAINERS
_DROPPED = frozenset(("script", "style", "noscript", "template", "svg"))
# Elements below which the text cannot be read whole: a line break, or something dropped.
_MARKERS = _DROPPED | {"br"}
_BREAK = "\x00"  # <br>; the parser drops NUL characters from text, so it cannot clash
# Lexbor's tree builder takes time quadratic in the nesting depth (10,000 nested divs take
# 0.4 s, 100,000 take 80 s), so deeper pages are refused before parsing. Browsers flatten
# beyond 512 levels; real pages stay far below both.
MAX_NESTING = 4096


def _tag_ids(names: Iterable[str]) -> frozenset[int]:
    # Lexbor numbers the standard tags with fixed small ids: comparing ids skips decoding a
    # tag's name at every node, the walk's largest cost.
    parser = LexborHTMLParser("")
    return frozenset(parser.create_node(name).tag_id for name in names)


_CONTEXT_IDS = _tag_ids(_CONTEXTS)
_DROPPED_IDS = _tag_ids(_DROPPED)
_MARK_IDS = _tag_ids(_CONTEXTS | _MARKERS)
_IDS = {name: next(iter(_tag_ids([name]))) for name in ("title", "body", "br")}
# The names of the standard tags, by id (reading node.tag decodes it each time).
_NAME_OF = {
    next(iter(_tag_ids([name]))): name for name in _CONTEXTS | _names("a span b i em strong")
}
_BR = _IDS["br"]

# Below this depth no new block starts: the text of deeper blocks joins the one open there,
# so a block's CSS path stays short.
_MAX_CONTEXT_DEPTH = 512
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9-]*)")
# Start tags that never deepen the tree: void elements, and those that close their open
# namesake (an unclosed <p> or <li> list stays flat).
_FLAT = frozenset(
    b"area base br col embed hr img input link meta source track wbr p li dt dd tr td th "
    b"option".split()
)


@dataclass(frozen=True, slots=True)
class Blocks:
    """The paragraph blocks of one HTML page, in document order.

    Attributes:
        texts: Each block's text: whitespace folded, a ``<br>`` kept as a line break, no blank
            line inside, never empty.
        paths: The CSS path of each block's element, such as
            ``body > div#main > ul.nav > li:nth-of-type(3)``.
    """

    texts: list[str]
    paths: list[str]


class _Frame:
    """An element on a block's path: its node, its tag's id, its rank among same-tag siblings,
    and the tag counts of its parent's children (complete once the walk is over)."""

    __slots__ = ("kind", "node", "parent", "path", "rank", "siblings")

    def __init__(
        self,
        node: LexborNode,
        kind: int,
        parent: _Frame | None,
        rank: int,
        siblings: dict[int, int] | None,
    ) -> None:
        self.node = node
        self.kind = kind
        self.parent = parent
        self.rank = rank
        self.siblings = siblings
        self.path: str | None = None

    def css(self) -> str:
        """Return the CSS path from ``body`` (or ``head``) down to this element."""
        if self.path is not None:
            return self.path
        node, parent = self.node, self.parent
        own = _NAME_OF.get(self.kind) or node.tag or "*"
        if parent is not None:
            attributes = node.attributes
            ident = attributes.get("id")
            if ident and _PLAIN.fullmatch(ident):
                own = f"{own}#{ident}"
            else:
                own += _classes(attributes.get("class"))
                if self.siblings is not None and self.siblings[self.kind] > 1:
                    own += f":nth-of-type({self.rank})"
        self.path = own if parent is None else f"{parent.css()} > {own}"
        return self.path


@lru_cache(maxsize=4096)
def _classes(value: str | None) -> str:
    """The ``.class`` suffix of a class attribute (classes that need escaping are left out)."""
    if not value:
        return ""
    return "".join(f".{name}" for name in value.split() if _PLAIN.fullmatch(name))


# Ids and classes that need no escaping in a selector.
_PLAIN = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")


class _Context:
    """A block being filled: the pieces of its text since the last flush, and its element."""

    __slots__ = ("frame", "nodes", "pieces", "split")

    def __init__(self, frame: _Frame) -> None:
        self.frame = frame
        self.pieces: list[str] = []
        self.nodes: list[LexborNode] = []
        self.split = False  # a nested block cut its text: it is more than one block


class _Level:
    """A walked element: its children still to visit, its frame, the block its text goes to,
    and the tag counts of its children so far."""

    __slots__ = ("children", "context", "counts", "frame", "owns")

    def __init__(self, node: LexborNode, frame: _Frame, context: _Context, owns: bool) -> None:
        # iter() steps through the children in C, five times cheaper than node.next.
        self.children: Iterator[LexborNode] = node.iter(include_text=True)
        self.frame = frame
        self.context = context
        self.owns = owns  # the element is the block's own: closing it ends the block
        self.counts: dict[int, int] = {}


class _Walk:
    """One walk over a parsed page, cutting its text into blocks.

    Most of a page is leaf blocks (a ``p`` or ``li`` with only inline content): their text is
    read whole by lexbor, in C. Only the elements above a block, a ``<br>`` or a dropped element
    are walked child by child in Python; one pass over the elements finds them first.
    """

    def __init__(self, *, keep_nodes: bool) -> None:
        self.keep_nodes = keep_nodes
        self.texts: list[str] = []
        self.owners: list[_Frame] = []
        # What each block would remove from the page: its element, or its own text nodes.
        self.targets: list[list[LexborNode]] = []
        self.walked: set[int] = set()

    def emit(self, text: str, frame: _Frame, nodes: list[LexborNode]) -> None:
        folded = _fold(text)
        if folded:
            self.texts.append(folded)
            self.owners.append(frame)
            if self.keep_nodes:
                self.targets.append(nodes)

    def flush(self, context: _Context, *, closing: bool) -> None:
        pieces = context.pieces
        if pieces:
            whole = closing and not context.split
            self.emit(
                "".join(pieces), context.frame, [context.frame.node] if whole else context.nodes
            )
            context.pieces = []
            context.nodes = []
        if not closing:
            context.split = True

    def run(self, tree: LexborHTMLParser) -> None:
        head = tree.head
        title = head.css_first("title") if head is not None else None
        if title is not None:
            frame = _Frame(title, _IDS["title"], None, 1, None)
            frame.path = "head > title"
            self.emit(title.text(deep=True), frame, [title])
        body = tree.body
        if body is None:
            return
        self.walked = _to_walk(body)
        frame = _Frame(body, _IDS["body"], None, 1, None)
        levels = [_Level(body, frame, _Context(frame), True)]
        while levels:
            level = levels[-1]
            node = next(level.children, None)
            if node is None:
                levels.pop()
                if level.owns:
                    self.flush(level.context, closing=True)
            elif node.is_text_node:
                text = node.text_content
                context = level.context
                if (text and not text.isspace()) or context.pieces:
                    context.pieces.append(text or "")
                    if self.keep_nodes:
                        context.nodes.append(node)
            elif node.is_element_node:
                self._element(node, level, levels)

    def _element(self, node: LexborNode, level: _Level, levels: list[_Level]) -> None:
        """Take in one element child of a walked element."""
        kind = node.tag_id
        context = level.context
        if kind == _BR:
            context.pieces.append(_BREAK)
            if self.keep_nodes:
                context.nodes.append(node)
            return
        if kind in _DROPPED_IDS:
            return
        counts = level.counts
        rank = counts[kind] = counts.get(kind, 0) + 1
        frame = _Frame(node, kind, level.frame, rank, counts)
        walk = node.mem_id in self.walked
        if kind in _CONTEXT_IDS and len(levels) <= _MAX_CONTEXT_DEPTH:
            self.flush(context, closing=False)
            if walk:
                levels.append(_Level(node, frame, _Context(frame), True))
            else:
                self.emit(node.text(deep=True), frame, [node])
        elif walk:
            levels.append(_Level(node, frame, context, False))
        else:
            context.pieces.append(node.text(deep=True))
            if self.keep_nodes:
                context.nodes.append(node)


def _to_walk(body: LexborNode) -> set[int]:
    """Return the ids of the elements whose children must be walked one by one: those that
    hold a block, a ``<br>`` or a dropped element somewhere below them."""
    walked: set[int] = set()
    marks = _MARK_IDS
    for node in body.traverse():
        if node.tag_id in marks:
            parent = node.parent
            while parent is not None:
                ident = parent.mem_id
                if ident in walked:
                    break
                walked.add(ident)
                parent = parent.parent
    return walked


def _fold(text: str) -> str:
    """Fold whitespace runs to one space; ``<br>`` marks become line breaks, empty lines go."""
    if _BREAK not in text:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def check_nesting(html: str, source: str | None = None, line: int | None = None) -> None:
    """Refuse a page nested deeper than :data:`MAX_NESTING` before it reaches the parser.

    Raises:
        InputError: The page is nested too deeply.
    """
    if html.count("<") <= MAX_NESTING:  # too few tags to nest that deep: no scan
        return
    depth = 0
    for match in _TAG.finditer(html.encode("utf-8", "surrogatepass")):
        if match.group(1):
            depth = max(depth - 1, 0)
        elif match.group(2).lower() not in _FLAT:
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(
                    f"HTML nested more than {MAX_NESTING} levels deep, which no real page is; "
                    "fix the page or pass --skip-bad to skip it",
                    source=source,
                    line=line,
                )


def _parse(html: str, source: str | None, line: int | None) -> LexborHTMLParser:
    check_nesting(html, source, line)
    return LexborHTMLParser(html)


def extract_blocks(html: str, *, source: str | None = None, line: int | None = None) -> Blocks:
    """Cut an HTML page into paragraph blocks.

    A block is the text of a ``p``, ``li``, ``h1``-``h6``, ``td``, ``th``, ``dt``, ``dd``,
    ``blockquote``, ``pre``, ``figcaption`` or ``title`` element, or of a ``div`` that holds no
    block; text loose in a container (a ``div`` around blocks, ``nav``, ``footer``, ...) is a
    block of its own. ``script``, ``style``, ``noscript``, ``template`` and ``svg`` are dropped;
    boilerplate is kept, since finding it is what dedup is for.

    Raises:
        InputError: The page is nested more than :data:`MAX_NESTING` levels deep.

    Example:
        >>> page = "<title>Peru</title><ul class=nav><li>Home</li><li>World<br>news</li></ul>"
        >>> blocks = extract_blocks(page)
        >>> blocks.texts
        ['Peru', 'Home', 'World\\nnews']
        >>> blocks.paths
        ['head > title', 'body > ul.nav > li:nth-of-type(1)', 'body > ul.nav > li:nth-of-type(2)']
    """
    walk = _Walk(keep_nodes=False)
    walk.run(_parse(html, source, line))
    return Blocks(walk.texts, [frame.css() for frame in walk.owners])


def remove_blocks(
    html: str, remove: Sequence[bool], *, source: str | None = None, line: int | None = None
) -> str:
    """Return the page without the blocks flagged in ``remove`` (as :func:`extract_blocks`
    numbers them): a whole element goes, or the text of a block cut by nested blocks.

    Raises:
        InputError: ``remove`` does not have one flag per block of the page.

    Example:
        >>> remove_blocks("<body><p>Keep</p><p>Sign up!</p></body>", [False, True])
        '<html><head></head><body><p>Keep</p></body></html>'
    """
    tree = _parse(html, source, line)
    walk = _Walk(keep_nodes=True)
    walk.run(tree)
    if len(walk.targets) != len(remove):
        raise InputError(
            f"{len(remove)} removal flags for {len(walk.targets)} blocks; the page changed",
            source=source,
            line=line,
        )
    for nodes, drop in zip(walk.targets, remove, strict=True):
        if drop:
            for node in nodes:
                node.decompose()
    return tree.html or ""
