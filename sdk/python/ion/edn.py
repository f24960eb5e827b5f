# ion.edn — owns EDN for the Python SDK: the value types (Keyword, Symbol, Char, List,
# FrozenDict, Tagged), the reader `read` and the printer `dumps`/`print_edn`. Pure standard
# library; knows nothing of WIT or the host.
"""EDN values and text.

Mapping: nil↔None, true/false↔bool, integers↔int (any size; beyond 64 bits printed with
``N``), doubles↔float (``##Inf ##-Inf ##NaN``), ``1.5M``↔Decimal, ``1/2``↔Fraction,
strings↔str, chars↔Char, keywords↔Keyword, symbols↔Symbol, vectors↔list (tuple where a
hashable value is needed), lists↔List (a tuple), maps↔dict (FrozenDict where hashable),
sets↔set (frozenset where hashable), ``#inst``↔aware datetime in UTC (ms precision),
``#uuid``↔uuid.UUID, any other tag↔Tagged. Map keys and set elements are always read in
their hashable form, so ``{[1 2] :a}`` reads as ``{(1, 2): Keyword("a")}``.
"""

import datetime as _dt
import decimal as _decimal
import fractions as _fractions
import math as _math
import re as _re
import uuid as _uuid

__all__ = ["Keyword", "Symbol", "Char", "List", "FrozenDict", "Tagged", "EdnError",
           "read", "dumps", "print_edn", "kw", "sym", "freeze", "get"]


class _Named:
    """A keyword or symbol: an optional namespace and a name."""
    __slots__ = ("text",)
    _prefix = ""

    def __init__(self, text, name=None):
        if name is not None:
            text = f"{text}/{name}" if text else name
        if not isinstance(text, str) or not text:
            raise EdnError(f"a {type(self).__name__.lower()} needs a non-empty name; got {text!r}")
        if text.startswith(":") and self._prefix == ":":
            text = text[1:]
        object.__setattr__(self, "text", text)

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def namespace(self):
        """The part before ``/``, or None."""
        ns, slash, _ = self.text.partition("/")
        return ns if slash and ns else None

    @property
    def name(self):
        """The part after ``/`` (the whole text when there is no namespace)."""
        ns, slash, name = self.text.partition("/")
        return name if slash and ns else self.text

    def __eq__(self, other):
        return type(other) is type(self) and other.text == self.text

    def __hash__(self):
        return hash((type(self).__name__, self.text))

    def __lt__(self, other):
        return (type(self).__name__, self.text) < (type(other).__name__, other.text)

    def __str__(self):
        return self._prefix + self.text

    def __repr__(self):
        return f"{type(self).__name__}({self.text!r})"


class Keyword(_Named):
    """An EDN keyword such as ``:inv/sku``: ``Keyword("inv/sku")`` or ``kw("inv/sku")``."""
    __slots__ = ()
    _prefix = ":"


class Symbol(_Named):
    """An EDN symbol such as ``ion.starter/echo``."""
    __slots__ = ()


def kw(text, name=None):
    """A keyword: ``kw("inv/sku")``, ``kw("inv", "sku")`` or ``kw(":inv/sku")``."""
    return Keyword(text, name)


def sym(text, name=None):
    """A symbol: ``sym("ion.starter/echo")``."""
    return Symbol(text, name)


class Char:
    """An EDN character such as ``\\a`` or ``\\newline`` (distinct from a one-letter string)."""
    __slots__ = ("value",)

    def __init__(self, value):
        if not isinstance(value, str) or len(value) != 1:
            raise EdnError(f"a Char holds exactly one character; got {value!r}")
        object.__setattr__(self, "value", value)

    def __setattr__(self, key, value):
        raise AttributeError("Char is immutable")

    def __eq__(self, other):
        return type(other) is Char and other.value == self.value

    def __hash__(self):
        return hash(("Char", self.value))

    def __repr__(self):
        return f"Char({self.value!r})"


class List(tuple):
    """An EDN list ``(a b c)``: a tuple that prints with parentheses."""
    __slots__ = ()

    def __repr__(self):
        return f"List({tuple.__repr__(self)})"


class FrozenDict(dict):
    """A hashable, read-only map: how maps appear as map keys and set elements."""

    def __hash__(self):
        return hash(frozenset(self.items()))

    def _refuse(self, *args, **kwargs):
        raise TypeError("FrozenDict is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse


class Tagged:
    """A tagged literal the SDK has no type for: ``#my/tag value``."""
    __slots__ = ("tag", "value")

    def __init__(self, tag, value):
        object.__setattr__(self, "tag", tag if isinstance(tag, Symbol) else Symbol(tag))
        object.__setattr__(self, "value", value)

    def __setattr__(self, key, value):
        raise AttributeError("Tagged is immutable")

    def __eq__(self, other):
        return type(other) is Tagged and (other.tag, other.value) == (self.tag, self.value)

    def __hash__(self):
        return hash(("Tagged", self.tag, self.value))

    def __repr__(self):
        return f"Tagged({self.tag.text!r}, {self.value!r})"


class EdnError(ValueError):
    """EDN that cannot be read (with ``line`` and ``column``) or a value that cannot be printed."""

    def __init__(self, message, line=None, column=None):
        self.reason, self.line, self.column = message, line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


def freeze(value):
    """The hashable form of ``value``: lists→tuples, dicts→FrozenDict, sets→frozenset."""
    if isinstance(value, FrozenDict) or isinstance(value, frozenset):
        return value
    if isinstance(value, dict):
        return FrozenDict((freeze(k), freeze(v)) for k, v in value.items())
    if isinstance(value, List):
        return List(freeze(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(freeze(v) for v in value)
    return value


def get(mapping, key, default=None):
    """``mapping[kw(key)]`` for a keyword name such as ``"app-name"``; ``default`` otherwise."""
    if isinstance(mapping, dict):
        return mapping.get(Keyword(key), default)
    return default


# ---------------------------------------------------------------------------- reading

_DELIMS = set("()[]{}\"\\;,") | set(" \t\n\r\f\v")
_INT = _re.compile(r"[+-]?(0|[1-9][0-9]*)N?$")
_FLOAT = _re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][+-]?[0-9]+)?M?$")
_RATIO = _re.compile(r"[+-]?[0-9]+/[0-9]+$")
_NAMED_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r",
                "formfeed": "\f", "backspace": "\b"}
_STRING_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "b": "\b", "f": "\f"}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class _Reader:
    def __init__(self, text):
        self.text, self.pos, self.n = text, 0, len(text)

    def error(self, message, pos=None):
        pos = self.pos if pos is None else pos
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return EdnError(message, line, column)

    def skip(self):
        text, n = self.text, self.n
        while self.pos < n:
            c = text[self.pos]
            if c in " \t\n\r\f\v,":
                self.pos += 1
            elif c == ";":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif c == "#" and text.startswith("#_", self.pos):
                self.pos += 2
                self.skip()
                if self.pos >= n:
                    raise self.error("#_ must be followed by a form to discard")
                self.form(False)
            else:
                return

    def token(self):
        start, text, n = self.pos, self.text, self.n
        while self.pos < n and text[self.pos] not in _DELIMS:
            self.pos += 1
        return text[start:self.pos]

    def form(self, frozen):
        self.skip()
        if self.pos >= self.n:
            raise self.error("unexpected end of text; expected a value")
        c = self.text[self.pos]
        if c in "([{":
            self.pos += 1
            items = self.seq(_CLOSERS[c], c, True if c == "{" else frozen, frozen)
            if c == "(":
                return List(items)
            if c == "[":
                return tuple(items) if frozen else items
            return self.mapping(items, frozen)
        if c in ")]}":
            raise self.error(f"unmatched delimiter `{c}`")
        if c == '"':
            return self.string()
        if c == "\\":
            return self.char()
        if c == "#":
            return self.dispatch(frozen)
        start = self.pos
        return self.atom(self.token(), start)

    def seq(self, closer, opener, frozen_even, frozen_odd):
        """Forms up to ``closer``; even/odd positions read hashable when their flag says so."""
        start, items = self.pos - 1, []
        while True:
            self.skip()
            if self.pos >= self.n:
                raise self.error(f"unexpected end of text: `{opener}` is not closed; expected `{closer}`",
                                 start)
            if self.text[self.pos] == closer:
                self.pos += 1
                return items
            items.append(self.form(frozen_odd if len(items) % 2 else frozen_even))

    def mapping(self, items, frozen):
        if len(items) % 2:
            raise self.error("a map has a key without a value; expected an even number of forms")
        out = {}
        for i in range(0, len(items), 2):
            key = items[i]
            if key in out:
                raise self.error(f"duplicate key in map: {dumps(key)}")
            out[key] = items[i + 1]
        return FrozenDict(out) if frozen else out

    def string(self):
        start = self.pos
        self.pos += 1
        parts, text, n = [], self.text, self.n
        while True:
            end = self.pos
            while end < n and text[end] not in '"\\':
                end += 1
            parts.append(text[self.pos:end])
            if end >= n:
                raise self.error("unexpected end of text: a string is not closed; expected `\"`", start)
            if text[end] == '"':
                self.pos = end + 1
                return "".join(parts)
            esc = text[end + 1:end + 2]
            if esc in _STRING_ESCAPES:
                parts.append(_STRING_ESCAPES[esc])
                self.pos = end + 2
            elif esc == "u" and _re.fullmatch(r"[0-9a-fA-F]{4}", text[end + 2:end + 6]):
                parts.append(chr(int(text[end + 2:end + 6], 16)))
                self.pos = end + 6
            else:
                raise self.error(f"invalid escape `\\{esc}` in string; expected one of "
                                 "\\t \\r \\n \\b \\f \\\\ \\\" \\uXXXX", end)

    def char(self):
        start = self.pos
        self.pos += 1
        if self.pos >= self.n:
            raise self.error("unexpected end of text after `\\`; expected a character", start)
        first = self.text[self.pos]
        self.pos += 1
        rest = self.token() if first not in _DELIMS else ""
        name = first + rest
        if len(name) == 1:
            return Char(name)
        if name in _NAMED_CHARS:
            return Char(_NAMED_CHARS[name])
        if _re.fullmatch(r"u[0-9a-fA-F]{4}", name):
            return Char(chr(int(name[1:], 16)))
        raise self.error(f"unknown character `\\{name}`; expected a single character, "
                         "\\newline, \\space, \\tab, \\return, \\formfeed, \\backspace or \\uXXXX",
                         start)

    def dispatch(self, frozen):
        start = self.pos
        nxt = self.text[self.pos + 1:self.pos + 2]
        if nxt == "{":
            self.pos += 2
            items = self.seq("}", "#{", True, True)
            out = set()
            for item in items:
                if item in out:
                    raise self.error(f"duplicate element in set: {dumps(item)}", start)
                out.add(item)
            return frozenset(out) if frozen else out
        if nxt == "#":
            self.pos += 2
            name = self.token()
            values = {"Inf": _math.inf, "-Inf": -_math.inf, "NaN": _math.nan}
            if name not in values:
                raise self.error(f"unknown symbolic value `##{name}`; expected ##Inf, ##-Inf or ##NaN",
                                 start)
            return values[name]
        if nxt == "" or nxt in _DELIMS:
            raise self.error("`#` must be followed by a tag, `{`, `_` or `#`", start)
        self.pos += 1
        tag = self.token()
        if not tag[0].isalpha():
            raise self.error(f"invalid tag `#{tag}`; a tag starts with a letter", start)
        self.skip()
        if self.pos >= self.n:
            raise self.error(f"unexpected end of text: tag `#{tag}` needs a value", start)
        value = self.form(frozen)
        if tag == "inst":
            return _inst(value, self.error("", start))
        if tag == "uuid":
            if not isinstance(value, str):
                raise self.error(f"#uuid needs a string; got {dumps(value)}", start)
            try:
                return _uuid.UUID(value)
            except ValueError:
                raise self.error(f"#uuid {dumps(value)} is not a UUID; expected "
                                 "\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\"", start) from None
        return Tagged(Symbol(tag), value)

    def atom(self, tok, start):
        if tok == "nil":
            return None
        if tok == "true":
            return True
        if tok == "false":
            return False
        c = tok[0]
        if c.isdigit() or (c in "+-" and len(tok) > 1 and tok[1].isdigit()):
            return self.number(tok, start)
        if c == ":":
            if len(tok) == 1 or tok[1] == ":" or tok.endswith("/"):
                raise self.error(f"invalid keyword `{tok}`", start)
            return Keyword(tok[1:])
        if tok.endswith("/") and tok != "/" or tok.startswith("/") and tok != "/":
            raise self.error(f"invalid symbol `{tok}`", start)
        return Symbol(tok)

    def number(self, tok, start):
        if _INT.match(tok):
            return int(tok.rstrip("N"))
        if _FLOAT.match(tok):
            if tok.endswith("M"):
                return _decimal.Decimal(tok[:-1])
            return float(tok)
        if _RATIO.match(tok):
            num, den = tok.split("/")
            if int(den) == 0:
                raise self.error(f"invalid ratio `{tok}`: zero denominator", start)
            return _fractions.Fraction(int(num), int(den))
        raise self.error(f"invalid number `{tok}`", start)


_INST = _re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:[Tt](\d\d)(?::(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?"
                    r"(?:([Zz])|([+-])(\d\d):(\d\d))?)?)?)?$")


def _inst(value, err):
    if not isinstance(value, str):
        raise EdnError(f"#inst needs a string; got {dumps(value)}", err.line, err.column)
    m = _INST.match(value)
    if not m:
        raise EdnError(f"#inst {dumps(value)} is not an RFC 3339 timestamp; expected "
                       "\"2024-01-31T12:00:00.000Z\"", err.line, err.column)
    y, mo, d, h, mi, s, frac, _z, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    micro -= micro % 1000
    try:
        when = _dt.datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0),
                            int(s or 0), micro, tzinfo=_dt.timezone.utc)
    except ValueError as e:
        raise EdnError(f"#inst {dumps(value)} is not a valid time: {e}", err.line, err.column) from None
    if sign:
        offset = _dt.timedelta(hours=int(oh), minutes=int(om))
        when = when - offset if sign == "+" else when + offset
    return when


def read(text):
    """Reads exactly one EDN value from ``text``; anything else raises EdnError."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    if not isinstance(text, str):
        raise EdnError(f"EDN text must be a str; got {type(text).__name__}")
    r = _Reader(text)
    r.skip()
    if r.pos >= r.n:
        raise EdnError("no EDN value: the text is empty")
    value = r.form(False)
    r.skip()
    if r.pos < r.n:
        snippet = text[r.pos:].split("\n", 1)[0][:40]
        raise r.error(f"unexpected text after the value: `{snippet}`; expected a single EDN value")
    return value


# --------------------------------------------------------------------------- printing

_I64 = (-(2 ** 63), 2 ** 63 - 1)
_CHAR_NAMES = {v: k for k, v in _NAMED_CHARS.items()}
_STRING_OUT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_NEEDS_ESCAPE = _re.compile(r'["\\\n\t\r]')


def _quote(s):
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _STRING_OUT[m.group()], s) + '"'


def _write(v, out):
    if v is None:
        out.append("nil")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_quote(v))
    elif isinstance(v, int):
        out.append(str(v) if _I64[0] <= v <= _I64[1] else f"{v}N")
    elif isinstance(v, float):
        if v != v:
            out.append("##NaN")
        elif v in (_math.inf, -_math.inf):
            out.append("##Inf" if v > 0 else "##-Inf")
        else:
            out.append(repr(v))
    elif isinstance(v, _Named):
        out.append(str(v))
    elif isinstance(v, dict):
        out.append("{")
        for i, (k, val) in enumerate(v.items()):
            if i:
                out.append(", ")
            _write(k, out)
            out.append(" ")
            _write(val, out)
        out.append("}")
    elif isinstance(v, List):
        _seq(v, "(", ")", out)
    elif isinstance(v, (list, tuple)):
        _seq(v, "[", "]", out)
    elif isinstance(v, (set, frozenset)):
        _seq(sorted(dumps(x) for x in v), "#{", "}", out, printed=True)
    elif isinstance(v, Char):
        name = _CHAR_NAMES.get(v.value)
        out.append("\\" + name if name else "\\" + v.value)
    elif isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            raise EdnError("cannot print a naive datetime as #inst; expected a timezone-aware "
                           "datetime (e.g. datetime.now(timezone.utc))")
        u = v.astimezone(_dt.timezone.utc)
        out.append(f'#inst "{u.strftime("%Y-%m-%dT%H:%M:%S")}.{u.microsecond // 1000:03d}Z"')
    elif isinstance(v, _uuid.UUID):
        out.append(f'#uuid "{v}"')
    elif isinstance(v, _decimal.Decimal):
        if not v.is_finite():
            raise EdnError(f"cannot print the Decimal {v} as EDN; expected a finite decimal")
        out.append(f"{v}M")
    elif isinstance(v, _fractions.Fraction):
        out.append(f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator))
    elif isinstance(v, Tagged):
        out.append(f"#{v.tag.text} ")
        _write(v.value, out)
    else:
        raise EdnError(f"cannot print a {type(v).__module__}.{type(v).__qualname__} as EDN; "
                       "expected None, bool, int, float, str, Keyword, Symbol, Char, list, tuple, "
                       "dict, set, datetime, UUID, Decimal, Fraction or Tagged")


def _seq(items, open_, close, out, printed=False):
    out.append(open_)
    for i, item in enumerate(items):
        if i:
            out.append(" ")
        if printed:
            out.append(item)
        else:
            _write(item, out)
    out.append(close)


def dumps(value):
    """Prints ``value`` as compact EDN text that ``read`` reads back equal (sets in a stable order)."""
    out = []
    _write(value, out)
    return "".join(out)


print_edn = dumps
