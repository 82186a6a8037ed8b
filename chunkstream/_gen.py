# SPDX-License-Identifier: MIT
"""The generator: writes the model classes, their checking builders, fast checks and
validators into ``_models.py`` (between its GENERATED markers) from the table in ``_schema``.

Run ``python chunkstream/_gen.py`` (or ``python -m chunkstream._gen``) after changing
``_schema.py``; ``--check`` only says whether
the committed code is what the table gives (``tests/test_schema.py`` runs it). Never imported at
run time: ``import chunkstream`` pays for none of this (the way Argument Clinic writes CPython's
argument parsers into the C files it checks).

Each JSON type is turned into code in one place (``_Type``): the builder's check, the fast
check and the validator's call come from the same entry, so they cannot disagree.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

if __package__:
    from . import _schema
else:  # run as a file (python chunkstream/_gen.py): works even while _models.py is broken
    import importlib.util

    _file = Path(__file__).with_name("_schema.py")
    _spec = importlib.util.spec_from_file_location("_schema", _file)
    assert _spec is not None and _spec.loader is not None
    _schema = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_schema)

ASSEMBLED_SHAPES = _schema.ASSEMBLED_SHAPES
CHUNK_SHAPES = _schema.CHUNK_SHAPES
SHAPES = _schema.SHAPES
Field = _schema.Field
Shape = _schema.Shape

BEGIN = "# --- BEGIN GENERATED CODE (python -m chunkstream._gen; do not edit by hand) ---\n"
END = "# --- END GENERATED CODE ---\n"
MODELS = Path(__file__).with_name("_models.py")

# Keys of dense shapes that most objects lack: the builder looks them up only when the object
# has more keys than the others account for. Speed only: the result is the same.
_RARE = ("service_tier", "obfuscation", "moderation")

# The sparse shapes' builders test the keys present in this order (the rest in table order):
# the keys that come in nearly every delta first. Speed only: any order gives the same result.
_FIRST = (
    "content",
    "arguments",
    "tool_calls",
    "reasoning_content",
    "reasoning",
    "function",
    "index",
    "role",
)


def snake(name: str) -> str:
    """``ChatCompletionChunk`` -> ``chat_completion_chunk``, ``URLCitation`` -> ``url_citation``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class _Type(NamedTuple):
    annotation: str  # the dataclass field's annotation ({of_class}: the class held)
    bad: str  # a simple type: the condition under which a non-null v is not valid
    convert: str  # a container type: code that checks a non-null v (raise Invalid) and
    # sets v to the field's value (and nests), instead of ``bad``
    ok: str  # a container type: code that returns False when a non-null v is not valid
    validate: str  # the validator's code: raises ChunkError naming the path


# ``{of}``: the snake name of the shape held; ``{of_class}``: its class; ``{key}``: the key.
_TYPES = {
    "str": _Type("str | None", "type(v) is not str", "", "", '_str(obj, "{key}", path)'),
    "int": _Type("int | None", "type(v) is not int", "", "", '_int(obj, "{key}", path)'),
    "number": _Type(
        "float | None",
        "type(v) is not float and type(v) is not int",
        "",
        "",
        '_number(obj, "{key}", path)',
    ),
    "index": _Type(
        "int | None",
        "type(v) is not int or v < 0",
        "",
        "",
        '_index(obj, "{key}", path, required=False)',
    ),
    "ints": _Type(
        "tuple[int, ...] | None",
        "",
        "if type(v) is not list:\n    raise Invalid\n"
        "for x in v:\n    if type(x) is not int:\n        raise Invalid\nv = tuple(v)",
        "if type(v) is not list:\n    return False\n"
        "for x in v:\n    if type(x) is not int:\n        return False",
        '_ints(obj, "{key}", path)',
    ),
    "strs": _Type(
        "tuple[str, ...] | None",
        "",
        "if type(v) is not list:\n    raise Invalid\n"
        "for x in v:\n    if type(x) is not str:\n        raise Invalid\nv = tuple(v)",
        "if type(v) is not list:\n    return False\n"
        "for x in v:\n    if type(x) is not str:\n        return False",
        '_strs(obj, "{key}", path)',
    ),
    "numbers": _Type(
        "tuple[float | None, ...] | None",
        "",
        "if type(v) is not list:\n    raise Invalid\n"
        "for x in v:\n"
        "    if x is not None and type(x) is not float and type(x) is not int:\n"
        "        raise Invalid\nv = tuple(v)",
        "if type(v) is not list:\n    return False\n"
        "for x in v:\n"
        "    if x is not None and type(x) is not float and type(x) is not int:\n"
        "        return False",
        '_numbers(obj, "{key}", path)',
    ),
    "dicts": _Type(
        "tuple[dict[str, Any] | None, ...] | None",
        "",
        "if type(v) is not list:\n    raise Invalid\n"
        "for x in v:\n    if x is not None and type(x) is not dict:\n        raise Invalid\n"
        "if v:\n    nests |= NESTS  # objects kept as sent: any depth\nv = tuple(v)",
        "if type(v) is not list:\n    return False\n"
        "for x in v:\n    if x is not None and type(x) is not dict:\n        return False",
        '_dicts(obj, "{key}", path)',
    ),
    "object": _Type(
        "{of_class} | None",
        "",
        "v = _build_{of}(v)\nnests |= v._absent & NESTS  # type: ignore[operator]",
        "bad: not _ok_{of}(v)",
        'v = _obj(obj, "{key}", path)\nif v is not None:\n    _check_{of}(v, f"{path}.{key}")',
    ),
    "objects": _Type(
        "tuple[{of_class}, ...] | None",
        "",
        "if type(v) is not list:\n    raise Invalid\n"
        "if len(v) == 1:  # the usual: one item (map and tuple cost more)\n"
        "    x = _build_{of}(v[0])\n"
        "    nests |= x._absent & NESTS  # type: ignore[operator]\n"
        "    v = (x,)\n"
        "else:\n    v = tuple(map(_build_{of}, v))\n    for x in v:\n"
        "        nests |= x._absent & NESTS",
        "if type(v) is not list:\n    return False\n"
        "for x in v:\n    if not _ok_{of}(x):\n        return False",
        'for i, item in enumerate(_objects(obj, "{key}", path)):\n'
        '    _check_{of}(item, f"{path}.{key}[{i}]")',
    ),
    "dict": _Type(
        "dict[str, Any] | None",
        "",
        "if type(v) is not dict:\n    raise Invalid\nnests |= NESTS  # kept as sent: any depth",
        "bad: type(v) is not dict",
        '_obj(obj, "{key}", path)',
    ),
    "content": _Type(
        "str | tuple[dict[str, Any], ...] | None",
        "",
        "if type(v) is list:\n    for x in v:\n        if type(x) is not dict:\n"
        "            raise Invalid\n    v = tuple(v)\n"
        "    nests |= NESTS  # content parts: objects of any depth\n"
        "elif type(v) is not str:\n    raise Invalid",
        "if type(v) is list:\n    for x in v:\n        if type(x) is not dict:\n"
        "            return False\nelif type(v) is not str:\n    return False",
        '_content(obj, "{key}", path)',
    ),
}

# A required field (a choice's index): present, not null, and not ``bad``.
_REQUIRED_ANNOTATION = {"index": "int"}
_REQUIRED_VALIDATE = '_index(obj, "{key}", path, required=True)'


def _cond(bad: str) -> str:
    return f"({bad})" if " or " in bad else bad


def _check_value(kind: _Type, f: Field, fail: str, pad: int, word: str = "if") -> str:
    """Code that rejects a present value v that is not valid (``fail``: the statement that
    rejects; the value may be None, which is valid unless the field is required)."""
    if f.required:
        return _indent(f"{word} v is None or {_cond(kind.bad)}:\n    {fail}", pad)
    bad = kind.bad
    if fail == "return False" and kind.ok.startswith("bad: "):
        bad = _fill(kind.ok[5:], f)
    if bad:
        return _indent(f"{word} v is not None and {_cond(bad)}:\n    {fail}", pad)
    body = kind.ok if fail == "return False" else kind.convert
    return _indent(f"{word} v is not None:\n" + _indent(_fill(body, f), 4), pad)


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _fill(template: str, f: Field) -> str:
    of = snake(f.of) if f.of else ""
    return template.replace("{of_class}", f.of).replace("{of}", of).replace("{key}", f.key)


def _doc(text: str, n: int) -> str:
    lines = text.split("\n")
    pad = " " * n
    if len(lines) == 1:
        return f'{pad}"""{text}"""\n'
    body = "\n".join(pad + line if line else "" for line in lines[1:])
    return f'{pad}"""{lines[0]}\n{body}\n{pad}"""\n'


# ---------------------------------------------------------------------------------------------
# The chunk side.


def _chunk_class(shape: Shape) -> str:
    base = shape.base or "_ChunkModel"
    out = ["@dataclass(frozen=True, slots=True, kw_only=True, repr=False)\n"]
    out.append(f"class {shape.name}({base}):\n")
    out.append(_doc(shape.doc, 4) + "\n")
    for f in shape.fields:
        if f.required:
            out.append(f"    {f.key}: {_REQUIRED_ANNOTATION[f.type]}\n")
        else:
            # A dict, or content that may be a list of parts (dicts), is not hashable: left
            # out of the hash, like extra (equal values still hash alike; values that differ
            # only there collide, which costs a set or dict of chunks speed, not correctness).
            unhashable = f.type in ("dict", "content", "dicts")
            default = " = field(default=None, hash=False)" if unhashable else " = None"
            out.append(f"    {f.key}: {_fill(_TYPES[f.type].annotation, f)}{default}\n")
    out.append("    extra: dict[str, Any] = _extra_field()\n")
    # Bookkeeping, not a field: see _ChunkModel (and _bookkeeping, run below the classes).
    out.append("    _absent: InitVar[int | None] = None\n\n")
    out.append(f"    _keys: ClassVar[tuple[str, ...]] = {_tuple(f.key for f in shape.fields)}\n")
    out.append(_chunk_to_dict(shape))
    return "".join(out)


# The field types whose values are mostly one immutable Python type (as built from JSON):
# ``to_dict`` writes such a value as it is, without a call to ``_to_json`` (which gives back
# anything else unchanged too, but for a model, a tuple, or a dict or list it copies: content
# parts, a value a hand-built object may hold).
_PLAIN_TYPE = {"str": "str", "int": "int", "index": "int", "number": "int", "content": "str"}


def _chunk_to_dict(shape: Shape) -> str:
    """``to_dict`` of a chunk class, unrolled: what ``_Model.to_dict`` does (a null field is
    written only when it was sent as null: its bit in ``_absent`` is clear), field by field."""
    s = snake(shape.name).upper()
    out = ["\n    def to_dict(self) -> dict[str, Any]:\n"]
    out.append('        """The JSON object this value stands for (``extra`` keys included)."""\n')
    out.append("        out: dict[str, Any] = {}\n")
    out.append("        absent = self._absent\n")
    for i, f in enumerate(shape.fields):
        out.append(f"        v{': Any' if i == 0 else ''} = self.{f.key}\n")
        out.append(f"        if v is not None or (absent is not None and not absent & {1 << i}):\n")
        plain = _PLAIN_TYPE.get(f.type)
        value = f"v if type(v) is {plain} else _to_json(v)" if plain else "_to_json(v)"
        out.append(f'            out["{f.key}"] = {value}\n')
    out.append("        if self.extra:\n")
    out.append(f"            _add_extra(out, self.extra, _KNOWN_{s})\n")
    out.append("        return out\n")
    return "".join(out)


def _tuple(items: Iterable[str], pad: int = 4) -> str:
    names = [f'"{x}"' for x in items]
    if len(names) == 1:
        return f"({names[0]},)"
    text = f"({', '.join(names)})"
    if len(text) <= 60:
        return text
    inner = " " * (pad + 4)
    return "(\n" + "".join(f"{inner}{n},\n" for n in names) + " " * pad + ")"


def _builder(shape: Shape) -> str:
    """The checking builder: one pass over the JSON that checks each value's type and builds
    the instance (of the writable twin, then made one of the class); ``Invalid`` on a bad
    value. Dense shapes look up each key; sparse ones go over the keys present."""
    name, s = shape.name, snake(shape.name)
    n = len(shape.fields)
    out = [f"def _build_{s}(obj: Any) -> {name}:\n"]
    out.append("    if type(obj) is not dict:\n        raise Invalid\n")
    out.append(f"    self: Any = _new(_W_{name})\n")
    out.append("    nests = 0\n")
    if shape.sparse:
        assert not any(f.required for f in shape.fields)
        # One chained assignment per few fields (a line each costs a constant load more).
        keys = [f"self.{f.key}" for f in shape.fields]
        for i in range(0, len(keys), 4):
            out.append(f"    {' = '.join(keys[i : i + 4])} = None\n")
        out.append(f"    absent = {(1 << n) - 1}  # bit i: the i-th key was not there\n")
        out.append("    extra = None\n")
        out.append("    for key, v in obj.items():\n")
        order = sorted(
            range(n),
            key=lambda i: (
                _FIRST.index(shape.fields[i].key) if shape.fields[i].key in _FIRST else 99,
                i,
            ),
        )
        word = "if"
        for i in order:
            f = shape.fields[i]
            out.append(f'        {word} key == "{f.key}":\n')
            out.append(_check_value(_TYPES[f.type], f, "raise Invalid", 12) + "\n")
            out.append(f"            self.{f.key} = v\n")
            out.append(f"            absent ^= {1 << i}\n")
            word = "elif"
        out.append("        elif extra is None:\n            extra = {key: v}\n")
        out.append("        else:\n            extra[key] = v\n")
        out.append("    if extra is None:\n        self.extra = {}\n")
        out.append("    else:\n        self.extra = extra\n")
        out.append("        if _nests(extra):\n            nests = NESTS\n")
    else:
        out.append("    get = obj.get\n    m = _MISSING\n")
        out.append("    absent = 0  # bit i: the i-th key was not there\n")
        head = [i for i, f in enumerate(shape.fields) if f.key not in _RARE]
        tail = [i for i, f in enumerate(shape.fields) if f.key in _RARE]
        for i in head:
            out.append(_dense_field(shape.fields[i], i, 4))
        pad = 4
        if tail:
            # The rare keys are looked up only when the object has keys beyond the head's.
            mask = sum(1 << i for i in tail)
            out.append(f"    if len(obj) + absent.bit_count() == {len(head)}:\n")
            names = " = ".join(f"self.{shape.fields[i].key}" for i in tail)
            out.append(f"        {names} = None\n")
            out.append(f"        absent |= {mask}\n        self.extra = {{}}\n    else:\n")
            pad = 8
            for i in tail:
                out.append(_dense_field(shape.fields[i], i, 8))
        known = f"_unknown(obj, _KNOWN_{s.upper()})"
        # Every key present is known when the count of those present and absent adds up.
        body = (
            f"if len(obj) + absent.bit_count() == {n}:\n    self.extra = {{}}\n"
            f"else:\n    self.extra = extra = {known}\n"
            "    if _nests(extra):\n        nests = NESTS\n"
        )
        out.append(_indent(body, pad))
    out.append("    self._absent = absent | nests\n")
    out.append(f"    self.__class__ = {name}\n")
    out.append("    return self  # type: ignore[no-any-return]\n")
    return "".join(out)


def _dense_field(f: Field, i: int, pad: int) -> str:
    """A dense builder's lookup, check and store of field ``i``."""
    kind = _TYPES[f.type]
    out = [f'v = get("{f.key}", m)']
    if f.required:
        out.append(f"if v is m or {_cond(kind.bad)}:\n    raise Invalid")
    else:
        out.append(f"if v is m:\n    absent |= {1 << i}\n    v = None")
        out.append(_check_value(kind, f, "raise Invalid", 0, "elif"))
    out.append(f"self.{f.key} = v")
    return _indent("\n".join(out), pad) + "\n"


def _ok(shape: Shape) -> str:
    """The fast check: whether a decoded value is a valid object of the shape (no messages)."""
    s = snake(shape.name)
    out = [f"def _ok_{s}(obj: Any) -> bool:\n"]
    out.append("    if type(obj) is not dict:\n        return False\n")
    if shape.sparse:
        out.append("    for key, v in obj.items():\n")
        word = "if"
        for f in shape.fields:
            # One condition per key (a nested if would be one more test for ruff to flag).
            when = f'{word} key == "{f.key}" and'
            out.append(_check_value(_TYPES[f.type], f, "return False", 8, when) + "\n")
            word = "elif"
    else:
        out.append("    get = obj.get\n")
        for f in shape.fields:
            out.append(f'    v = get("{f.key}")\n')
            out.append(_check_value(_TYPES[f.type], f, "return False", 4) + "\n")
        last = out[-1].split("\n")
        if len(last) == 3:  # one if and its return: ruff would rather return the condition
            out[-1] = f"{last[0]}  # noqa: SIM103\n{last[1]}\n"
    out.append("    return True\n")
    return "".join(out)


def _validator(shape: Shape) -> str:
    """The validator: the first problem, as a ChunkError naming its JSON path."""
    s = snake(shape.name)
    out = [f"def _check_{s}(obj: dict[str, Any], path: str) -> None:\n"]
    for f in shape.fields:
        code = _REQUIRED_VALIDATE if f.required else _TYPES[f.type].validate
        out.append(_indent(_fill(code, f), 4) + "\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The chunk side's fillers (the template path: a typed chunk rebuilt from a learned one).


def _kids(shape: Shape) -> list[Field]:
    """The fields of ``shape`` that hold objects (one, or a tuple of them): a fill spec's
    ``kids``, in this order."""
    return [f for f in shape.fields if f.type in ("object", "objects")]


def _filler(shape: Shape) -> str:
    """``_fill_<shape>(src, spec, values)``: a new instance equal to ``src`` but for the
    strings its template's holes put in (``values``), built in one pass. ``spec`` is
    ``(kids, fix)`` (``_stream._fill_spec``): ``kids``, for each field of ``_kids`` the spec
    of the object it holds (a tuple of them for a tuple), or ``None`` where ``src`` holds
    ``None``; ``fix``, ``None`` (nothing more to do) or ``(deep, sets, vendor)``: the fields
    whose values hold dicts or lists (``extra`` when not empty, content parts, dict-typed
    fields), copied deep (``_deep``) so that what one chunk's reader does to them reaches no
    other chunk; ``(field, i)`` for each field that is a hole and ``(key, i)`` for each
    vendor string that is one, set to ``values[i]`` before the instance turns frozen. The
    other values (strings, numbers, tuples of them) are shared with ``src``."""
    name, s = shape.name, snake(shape.name)
    kids = {f.key: f"k{i}" for i, f in enumerate(_kids(shape))}  # each kid's spec, then value
    line = f"def _fill_{s}(src: Any, spec: Any, values: Sequence[str]) -> {name}:\n"
    if len(line) > 101:  # past the line length (with its newline): the arguments on their own
        line = f"def _fill_{s}(\n    src: Any, spec: Any, values: Sequence[str]\n) -> {name}:\n"
    out = [line]
    out.append(f"    self: Any = _W_{name}()\n")
    if not kids:
        out.append("    _, fix = spec\n")
    else:
        names = ", ".join(kids.values()) + ("," if len(kids) == 1 else "")
        out.append(f"    ({names}), fix = spec\n")
    for f in shape.fields:
        k = kids.get(f.key)
        if f.type == "object":  # None where the learned object holds None: no object to fill
            fill = f"_fill_{snake(f.of)}(src.{f.key}, {k}, values)"
            out.append(f"    if {k} is not None:\n        {k} = {fill}\n")
            out.append(f"    self.{f.key} = {k}\n")
        elif f.type == "objects":
            fill = f"_fill_{snake(f.of)}"
            out.append(f"    if {k} is not None:\n        if len({k}) == 1:\n")
            out.append(f"            {k} = ({fill}(src.{f.key}[0], {k}[0], values),)\n")
            out.append(f"        else:\n            {k} = tuple(map({fill}, src.{f.key}, {k}, ")
            out.append("repeat(values)))\n")
            out.append(f"    self.{f.key} = {k}\n")
        else:  # immutable, or copied deep below when the spec says so
            out.append(f"    self.{f.key} = src.{f.key}\n")
    out.append("    self.extra = {}\n")
    out.append("    self._absent = src._absent\n")
    out.append("    if fix is not None:\n        deep, sets, vendor = fix\n")
    out.append(
        "        for key in deep:\n            setattr(self, key, _deep(getattr(src, key)))\n"
    )
    out.append("        for key, i in sets:\n            setattr(self, key, values[i])\n")
    out.append("        for key, i in vendor:\n            self.extra[key] = values[i]\n")
    out.append(f"    self.__class__ = {name}\n")
    out.append("    return self  # type: ignore[no-any-return]\n")
    return "".join(out)


_DEEP = """\
def _deep(value: Any) -> Any:
    \"\"\"A copy of a JSON value (or a tuple of them) that shares no dict or list with it.\"\"\"
    t = type(value)
    if t is dict:
        return {k: _deep(v) for k, v in value.items()}
    if t is list:
        return [_deep(v) for v in value]
    if t is tuple:  # content parts, a tuple of dicts
        return tuple(map(_deep, value))
    return value
"""


# ---------------------------------------------------------------------------------------------
# The assembled side.


def _model_type(annotation: str) -> str | None:
    """The model class an assembled field holds (alone or in a tuple), if any."""
    core = annotation.replace(" | None", "")
    m = re.fullmatch(r"tuple\[(\w+), \.\.\.\]", core)
    name = m.group(1) if m else core
    return name if name in SHAPES else None


def _json_value(f: Field, known_set: bool = False) -> str:
    value = f"self.{f.key}"
    if f.type.startswith("tuple["):
        return f"_to_json({value})"
    if _model_type(f.type) is not None:
        if f.type.endswith("| None") and not known_set:
            return f"None if {value} is None else {value}.to_dict()"
        return f"{value}.to_dict()"
    if f.type.removesuffix(" | None") in ("dict[str, Any]", "Any"):
        return f"_to_json({value})"  # a copy: editing the output leaves the value alone
    return value


def _maker_code(shape: Shape) -> str:
    """A positional constructor of an assembled class (the values in field order, then extra),
    for the accumulator, which builds a completion on every snapshot: it fills an instance of
    the class's writable twin and makes it one of the class (see ``_writable``; a frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``). It trusts its
    caller, like ``__init__``."""
    name, s = shape.name, snake(shape.name)
    names = [f.key for f in shape.fields] + ["extra"]
    params = ", ".join(f"{n}: Any" for n in names)
    out = [f"_W_{name} = _writable({name})\n\n\n"]
    head = f"def make_{s}({params}) -> {name}:\n"
    if len(head) > 100:
        head = f"def make_{s}(\n" + "".join(f"    {n}: Any,\n" for n in names) + f") -> {name}:\n"
    out.append(head)
    out.append(f"    self: Any = _new(_W_{name})\n")
    for n in names:
        out.append(f"    self.{n} = {n}\n")
    out.append(f"    self.__class__ = {name}\n")
    out.append("    return self  # type: ignore[no-any-return]\n")
    return "".join(out)


def _assembled_class(shape: Shape) -> str:
    base = shape.base or "_AssembledModel"
    lazy = [f.key for f in shape.fields if f.lazy] + ["extra"]
    names = [f'"{k}"' for k in lazy]
    line = f"@_lazy({', '.join(names)})\n"
    if len(line) > 100:
        line = "@_lazy(\n" + "".join(f"    {k},\n" for k in names) + ")\n"
    out = [line]
    out.append("@dataclass(frozen=True, slots=True, kw_only=True, repr=False)\n")
    out.append(f"class {shape.name}({base}):\n")
    out.append(_doc(shape.doc, 4) + "\n")
    for f in shape.fields:
        if f.default == "":
            default = ""
        elif f.default in SHAPES:
            default = f" = field(default_factory={f.default})"
        elif not f.hash:
            default = f" = field(default={f.default}, hash=False)"
        else:
            default = f" = {f.default}"
        out.append(f"    {f.key}: {f.type}{default}\n")
    out.append("    extra: dict[str, Any] = _extra_field()\n\n")
    written = [f for f in shape.fields if f.emit != "never"]
    out.append(f"    _keys: ClassVar[tuple[str, ...]] = {_tuple(f.key for f in written)}\n")
    out.append("\n    def to_dict(self) -> dict[str, Any]:\n")
    always = [f for f in written if f.emit == "always"]
    out.append("        out: dict[str, Any] = {\n")
    for f in always:
        out.append(f'            "{f.key}": {_json_value(f)},\n')
    out.append("        }\n")
    for f in written:
        if f.emit != "set":
            continue
        test = f"self.{f.key}" if f.type.startswith("tuple[") else f"self.{f.key} is not None"
        out.append(f"        if {test}:\n")
        out.append(f'            out["{f.key}"] = {_json_value(f, known_set=True)}\n')
    out.append("        if self.extra:\n")
    out.append("            _add_extra(out, self.extra, _own(*self._keys))\n")
    out.append("        return out\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The assembled side's loaders: ``from_dict`` of an assembled class (``ChatCompletion.from_dict``)
# loads what its ``to_dict`` wrote (the CLI's JSON) back into the class, checking each value
# against the field's annotation in the table. Chunk-side objects held whole (``Usage``,
# ``TokenLogprob``, ``Annotation``) are loaded by their own checking builders and validators.


def _load_kind(annotation: str) -> tuple[str, str, str]:
    """``(expected, bad, convert)`` for one value ``v`` of an assembled field's annotation, not
    counting ``| None``: the words an error says it expected, the condition under which ``v``
    is refused (``""``: never refused here) and the expression that loads it (``{at}``: its
    path; ``""``: ``v`` as it is)."""
    if annotation == "str":
        return "str", "type(v) is not str", ""
    if annotation == "int":
        return "int", "type(v) is not int", ""
    if annotation == "dict[str, Any]":
        return "object", "type(v) is not dict", ""
    if annotation == "Any":
        return "", "", ""
    m = re.fullmatch(r"tuple\[(.+), \.\.\.\]", annotation)
    if m:
        return "list", "type(v) is not list", f"_load_items(v, {{at}}, {_item_loader(m[1])})"
    if annotation in SHAPES:
        return "object", "", _item_loader(annotation) + "(v, {at})"
    raise ValueError(f"no loader for the annotation {annotation!r}")


# The loaders of one item of a tuple that holds no model (a legacy completion's logprobs).
_SCALAR_LOADERS = {
    "dict[str, Any]": "_load_object",
    "str": "_load_str",
    "int": "_load_int",
    "float | None": "_load_number_or_null",
    "dict[str, Any] | None": "_load_object_or_null",
}


def _item_loader(annotation: str) -> str:
    """The function that loads one value of a model type, or of a dict, a string, a number
    (``(value, path)``)."""
    if annotation in _SCALAR_LOADERS:
        return _SCALAR_LOADERS[annotation]
    shape = SHAPES[annotation]
    if shape.side == "assembled":
        return f"_load_{snake(shape.name)}"
    return f"_chunk_loader({shape.name})"


def _default_code(f: Field) -> str:
    """The Python value of an assembled field's default."""
    if f.default in SHAPES:
        return f"{f.default}()"
    return f.default


def _load_field(f: Field, var: str) -> str:
    """Code that sets ``var`` to field ``f``'s loaded value from ``obj`` (a missing key gives
    the default; a missing required field, a null where the annotation has no ``None`` or a
    value of the wrong type raise ``ChunkError`` naming the path)."""
    optional = f.type.endswith(" | None")
    core = f.type[: -len(" | None")] if optional else f.type
    expected, bad, convert = _load_kind(core)
    at = f'f"{{path}}.{f.key}"'
    load = convert.replace("{at}", at)
    out = [f'v = get("{f.key}", _MISSING)']
    if not optional and not bad and load and f.default != "" and not f.required:  # a model
        out.append(f"{var} = {_default_code(f)} if v is _MISSING else {load}")
        return "\n".join(out)
    if f.default == "" or f.required:  # the JSON form always has the key: it must be there
        out.append(f'if v is _MISSING:\n    raise _fail("{expected}", {at}, v)')
    else:
        out.append(f"if v is _MISSING:\n    v = {_default_code(f)}")
    if optional:
        if bad:
            fail = f'raise _fail("{expected} or null", {at}, v)'
            out.append(f"elif v is not None and {_cond(bad)}:\n    {fail}")
        if load:
            out.append(f"elif v is not None:\n    v = {load}")
    elif core != "Any":
        if bad:
            out.append(f'elif {_cond(bad)}:\n    raise _fail("{expected}", {at}, v)')
        if f.const:  # the JSON form's one value ("object")
            want = f.default.replace('"', '\\"')
            out.append(f'elif v != {f.default}:\n    raise _fail("{want}", {at}, v)')
        if load:
            out.append(f"else:\n    v = {load}")
    out.append(f"{var} = v")
    return "\n".join(out)


def _loader(shape: Shape) -> str:
    """``_load_<shape>(obj, path)``: an assembled object from its ``to_dict`` JSON."""
    name, s = shape.name, snake(shape.name)
    out = [f"def _load_{s}(obj: Any, path: str) -> {name}:\n"]
    out.append("    if type(obj) is not dict:\n")
    out.append(f'        raise _fail("an object ({name})", path, obj)\n')
    out.append("    get = obj.get\n")
    args = []
    for i, f in enumerate(shape.fields):
        if f.emit == "never":  # not part of the JSON form (warnings): the default
            args.append(_default_code(f))
            continue
        out.append(_indent(_load_field(f, f"a{i}"), 4) + "\n")
        args.append(f"a{i}")
    out.append(f"    extra = _load_extra(obj, {name}._keys, path)\n")
    call = f"    return make_{s}({', '.join(args)}, extra)\n"
    if len(call) > 100:
        call = f"    return make_{s}(\n" + "".join(f"        {a},\n" for a in args)
        call += "        extra,\n    )\n"
    out.append(call)
    return "".join(out)


def loaders() -> str:
    """Every assembled shape's loader, and the lines that make each its class's ``from_dict``."""
    parts = [_loader(shape) + "\n\n" for shape in ASSEMBLED_SHAPES]
    for shape in ASSEMBLED_SHAPES:
        parts.append(f"_set_loader({shape.name}, _load_{snake(shape.name)})\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------


def generate() -> str:
    """The generated section of ``_models.py``, markers included."""
    parts = [BEGIN, "# fmt: off\n"]
    parts.append("# From _schema.py. The chunk side: classes, fast checks, validators and\n")
    parts.append("# checking builders. The assembled side: classes (to_dict) and makers.\n\n")
    width = max(len(s.fields) for s in (*CHUNK_SHAPES, *ASSEMBLED_SHAPES))
    parts.append("# Set in ``_absent`` (above every key's bit) on an object holding a vendor\n")
    parts.append("# value that is an object or a list, or content parts, and on every object\n")
    parts.append("# holding it: without it, an object nests no deeper than the schema.\n")
    parts.append(f"NESTS = 1 << {width}\n\n\n")
    for shape in CHUNK_SHAPES:
        parts.append(_chunk_class(shape) + "\n\n")
    for shape in CHUNK_SHAPES:
        s = snake(shape.name)
        parts.append(f"_KNOWN_{s.upper()} = frozenset({shape.name}._keys)\n")
        parts.append(f"_W_{shape.name} = _writable({shape.name})\n")
        parts.append(f"_bookkeeping({shape.name})\n")
    parts.append("\n\n")
    for shape in CHUNK_SHAPES:
        parts.append(_ok(shape) + "\n\n")
        parts.append(_validator(shape) + "\n\n")
        parts.append(_builder(shape) + "\n\n")
    for shape in CHUNK_SHAPES:
        s = snake(shape.name)
        line = f"_set_builder({shape.name}, _build_{s}, _check_{s})\n"
        if len(line) > 100:
            line = f"_set_builder(\n    {shape.name},\n    _build_{s},\n    _check_{s},\n)\n"
        parts.append(line)
    parts.append("\n\n")
    parts.append("# The fillers (the template path rebuilds a typed chunk from a learned one).\n")
    parts.append(_DEEP + "\n\n")
    for shape in CHUNK_SHAPES:
        parts.append(_filler(shape) + "\n\n")
    parts.append("fill_chunk = _fill_chat_completion_chunk\n")
    parts.append("# Each class's fields that hold objects, in the order of a fill spec's kids.\n")
    parts.append("FILL_KIDS: dict[type, tuple[str, ...]] = {\n")
    for shape in CHUNK_SHAPES:
        keys = ", ".join(f'"{f.key}"' for f in _kids(shape))
        parts.append(f"    {shape.name}: ({keys}{',' if len(_kids(shape)) == 1 else ''}),\n")
    parts.append("}\n\n\n")
    for shape in ASSEMBLED_SHAPES:
        parts.append(_assembled_class(shape) + "\n\n")
    for shape in ASSEMBLED_SHAPES:
        parts.append(_maker_code(shape) + "\n\n")
    parts.append(loaders() + "\n\n")
    parts.append("# Every class of the table, by name (the accumulator builds from the table).\n")
    parts.append("CLASSES: dict[str, Any] = {\n")
    for shape in (*CHUNK_SHAPES, *ASSEMBLED_SHAPES):
        parts.append(f'    "{shape.name}": {shape.name},\n')
    parts.append("}\n")
    parts.append("MAKERS: dict[str, Callable[..., Any]] = {\n")
    for shape in ASSEMBLED_SHAPES:
        parts.append(f'    "{shape.name}": make_{snake(shape.name)},\n')
    parts.append("}\n")
    parts.append("# fmt: on\n")
    parts.append(END)
    return "".join(parts)


DOC = MODELS.parent.parent / "docs" / "DESIGN.md"
DOC_BEGIN = "<!-- schema:start (python -m chunkstream._gen writes this table) -->\n"
DOC_END = "<!-- schema:end -->\n"


def _type_text(f: Field) -> str:
    text = f.type if not f.of else f"{f.type} of {f.of}"
    return text + (", required" if f.required else "")


def document() -> str:
    """The design document's schema section, markers included: every chunk-side field with its
    JSON type and merge rule, what each rule does, the fallback, and the assembled shapes."""
    out = [DOC_BEGIN, "\n| where | field | JSON type | merge rule |\n|---|---|---|---|\n"]
    for shape in CHUNK_SHAPES:
        where = f"`{shape.path or '.'}` ({shape.name})"
        for f in shape.fields:
            rule = f"`{f.merge}`" if f.merge else "kept whole"
            late = " (late if after finish)" if f.late else ""
            out.append(f"| {where} | `{f.key}` | {_type_text(f)} | {rule}{late} |\n")
            where = ""
    out.append("\n| merge rule | what it does |\n|---|---|\n")
    for name, text in _schema.MERGE_RULES.items():
        out.append(f"| `{name}` | {text} |\n")
    out.append(f"\n**Fallback** (a key no row declares): {_schema.FALLBACK_RULE}.\n")
    out.append("\n| assembled | fields (`to_dict` order; * only when set; display rule) |\n")
    out.append("|---|---|\n")
    for shape in ASSEMBLED_SHAPES:
        fields = ", ".join(
            f"`{f.key}`{'*' if f.emit == 'set' else ''}{f' ({f.display})' if f.display else ''}"
            for f in shape.fields
            if f.emit != "never"
        )
        out.append(f"| {shape.name} | {fields} |\n")
    out.append("\n" + DOC_END)
    return "".join(out)


def _section(text: str, begin: str, end: str, where: Path) -> tuple[str, str, str]:
    head, found, rest = text.partition(begin)
    if not found or end not in rest:
        raise SystemExit(f"{where}: the generated section's markers are missing")
    body, _, tail = rest.partition(end)
    return head, begin + body + end, tail


# Names a field may not have: the classes' own attributes and methods.
_RESERVED = frozenset(("extra", "to_dict", "from_dict"))
# Merge rules whose field lands nowhere on the assembled side (a key, a per-chunk value).
_LANDS_NOWHERE = frozenset(("key", "tool_id", "fixed", "chunk_only"))


def check_table() -> list[str]:
    """What is wrong with the table, one line per problem naming the shape and the key (empty:
    nothing). The generator writes nothing while there is any."""
    problems = []
    for shape in (*CHUNK_SHAPES, *ASSEMBLED_SHAPES):
        seen: set[str] = set()
        for f in shape.fields:
            where = f"{shape.name}.{f.key}"

            def bad(what: str, where: str = where) -> None:
                problems.append(f"_schema.py: {where}: {what}")

            if not f.key.isidentifier() or keyword.iskeyword(f.key):
                bad("the key must be a Python identifier and not a keyword")
            elif f.key.startswith("_") or f.key in _RESERVED:
                bad(f"the name is the class's own (reserved: {', '.join(sorted(_RESERVED))}, _*)")
            if f.key in seen:
                bad("the key is there twice")
            seen.add(f.key)
            if shape.side == "assembled":
                if f.emit not in ("always", "set", "never"):
                    bad(f"emit must be always, set or never, not {f.emit!r}")
                if f.display and f.display not in _schema.DISPLAY_RULES:
                    bad(f"no display rule {f.display!r} (DISPLAY_RULES)")
                if f.const and (f.type != "str" or not f.default.startswith('"')):
                    bad("const is only for a str field whose default is its one value")
                if f.emit != "never":
                    try:
                        _load_kind(f.type.removesuffix(" | None"))
                    except (ValueError, KeyError):
                        bad(f"from_dict cannot load the type {f.type!r} (see _load_kind)")
                continue
            if f.const:
                bad("const is only for the assembled side")
            if f.type not in _TYPES:
                bad(f"no JSON type {f.type!r} (TYPES: {', '.join(_TYPES)})")
            elif f.type in ("object", "objects"):
                if not f.of:
                    bad(f"a field of type {f.type} needs of= (the shape it holds)")
                elif f.of not in SHAPES or SHAPES[f.of].side != "chunk":
                    bad(f"of={f.of!r} is not a chunk-side shape")
            elif f.of:
                bad(f"of= is only for object and objects, not {f.type}")
            if f.required and (f.type not in _REQUIRED_ANNOTATION or shape.sparse):
                bad("required is only for an index, in a dense shape")
            if f.merge and f.merge not in _schema.MERGE_RULES:
                bad(f"no merge rule {f.merge!r} (MERGE_RULES)")
            elif f.merge and f.merge not in _LANDS_NOWHERE and shape.into:
                target = f.into or f.key
                if target not in {g.key for g in SHAPES[shape.into].fields}:
                    bad(f"merges into {shape.into}.{target}, which has no such field: add its row")
    return problems


def main(argv: list[str]) -> int:
    """Write the generated sections (``--check``: only say whether they are up to date). The
    design document is left alone where it is not there (a vendored copy of the package)."""
    parser = argparse.ArgumentParser(
        prog="python -m chunkstream._gen",
        description="Write _models.py's generated code and docs/DESIGN.md's schema table from "
        "chunkstream/_schema.py.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a section is stale"
    )
    check = parser.parse_args(argv).check
    problems = check_table()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    argv = ["--check"] if check else []
    targets = [(MODELS, BEGIN, END, generate())]
    if DOC.exists():
        targets.append((DOC, DOC_BEGIN, DOC_END, document()))
    stale = []
    for path, begin, end, new in targets:
        text = path.read_text(encoding="utf-8")
        head, current, tail = _section(text, begin, end, path)
        if current != new:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(head + new + tail, encoding="utf-8")
    if stale and "--check" in argv:
        print(f"not what _schema.py gives: {', '.join(stale)}; run python -m chunkstream._gen")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
