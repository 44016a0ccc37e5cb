"""HTML pages to paragraph blocks, each with the CSS path of its element (selectolax/lexbor)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from dedup.errors import InputError

__all__ = ["MAX_NESTING", "Blocks", "extract_blocks", "remove_blocks"]

# Elements whose own text is a paragraph block (a div counts when no block sits inside it).
_BLOCKS = frozenset(
    (
        "p",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figcaption",
        "div",
        "title",
    )
)
# Other elements a browser lays out as blocks: text loose in them is a block of its own rather
# than glued to the text of a neighbouring header, nav or footer.
_CONTAINERS = frozenset(
    (
        "body",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "section",
        "article",
        "form",
        "ul",
        "ol",
        "dl",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "caption",
        "fieldset",
        "legend",
        "figure",
        "details",
        "summary",
        "address",
        "hgroup",
        "center",
        "menu",
        "dialog",
        "option",
        "select",
        "button",
        "label",
    )
)
_CONTEXTS = _BLOCKS | _CONTAINERS
_DROPPED = frozenset(("script", "style", "noscript", "template", "svg", "-comment", "head"))
_BREAK = "\x00"  # <br>; the parser turns a NUL in the text into U+FFFD, so it cannot clash
_TEXT = "-text"
# Lexbor's tree builder takes time quadratic in the nesting depth (10,000 nested divs take
# 0.4 s, 100,000 take 80 s), so deeper pages are refused before parsing. Browsers flatten
# beyond 512 levels; real pages stay far below both.
MAX_NESTING = 4096
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
    """An open element: its node, tag, rank among same-tag siblings and its children's tags."""

    __slots__ = ("children", "node", "parent", "path", "rank", "tag")

    def __init__(self, node: LexborNode, tag: str, parent: _Frame | None) -> None:
        self.node = node
        self.tag = tag
        self.parent = parent
        self.children: dict[str, int] = {}
        if parent is None:
            self.rank = 1
        else:
            self.rank = parent.children[tag] = parent.children.get(tag, 0) + 1
        self.path: str | None = None

    def css(self) -> str:
        """Return the CSS path from ``body`` (or ``head``) down to this element."""
        if self.path is not None:
            return self.path
        tag, node, parent = self.tag, self.node, self.parent
        if tag in ("html", "body", "head") or parent is None:
            own = tag
        else:
            own = tag
            ident = node.id
            if ident and _PLAIN.fullmatch(ident):
                own = f"{tag}#{ident}"
            else:
                classes = (node.attributes.get("class") or "").split()
                own += "".join(f".{name}" for name in classes if _PLAIN.fullmatch(name))
                if parent.children[tag] > 1:
                    own += f":nth-of-type({self.rank})"
        if parent is None or parent.tag == "html":
            self.path = own
        else:
            self.path = f"{parent.css()} > {own}"
        return self.path


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


class _Walk:
    """One pre-order walk over a parsed page, cutting its text into blocks."""

    def __init__(self, *, keep_nodes: bool) -> None:
        self.keep_nodes = keep_nodes
        self.texts: list[str] = []
        self.frames: list[_Frame] = []
        self.owners: list[_Frame] = []
        self.contexts: list[_Context] = []
        # What each block would remove from the page: its element, or its own text nodes.
        self.targets: list[list[LexborNode]] = []

    def flush(self, context: _Context, *, closing: bool) -> None:
        pieces = context.pieces
        if pieces:
            text = _fold("".join(pieces))
            if text:
                self.texts.append(text)
                self.owners.append(context.frame)
                if self.keep_nodes:
                    whole = closing and not context.split
                    self.targets.append([context.frame.node] if whole else context.nodes)
            context.pieces = []
            context.nodes = []
        if not closing:
            context.split = True

    def run(self, root: LexborNode) -> None:
        node: LexborNode | None = root.child
        while node is not None:
            descend = self._enter(node)
            child = node.child if descend else None
            if child is not None:
                node = child
                continue
            if descend:  # an element without children ends at once
                self._close()
            node = self._climb(node)
        while self.contexts:
            self.flush(self.contexts.pop(), closing=True)

    def _enter(self, node: LexborNode) -> bool:
        """Take in one node; return whether its children are to be walked."""
        tag = node.tag
        contexts = self.contexts
        if tag in (_TEXT, "br"):
            if contexts:
                piece = (node.text_content or "") if tag == _TEXT else _BREAK
                contexts[-1].pieces.append(piece)
                if self.keep_nodes:
                    contexts[-1].nodes.append(node)
            return False
        if tag is None or tag in _DROPPED or tag.startswith("-"):
            if tag == "head":
                self._title(node)
            return False
        frames = self.frames
        frame = _Frame(node, tag, frames[-1] if frames else None)
        frames.append(frame)
        if tag in _CONTEXTS and len(frames) <= _MAX_CONTEXT_DEPTH:
            if contexts:
                self.flush(contexts[-1], closing=False)
            contexts.append(_Context(frame))
        return True

    def _climb(self, node: LexborNode) -> LexborNode | None:
        """Return the node after ``node`` in document order, closing the elements left."""
        while True:
            following = node.next
            if following is not None:
                return following
            parent = node.parent
            if parent is None or parent.tag == "-document" or not self.frames:
                return None
            self._close()
            node = parent

    def _title(self, head: LexborNode) -> None:
        title = head.css_first("title")
        if title is not None:
            frame = _Frame(title, "title", None)
            frame.path = "head > title"
            context = _Context(frame)
            context.pieces.append(title.text(deep=True))
            self.flush(context, closing=True)

    def _close(self) -> None:
        frame = self.frames.pop()
        contexts = self.contexts
        if contexts and contexts[-1].frame is frame:
            self.flush(contexts.pop(), closing=True)


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
    root = _parse(html, source, line).root
    if root is not None:
        walk.run(root)
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
    if tree.root is not None:
        walk.run(tree.root)
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
