"""Parsing and validating conditions: ``conditions.md`` and the passages' ``when`` sides.

``conditions.md`` declares the variables (``# Quantities`` and ``# Situations``, one
``## variable-id`` each with a field list) and the vocabulary durations are read in
(``# Durations``: tables of numbers, units, day phrases and qualifiers; ``# Wording``: the
fixed sentences of conditional answers). A passage states sides as

    - point: appeal-window
    - when:
      - `yes` days-since-closed <= 15 days: appeals are open for 15 days after a dispute closes

and ``check_points`` makes sure the sides of each point cover the variable exactly once:
no value where two sides hold (overlap), none where no side does (gap).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from app.corpus.markdown import SLUG, close, fields, line, parse, read, shown, table_rows, word_list
from app.errors import CorpusIssue
from app.reading.conditions import (
    MAX_OPTIONS,
    OPERATORS,
    Condition,
    Conditions,
    Side,
    Value,
    Variable,
    Vocabulary,
)

SIDE_VERDICTS = ("yes", "no", "depends", "info")
_SIDE = re.compile(
    r"^`(?P<verdict>[^`]*)`\s+(?P<conditions>[^:]+?)\s*:\s*(?P<because>.+)$", re.DOTALL
)
_CONDITION = re.compile(
    r"^(?P<variable>[\w-]+)\s*(?P<op><=|>=|<|>|=|==|!=|=<|=>)\s*(?P<value>.+?)$", re.DOTALL
)
_AMOUNT = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[^\d\s].*)?$")
# The vocabulary tables, by the first header cell, and the type of their second column.
_TABLES = {
    "number": "numbers",
    "unit": "units",
    "phrase": "days",
    "qualifier": "qualifiers",
    "negation": "negations",
    "pending": "pending",
    "hypothetical": "hypotheticals",
    "limit": "limits",
}
WORDING_KEYS = ("said", "and", "in-days", "in-day", "<=", "<", ">=", ">")


def parse_conditions(path: Path) -> tuple[Conditions, list[CorpusIssue]]:
    """Read ``conditions.md``; a missing file means a corpus without conditions."""
    if not path.exists():
        return Conditions(), []
    where = shown(path)
    tokens = parse(read(path))
    issues: list[CorpusIssue] = []
    variables: list[Variable] = []
    tables: dict[str, list[tuple[str, float]]] = {key: [] for key in _TABLES.values()}
    wording: list[tuple[str, str]] = []
    declared: dict[str, int] = {}
    section, i = "", 0
    while i < len(tokens):
        token, end = tokens[i], close(tokens, i)
        if token.type == "heading_open" and token.tag == "h1":
            section = tokens[i + 1].content.strip().lower()
        elif token.type == "heading_open" and token.tag == "h2":
            variable_id = tokens[i + 1].content.strip()
            list_end = end + 1
            fields: dict[str, tuple[int, str, list[str]]] = {}
            if list_end < len(tokens) and tokens[list_end].type == "bullet_list_open":
                stop = close(tokens, list_end)
                fields, field_issues = _fields(tokens[list_end : stop + 1], where)
                issues += field_issues
                end = stop
            variable, variable_issues = _variable(variable_id, section, fields, where, line(token))
            issues += variable_issues
            if variable is not None:
                if variable.id in declared:
                    issues.append(
                        CorpusIssue(
                            where,
                            line(token),
                            f"variable '{variable.id}' declared twice "
                            f"(also at {where}:{declared[variable.id]})",
                        )
                    )
                declared.setdefault(variable.id, line(token))
                variables.append(variable)
        elif token.type == "table_open":
            issues += _table(tokens[i : end + 1], where, tables, wording)
        i = end + 1
    missing = [key for key in WORDING_KEYS if key not in dict(wording)]
    if variables and missing:
        issues.append(CorpusIssue(where, 1, f"'# Wording' table lacks {', '.join(missing)}"))
    vocabulary = Vocabulary(
        **{key: tuple(rows) for key, rows in tables.items()}, wording=tuple(wording)
    )
    return Conditions(tuple(variables), vocabulary), issues


def _fields(tokens, where: str) -> tuple[dict[str, tuple[int, str, list[str]]], list]:
    """A bullet list of ``key: value`` items, each with its nested list of items."""
    found: dict[str, tuple[int, str, list[str]]] = {}
    issues = []
    for item in fields(tokens):
        if item.key is None:
            issues.append(
                CorpusIssue(where, item.line, f"expected 'field: value', got {item.head!r}")
            )
            continue
        found[item.key] = (item.line, item.value, [text for _, text in item.nested])
    return found, issues


def _variable(variable_id, section, fields, where, at) -> tuple[Variable | None, list]:
    issues = []

    def problem(message: str, where_line: int = at) -> None:
        issues.append(CorpusIssue(where, where_line, f"variable '{variable_id}': {message}"))

    if not SLUG.match(variable_id):
        problem("id must be a lower-case slug like 'days-since-closed'")
    allowed = {"ask", "unit", "cues"} if section.startswith("quantit") else {"ask", "presumed"}
    for key, (key_line, _, _) in fields.items():
        if key not in allowed and not (key.startswith("value ") and "unit" not in allowed):
            problem(f"unknown field {key!r} (expected {', '.join(sorted(allowed))}…)", key_line)
    ask = fields.get("ask", (at, "", []))[1]
    if not ask:
        problem("missing 'ask' (the clarifying question)")
    if section.startswith("quantit"):
        unit_line, unit, _ = fields.get("unit", (at, "", []))
        if unit != "days":
            problem(f"unknown unit {unit!r}: quantities are counted in days", unit_line)
        cue_line, cues, nested = fields.get("cues", (at, "", []))
        words = word_list(", ".join([cues, *nested]))
        if not words:
            problem("missing 'cues' (words that tie a number of days to it)", cue_line)
        return Variable(variable_id, ask, unit="days", cues=words), issues
    if section.startswith("situation"):
        values = []
        for key, (value_line, label, nested) in fields.items():
            if not key.startswith("value "):
                continue
            name = key.removeprefix("value ").strip()
            phrases = word_list(", ".join(nested))
            if not label or not phrases:
                problem(f"value '{name}' needs a label and a list of phrases", value_line)
            values.append(Value(name, label, phrases))
        if len(values) < 2:
            problem("a situation needs at least two 'value NAME: label' fields")
        presumed_line, presumed, _ = fields.get("presumed", (at, "", []))
        if presumed and presumed not in {v.name for v in values}:
            problem(f"presumed value {presumed!r} is not one of its values", presumed_line)
        variable = Variable(variable_id, ask, values=tuple(values), presumed=presumed or None)
        return variable, issues
    problem("a variable must sit under '# Quantities' or '# Situations'")
    return None, issues


def _table(tokens, where: str, tables, wording) -> list[CorpusIssue]:
    rows = table_rows(tokens)
    (header_line, header), body = rows[0], rows[1:]
    kind = header[0].lower() if header else ""
    if kind == "key":
        issues = []
        for at, cells in body:
            if len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(where, at, "a wording row needs a key and a sentence"))
                continue
            problem = _template_problem(cells[0], cells[1])
            if problem:
                issues.append(CorpusIssue(where, at, problem))
            wording.append((cells[0], cells[1]))
        return issues
    if kind not in _TABLES:
        return [
            CorpusIssue(
                where,
                header_line,
                f"unknown table {kind!r}: expected one of {', '.join([*_TABLES, 'key'])}",
            )
        ]
    issues = []
    for at, cells in body:
        try:
            amount = float(cells[1])
        except (IndexError, ValueError):
            issues.append(CorpusIssue(where, at, f"{kind} row needs words and a number"))
            continue
        tables[_TABLES[kind]].extend((word, amount) for word in word_list(cells[0]))
    return issues


# The fields each wording template may use: checked at build time, filled at answer time.
_TEMPLATE_FIELDS = (
    {"said": ("figure", "because"), "in-days": ("said", "days"), "in-day": ("said", "days")}
    | {op: ("limit",) for op in OPERATORS}
    | {"and": ()}  # the word joining two figures
)
# The headline's first words and the refusal are the language's (language.md labels).
_MOVED = {"yes": "headline-claim", "no": "headline-claim", "depends": "headline-depends"}
_MOVED["not-covered"] = "headline-not-covered"


def _template_problem(key: str, template: str) -> str | None:
    if key in _MOVED:
        return f"wording {key!r} is the language's now: a '{_MOVED[key]}' row of language.md"
    if key not in _TEMPLATE_FIELDS:
        return f"unknown wording {key!r} (expected {', '.join(_TEMPLATE_FIELDS)})"
    try:
        template.format(**dict.fromkeys(_TEMPLATE_FIELDS[key], ""))
    except (KeyError, IndexError, ValueError) as err:
        fields = ", ".join("{" + f + "}" for f in _TEMPLATE_FIELDS[key])
        return f"wording {key!r}: {template!r} does not format ({err!r}); it may use {fields}"
    return None


def resolve_side(text: str, conditions: Conditions) -> tuple[Side | None, str | None]:
    """A ``when`` line as a ``Side``, or the reason it is wrong.

    "`yes` item-arrived = yes and dispute-open = yes: because" holds when all its
    conditions do.
    """
    match = _SIDE.match(text)
    if not match:
        return None, (
            f"condition {text!r} should read like '`yes` some-quantity <= 15 days: what holds then'"
        )
    verdict = match["verdict"]
    if verdict not in SIDE_VERDICTS:
        return None, f"unknown verdict {verdict!r} (expected {', '.join(SIDE_VERDICTS)})"
    found: list[Condition] = []
    for text in re.split(r"\s+and\s+", match["conditions"].strip()):
        condition, why = _condition(text, conditions)
        if condition is None:
            return None, why
        if condition.variable in {c.variable for c in found}:
            return None, f"'{condition.variable}' is compared twice in one side"
        found.append(condition)
    return Side(tuple(found), verdict, " ".join(match["because"].split())), None


def _condition(text: str, conditions: Conditions) -> tuple[Condition | None, str | None]:
    match = _CONDITION.match(text)
    if not match:
        return None, f"condition {text!r} should read like 'some-quantity <= 15 days'"
    op, value = match["op"], match["value"].strip()
    if op not in OPERATORS:
        return None, f"unknown comparison {op!r} (expected {', '.join(OPERATORS)})"
    variable = conditions.variable(match["variable"])
    if variable is None:
        known = ", ".join(v.id for v in conditions.variables) or "none: add conditions.md"
        return None, f"unknown quantity or situation {match['variable']!r} (known: {known})"
    if variable.is_quantity:
        if op == "=":
            return None, f"compare the quantity '{variable.id}' with <, <=, > or >="
        amount = _AMOUNT.match(value)
        if not amount:
            return None, f"{value!r} is not a number of days"
        unit = (amount["unit"] or "").strip().lower()
        per_unit = dict(conditions.vocabulary.units).get(unit)
        if per_unit is None:
            return None, f"bad unit {unit or '(none)'!r} for '{variable.id}': write days or weeks"
        return Condition(variable.id, op, limit=float(amount["number"]) * per_unit), None
    if op != "=":
        return None, f"compare the situation '{variable.id}' with '='"
    if variable.value(value) is None:
        names = ", ".join(v.name for v in variable.values)
        return None, f"'{variable.id}' has no value {value!r} (values: {names})"
    return Condition(variable.id, "=", value=value), None


def check_points(
    points: dict[str, list[tuple[str, int, Side]]], conditions: Conditions
) -> list[CorpusIssue]:
    """Each point's sides (path, line, side) must cover its variables exactly once: for
    every combination of their values, one side holds (none: a gap; two: an overlap)."""
    issues = []
    for point, sides in points.items():
        path, at, _ = sides[0]

        def problem(message: str, path: str = path, at: int = at, point: str = point) -> None:
            issues.append(CorpusIssue(path, at, f"point '{point}': {message}"))

        if len(sides) < 2:
            problem("a point needs two sides or more: add the other side's 'when'")
            continue
        names = list(dict.fromkeys(v for _, _, side in sides for v in side.variables))
        variables = [conditions.variable(name) for name in names]
        if any(v is None for v in variables):
            continue
        for name in names:
            ways = {c for _, _, s in sides if (c := s.on(name)) is not None}
            if len(ways) > MAX_OPTIONS:
                problem(f"{len(ways)} ways to compare '{name}'; a question can offer {MAX_OPTIONS}")
        probes = [_probes(v, [s for _, _, s in sides]) for v in variables if v is not None]
        reported: set[str] = set()
        for combination in itertools.product(*probes):
            known = {name: value for name, (value, _) in zip(names, combination, strict=True)}
            label = " and ".join(label for _, label in combination)
            holding = [(p, n) for p, n, s in sides if s.holds(known)]
            kind = "gap" if not holding else "overlap" if len(holding) > 1 else None
            if kind is None or f"{kind}:{label}" in reported:
                continue
            reported.add(f"{kind}:{label}")
            if kind == "gap":
                problem(f"no side holds for {label}: a gap")
            else:
                places = ", ".join(f"{p}:{n}" for p, n in holding)
                problem(f"two sides hold for {label} ({places}): they overlap")
    return issues


def _probes(variable: Variable, sides: list[Side]) -> list[tuple[float | str, str]]:
    """Values to test coverage at: every limit, just either side of it, and beyond."""
    if not variable.is_quantity:
        return [(v.name, f"{variable.id} '{v.name}'") for v in variable.values]
    limits = sorted(
        {c.limit for s in sides if (c := s.on(variable.id)) is not None and c.limit is not None}
    )
    probes = {0.0: "0 days", (limits[-1] if limits else 0.0) + 1000: "any number of days beyond"}
    for x in limits:
        probes |= {x - 1e-6: f"just under {x:g} days", x: f"{x:g} days"}
        probes[x + 1e-6] = f"just over {x:g} days"
    return sorted((x, label) for x, label in probes.items() if x >= 0)
