"""Splunk ``eval`` expressions for calculated fields (EVAL-<field> in props.conf).

A parser for eval's syntax (string and number literals, field names bare or in single
quotes, arithmetic, ``.`` concatenation, comparisons, LIKE, AND/OR/XOR/NOT and function
calls) and an evaluator for the functions calculated fields commonly use. Values follow
eval's rules: null propagates, numbers compare numerically when both sides are numeric,
and a multivalue field behaves as its first value except in the ``mv`` functions.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .errors import EvalSyntaxError, EvalUnsupportedError, RegexError
from .regex_compat import SplunkRegex, compile_splunk_regex

Value = str | float | bool | list[str] | None
Fields = Mapping[str, list[str]]
Node = Callable[[Fields], Value]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+\.\d*|\.\d+|\d+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<quoted>'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|[-+*/%.<>=(),!])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "XOR", "NOT", "LIKE", "IN"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokenise(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(expression):
        if expression[index:].strip() == "":
            break
        match = _TOKEN.match(expression, index)
        if match is None or match.end() == index:
            raise EvalSyntaxError(
                f"unexpected character {expression[index:].lstrip()[:1]!r} at position {index}"
            )
        kind = match.lastgroup or ""
        text = match.group(kind)
        position = match.start(kind)
        calls = expression[match.end() :].lstrip().startswith("(")
        if kind == "name" and text.upper() in _KEYWORDS and not (calls and text.islower()):
            kind, text = "keyword", text.upper()
        tokens.append(_Token(kind, text, position))
        index = match.end()
    tokens.append(_Token("end", "", len(expression)))
    return tokens


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# ----- value helpers -------------------------------------------------------------------------


def _scalar(value: Value) -> str | float | bool | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _number(value: Value) -> float | None:
    scalar = _scalar(value)
    if isinstance(scalar, bool) or scalar is None:
        return None
    if isinstance(scalar, float):
        return scalar
    try:
        return float(scalar.strip())
    except ValueError:
        return None


def _text(value: Value) -> str | None:
    scalar = _scalar(value)
    if scalar is None:
        return None
    if isinstance(scalar, bool):
        return "true" if scalar else "false"
    if isinstance(scalar, float):
        return str(int(scalar)) if scalar.is_integer() and abs(scalar) < 1e16 else repr(scalar)
    return scalar


def to_field_values(value: Value) -> list[str] | None:
    """The values an eval result gives the calculated field (None removes the field)."""
    if value is None:
        return None
    if isinstance(value, list):
        return list(value) if value else None
    text = _text(value)
    return [text] if text is not None else None


def _truth(value: Value) -> bool | None:
    scalar = _scalar(value)
    if scalar is None:
        return None
    if isinstance(scalar, bool):
        return scalar
    raise EvalUnsupportedError("a condition is not boolean")


def _compare(op: str, left: Value, right: Value) -> bool | None:
    if _scalar(left) is None or _scalar(right) is None:
        return None
    lnum, rnum = _number(left), _number(right)
    if lnum is not None and rnum is not None:
        a: float | str = lnum
        b: float | str = rnum
    else:
        a, b = _text(left) or "", _text(right) or ""
    match op:
        case "==" | "=":
            return a == b
        case "!=":
            return a != b
        case "<":
            return a < b  # type: ignore[operator]
        case ">":
            return a > b  # type: ignore[operator]
        case "<=":
            return a <= b  # type: ignore[operator]
        case _:
            return a >= b  # type: ignore[operator]


def _like(text: str, pattern: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.S) is not None


def _arith(op: str, left: Value, right: Value) -> Value:
    if op == "+" and (_number(left) is None or _number(right) is None):
        lt, rt = _text(left), _text(right)
        if lt is None or rt is None:
            return None
        return lt + rt
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return None
    match op:
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case "/":
            return a / b if b else None
        case _:
            return math.fmod(a, b) if b else None


# ----- functions -----------------------------------------------------------------------------


def _regex(pattern: Value) -> SplunkRegex[str]:
    text = _text(pattern)
    if text is None:
        raise EvalUnsupportedError("a regex argument is null")
    try:
        return compile_splunk_regex(text)
    except RegexError as exc:
        raise EvalUnsupportedError(f"regex {text!r} {exc}") from exc


def _f_replace(args: list[Value]) -> Value:
    text = _text(args[0])
    if text is None:
        return None
    replacement = re.sub(r"\\(\d)", r"\\g<\1>", _text(args[2]) or "")
    return _regex(args[1]).sub(replacement, text)


def _f_substr(args: list[Value]) -> Value:
    text = _text(args[0])
    start = _number(args[1])
    if text is None or start is None:
        return None
    begin = int(start) - 1 if start > 0 else len(text) + int(start)
    begin = max(0, begin)
    if len(args) > 2:
        length = _number(args[2])
        if length is None:
            return None
        return text[begin : begin + int(length)]
    return text[begin:]


def _f_split(args: list[Value]) -> Value:
    text, sep = _text(args[0]), _text(args[1])
    if text is None or sep is None:
        return None
    return text.split(sep) if sep else list(text)


def _as_list(value: Value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    text = _text(value)
    return [text] if text is not None else []


def _f_mvindex(args: list[Value]) -> Value:
    values = _as_list(args[0])
    start = _number(args[1])
    if not values or start is None:
        return None
    first = int(start) if start >= 0 else len(values) + int(start)
    if len(args) > 2:
        end = _number(args[2])
        if end is None:
            return None
        last = int(end) if end >= 0 else len(values) + int(end)
        picked = values[first : last + 1]
        return picked if len(picked) != 1 else picked[0]
    return values[first] if 0 <= first < len(values) else None


def _f_tonumber(args: list[Value]) -> Value:
    text = _text(args[0])
    if text is None:
        return None
    base = int(_number(args[1]) or 10) if len(args) > 1 else 10
    try:
        return float(int(text.strip(), base)) if base != 10 else float(text.strip())
    except ValueError:
        return None


def _f_round(args: list[Value]) -> Value:
    number = _number(args[0])
    digits = int(_number(args[1]) or 0) if len(args) > 1 else 0
    return None if number is None else float(round(number, digits))


def _f_cidrmatch(args: list[Value]) -> Value:
    cidr, address = _text(args[0]), _text(args[1])
    if cidr is None or address is None:
        return None
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _text_fn(fn: Callable[[str], Value]) -> Callable[[list[Value]], Value]:
    def call(args: list[Value]) -> Value:
        text = _text(args[0])
        return None if text is None else fn(text)

    return call


def _trim(kind: str) -> Callable[[list[Value]], Value]:
    def call(args: list[Value]) -> Value:
        text = _text(args[0])
        if text is None:
            return None
        chars = _text(args[1]) if len(args) > 1 else None
        strip = {"trim": str.strip, "ltrim": str.lstrip, "rtrim": str.rstrip}[kind]
        return strip(text, chars) if chars is not None else strip(text)

    return call


def _number_fn(fn: Callable[[float], float]) -> Callable[[list[Value]], Value]:
    def call(args: list[Value]) -> Value:
        number = _number(args[0])
        return None if number is None else float(fn(number))

    return call


def _f_match(args: list[Value]) -> Value:
    text = _text(args[0])
    return None if text is None else _regex(args[1]).search(text) is not None


def _f_like(args: list[Value]) -> Value:
    text, pattern = _text(args[0]), _text(args[1])
    return None if text is None or pattern is None else _like(text, pattern)


def _f_in(args: list[Value]) -> Value:
    text = _text(args[0])
    return None if text is None else any(text == _text(v) for v in args[1:])


def _f_mvjoin(args: list[Value]) -> Value:
    values = _as_list(args[0])
    return (_text(args[1]) or "").join(values) if values else None


def _f_nullif(args: list[Value]) -> Value:
    return None if _compare("==", args[0], args[1]) else args[0]


def _f_len(args: list[Value]) -> Value:
    text = _text(args[0])
    return None if text is None else float(len(text))


def _f_tostring(args: list[Value]) -> Value:
    return _text(args[0])


def _f_hash(algorithm: str) -> Callable[[list[Value]], Value]:
    def call(args: list[Value]) -> Value:
        text = _text(args[0])
        return None if text is None else hashlib.new(algorithm, text.encode()).hexdigest()

    return call


def _f_mvcount(args: list[Value]) -> Value:
    values = _as_list(args[0])
    return float(len(values)) if values else None


def _f_mvappend(args: list[Value]) -> Value:
    out: list[str] = []
    for arg in args:
        out.extend(_as_list(arg))
    return out or None


def _f_isnum(args: list[Value]) -> Value:
    return _number(args[0]) is not None


def _f_isint(args: list[Value]) -> Value:
    number = _number(args[0])
    return number is not None and number.is_integer()


def _f_isstr(args: list[Value]) -> Value:
    return _scalar(args[0]) is not None and _number(args[0]) is None


# (minimum, maximum) arguments and the implementation of each function taking values.
_FUNCTIONS: dict[str, tuple[int, int, Callable[[list[Value]], Value]]] = {
    "lower": (1, 1, _text_fn(str.lower)),
    "upper": (1, 1, _text_fn(str.upper)),
    "len": (1, 1, _f_len),
    "urldecode": (1, 1, _text_fn(urllib.parse.unquote_plus)),
    "trim": (1, 2, _trim("trim")),
    "ltrim": (1, 2, _trim("ltrim")),
    "rtrim": (1, 2, _trim("rtrim")),
    "substr": (2, 3, _f_substr),
    "replace": (3, 3, _f_replace),
    "split": (2, 2, _f_split),
    "mvindex": (2, 3, _f_mvindex),
    "mvcount": (1, 1, _f_mvcount),
    "mvjoin": (2, 2, _f_mvjoin),
    "mvappend": (1, 99, _f_mvappend),
    "match": (2, 2, _f_match),
    "like": (2, 2, _f_like),
    "in": (2, 99, _f_in),
    "tonumber": (1, 2, _f_tonumber),
    "tostring": (1, 2, _f_tostring),
    "round": (1, 2, _f_round),
    "abs": (1, 1, _number_fn(abs)),
    "floor": (1, 1, _number_fn(math.floor)),
    "ceil": (1, 1, _number_fn(math.ceil)),
    "ceiling": (1, 1, _number_fn(math.ceil)),
    "sqrt": (1, 1, _number_fn(math.sqrt)),
    "cidrmatch": (2, 2, _f_cidrmatch),
    "nullif": (2, 2, _f_nullif),
    "md5": (1, 1, _f_hash("md5")),
    "sha1": (1, 1, _f_hash("sha1")),
    "sha256": (1, 1, _f_hash("sha256")),
    "isnum": (1, 1, _f_isnum),
    "isint": (1, 1, _f_isint),
    "isstr": (1, 1, _f_isstr),
}
# Functions the evaluator knows are valid eval but does not evaluate.
_KNOWN_UNSUPPORTED = {
    "strftime",
    "strptime",
    "now",
    "time",
    "relative_time",
    "random",
    "searchmatch",
    "spath",
    "json_extract",
    "json_object",
    "mvfilter",
    "mvfind",
    "mvsort",
    "mvdedup",
    "mvzip",
    "printf",
    "lookup",
    "commands",
    "sigfig",
    "exact",
    "typeof",
    "validate",
    "ipmask",
    "mvrange",
    "mvmap",
    "exp",
    "ln",
    "log",
    "pi",
    "pow",
    "bitand",
    "bitor",
    "tojson",
}


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenise(expression)
        self.index = 0
        self.fields: set[str] = set()
        self.unsupported: list[str] = []
        self.constants: dict[int, str] = {}

    def check_regex(self, function: str, node: Node) -> None:
        """A literal regex argument must compile (a field's value is checked at run time)."""
        literal = self.constants.get(id(node))
        if literal is None:
            return
        try:
            compile_splunk_regex(literal)
        except RegexError as exc:
            raise EvalSyntaxError(f"{function}(): regex {literal!r} {exc}") from exc

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        if self.current.text != text or self.current.kind in ("string", "quoted"):
            found = self.current.text or "the end"
            raise EvalSyntaxError(
                f"expected {text!r} at position {self.current.position}, found {found!r}"
            )
        self.advance()

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise EvalSyntaxError("the expression is empty")
        node = self.expression_(0)
        if self.current.kind != "end":
            raise EvalSyntaxError(
                f"unexpected {self.current.text!r} at position {self.current.position}"
            )
        return node

    # Binding powers: OR 1, XOR 2, AND 3, NOT 4, comparison 5, + - . 6, * / % 7, unary 8.
    def expression_(self, minimum: int) -> Node:
        left = self.prefix()
        while True:
            token = self.current
            power = self.infix_power(token)
            if power is None or power <= minimum:
                return left
            self.advance()
            left = self.infix(token, left, power)

    def infix_power(self, token: _Token) -> int | None:
        if token.kind == "keyword":
            return {"OR": 1, "XOR": 2, "AND": 3, "LIKE": 5, "IN": 5}.get(token.text)
        if token.kind != "op":
            return None
        if token.text in ("==", "=", "!=", "<", ">", "<=", ">="):
            return 5
        if token.text in ("+", "-", "."):
            return 6
        if token.text in ("*", "/", "%"):
            return 7
        return None

    def infix(self, token: _Token, left: Node, power: int) -> Node:
        op = token.text
        if op == "IN":
            self.expect("(")
            options = self.arguments()
            return lambda f: _f_in([left(f), *(o(f) for o in options)])
        right = self.expression_(power)
        if op in ("AND", "OR", "XOR"):
            return _logical(op, left, right)
        if op == "LIKE":
            return lambda f: _f_like([left(f), right(f)])
        if op in ("==", "=", "!=", "<", ">", "<=", ">="):
            return lambda f: _compare(op, left(f), right(f))
        if op == ".":
            return lambda f: _concat(left(f), right(f))
        return lambda f: _arith(op, left(f), right(f))

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        if self.current.text == ")" and self.current.kind == "op":
            self.advance()
            return args
        while True:
            args.append(self.expression_(0))
            if self.current.text == "," and self.current.kind == "op":
                self.advance()
                continue
            self.expect(")")
            return args

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            number = float(token.text)
            return lambda f: number
        if token.kind == "string":
            text = _unescape(token.text[1:-1])
            self.constants[id(node := (lambda f: text))] = text
            return node
        if token.kind == "quoted":
            return self.field(_unescape(token.text[1:-1]))
        if token.kind == "keyword" and token.text == "NOT":
            operand = self.expression_(4)
            return lambda f: _not(operand(f))
        if token.kind == "op" and token.text in ("-", "+"):
            operand = self.expression_(8)
            sign = -1.0 if token.text == "-" else 1.0
            return lambda f: _arith("*", operand(f), sign)
        if token.kind == "op" and token.text == "!":
            operand = self.expression_(4)
            return lambda f: _not(operand(f))
        if token.kind == "op" and token.text == "(":
            inner = self.expression_(0)
            self.expect(")")
            return inner
        if token.kind == "name":
            if self.current.kind == "op" and self.current.text == "(":
                self.advance()
                return self.function(token)
            return self.field(token.text)
        found = token.text or "the end of the expression"
        raise EvalSyntaxError(f"unexpected {found!r} at position {token.position}")

    def field(self, name: str) -> Node:
        self.fields.add(name)
        return lambda f: f.get(name) or None

    def function(self, token: _Token) -> Node:
        name = token.text
        args = self.arguments()
        if name == "if":
            _arity(name, args, 3, 3)
            cond, yes, no = args
            return lambda f: yes(f) if _truth(cond(f)) else no(f)
        if name == "case":
            if len(args) % 2 or not args:
                raise EvalSyntaxError("case() takes pairs of condition and value")
            pairs = list(zip(args[0::2], args[1::2], strict=True))
            return lambda f: next((v(f) for c, v in pairs if _truth(c(f))), None)
        if name == "coalesce":
            _arity(name, args, 1, 99)
            return lambda f: next(
                (value for a in args if (value := a(f)) is not None and value != []), None
            )
        if name in ("isnull", "isnotnull"):
            _arity(name, args, 1, 1)
            want_null = name == "isnull"
            return lambda f: (_scalar(args[0](f)) is None) == want_null
        if name in ("null", "true", "false"):
            _arity(name, args, 0, 0)
            constant: Value = {"null": None, "true": True, "false": False}[name]
            return lambda f: constant
        if name in _FUNCTIONS:
            low, high, implementation = _FUNCTIONS[name]
            _arity(name, args, low, high)
            if name in ("match", "replace"):
                self.check_regex(name, args[1])
            return lambda f: implementation([a(f) for a in args])
        if name in _KNOWN_UNSUPPORTED:
            self.unsupported.append(name)

            def unsupported(_: Fields) -> Value:
                raise EvalUnsupportedError(f"{name}() is not evaluated by the checker")

            return unsupported
        raise EvalSyntaxError(f"unknown function {name}() at position {token.position}")


def _arity(name: str, args: Sequence[Node], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise EvalSyntaxError(f"{name}() takes {expected} arguments, got {len(args)}")


def _not(value: Value) -> Value:
    truth = _truth(value)
    return None if truth is None else not truth


def _concat(left: Value, right: Value) -> Value:
    lt, rt = _text(left), _text(right)
    return None if lt is None or rt is None else lt + rt


def _logical(op: str, left: Node, right: Node) -> Node:
    def evaluate(fields: Fields) -> Value:
        a = _truth(left(fields))
        if op == "AND" and a is False:
            return False
        if op == "OR" and a is True:
            return True
        b = _truth(right(fields))
        if op == "AND":
            return False if b is False else (None if a is None or b is None else True)
        if op == "OR":
            return True if b is True else (None if a is None or b is None else False)
        return None if a is None or b is None else a != b

    return evaluate


@dataclass(frozen=True)
class EvalExpression:
    source: str
    node: Node
    fields: frozenset[str]
    unsupported: tuple[str, ...]

    def evaluate(self, fields: Fields) -> list[str] | None:
        """The calculated field's values; EvalUnsupportedError if it cannot be evaluated."""
        return to_field_values(self.node(fields))


def compile_eval(expression: str) -> EvalExpression:
    """Parse an eval expression; EvalSyntaxError says what is wrong and where."""
    parser = _Parser(expression)
    node = parser.parse()
    return EvalExpression(expression, node, frozenset(parser.fields), tuple(parser.unsupported))
