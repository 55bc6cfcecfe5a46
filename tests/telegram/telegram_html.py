"""Telegram's HTML subset, checked the way Telegram's parser (tdlib's parse_html) checks it, and
stricter in one way: a bare "&" is an error, as the Bot API documentation asks for "&amp;"."""

from __future__ import annotations

TAGS = frozenset({"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
                  "span", "pre", "code", "blockquote"})
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SPACES = " \t\r\n\v\0"
TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


class HtmlParseError(ValueError):
    """Telegram would refuse the text with "can't parse entities: <this message>"."""


def _at(text: str, index: int) -> str:
    return f"at byte offset {len(text[:index].encode('utf-8', 'surrogatepass'))}"


def _entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character named by the entity at `text[pos] == "&"` and where it ends, or None."""
    end = pos + 1
    if text.startswith("#", end):
        hexadecimal = text.startswith("#x", end)
        end += 2 if hexadecimal else 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(text) and text[end] in digits and end - pos < 10:
            end += 1
        value = int(text[start:end], 16 if hexadecimal else 10) if end > start else 0
        if not 0 < value < 0x10FFFF or 0xD800 <= value <= 0xDFFF or end - pos >= 10:
            return None
        char = chr(value)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        char = NAMED.get(text[pos + 1:end])
        if char is None:
            return None
    return char, end + 1 if text.startswith(";", end) else end


def _value(text: str, i: int) -> tuple[str, int]:
    """An attribute value at `i`: quoted (entities decoded) or a bare token of letters, digits, . and -."""
    if text[i] not in "'\"":
        start = i
        while i < len(text) and text[i] in TOKEN_CHARS:
            i += 1
        if i < len(text) and text[i] not in SPACES and text[i] != ">":
            raise HtmlParseError(f"Unexpected end of name token {_at(text, start)}")
        return text[start:i].lower(), i
    quote, chars, i = text[i], [], i + 1
    while i < len(text) and text[i] != quote:
        decoded = _entity(text, i) if text[i] == "&" else None
        chars.append(decoded[0] if decoded else text[i])
        i = decoded[1] if decoded else i + 1
    return "".join(chars), i + 1


def _start_tag(text: str, begin: int) -> tuple[str, int]:
    """Check the start tag at `begin` with its attributes; returns its name and where it ends."""
    i = begin + 1
    while i < len(text) and text[i] not in SPACES and text[i] != ">":
        i += 1
    tag = text[begin + 1:i].lower()
    if i >= len(text):
        raise HtmlParseError(f"Unclosed start tag {_at(text, begin)}")
    if tag not in TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" {_at(text, begin)}')
    attributes: dict[str, str] = {}
    while True:
        while i < len(text) and text[i] in SPACES:
            i += 1
        if i >= len(text):
            raise HtmlParseError(f'Unclosed start tag "{tag}" {_at(text, begin)}')
        if text[i] == ">":
            break
        start = i
        while i < len(text) and text[i] not in SPACES and text[i] not in "=>":
            i += 1
        name = text[start:i]
        while i < len(text) and text[i] in SPACES:
            i += 1
        if i < len(text) and text[i] == "=":
            i += 1
            while i < len(text) and text[i] in SPACES:
                i += 1
            if i >= len(text):
                raise HtmlParseError(f'Unclosed start tag "{tag}" {_at(text, begin)}')
            attributes[name], i = _value(text, i)
        elif tag == "blockquote" and name.lower() == "expandable":
            attributes[name.lower()] = ""
        else:
            raise HtmlParseError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                                 f"{_at(text, begin)}")
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" {_at(text, begin)}')
    if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise HtmlParseError("Invalid custom emoji identifier specified")
    return tag, i + 1


def parse_telegram_html(text: str) -> str:
    """The text Telegram would show for `text` sent with parse_mode HTML; raises HtmlParseError
    with the reason Telegram would give for refusing it."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            decoded = _entity(text, i)
            if decoded is None:
                raise HtmlParseError(f"Unsupported character entity {_at(text, i)}; write a literal '&' as &amp;")
            out.append(decoded[0])
            i = decoded[1]
        elif text[i] != "<":
            out.append(text[i])
            i += 1
        elif not text.startswith("</", i):
            tag, i = _start_tag(text, i)
            open_tags.append(tag)
        else:
            begin, end = i, text.find(">", i)
            name = text[i + 2:end].rstrip(SPACES).lower() if end >= 0 else ""
            if not open_tags:
                raise HtmlParseError(f"Unexpected end tag {_at(text, begin)}")
            if end < 0 or any(c in SPACES for c in name):
                raise HtmlParseError(f"Unclosed end tag {_at(text, begin)}")
            expected = open_tags.pop()
            if name and name != expected:
                raise HtmlParseError(f'Unmatched end tag {_at(text, begin)}, expected "</{expected}>", '
                                     f'found "</{name}>"')
            i = end + 1
    if open_tags:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(out)
