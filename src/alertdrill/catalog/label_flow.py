"""Which labels a PromQL expression's result carries, as far as they can be known.

`Labels` is partial knowledge about a set of series: labels every series has with a known value,
labels that may be present with a value not known here, and whether other labels may be present
(an exporter's own labels are never known offline). `flow` carries it through an expression as
Prometheus computes labels: aggregations keep their `by` labels, `without` drops, `on(...)` keeps
only the matching labels of a one-to-one match, `group_left(x)` copies x, `absent()` keeps the
selector's equality matchers, `label_replace` sets a label to a value not known here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from alertdrill.catalog.promql_tree import Aggregation, Binary, Call, Literal, Node, Selector

KNOWN, UNKNOWN, ABSENT = "known", "unknown", "absent"
KEEPING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
SCALARS = frozenset({"scalar", "time", "pi"})
ABSENTS = frozenset({"absent", "absent_over_time"})
EMPTY_VECTORS = frozenset({"vector"})


@dataclass(frozen=True)
class Labels:
    known: Mapping[str, str] = field(default_factory=dict)  # every series has this value
    unknown: frozenset[str] = frozenset()  # may be present; the value is not known here
    open: bool = True  # other labels may be present (an exporter's own labels)
    dropped: frozenset[str] = frozenset()  # surely absent even when open
    sources: Mapping[str, str] = field(default_factory=dict)  # label -> where its value or doubt comes from
    scalar: bool = False

    def state(self, name: str) -> str:
        if name in self.known:
            return KNOWN
        if name in self.unknown or (self.open and name not in self.dropped):
            return UNKNOWN
        return ABSENT

    def value(self, name: str) -> str | None:
        """The label's value ("" when surely absent); None when it cannot be known."""
        state = self.state(name)
        return self.known[name] if state == KNOWN else "" if state == ABSENT else None

    def with_known(self, values: Mapping[str, str], source: str) -> Labels:
        return replace(
            self,
            known={**self.known, **values},
            unknown=self.unknown - set(values),
            dropped=self.dropped - set(values),
            sources={**self.sources, **dict.fromkeys(values, source)},
        )

    def with_unknown(self, names: Iterable[str], source: str) -> Labels:
        names = set(names)
        return replace(
            self,
            known={k: v for k, v in self.known.items() if k not in names},
            unknown=self.unknown | names,
            dropped=self.dropped - names,
            sources={**self.sources, **dict.fromkeys(names, source)},
        )

    def setting(self, name: str, value: str | None, source: str) -> Labels:
        """The label set to `value`: known, removed ("": Prometheus drops empty labels), or not known (None)."""
        if value is None:
            return self.with_unknown([name], source)
        return self.with_known({name: value}, source) if value else self.without([name])

    def without(self, names: Iterable[str]) -> Labels:
        names = set(names)
        return replace(
            self,
            known={k: v for k, v in self.known.items() if k not in names},
            unknown=self.unknown - names,
            dropped=self.dropped | names,
        )

    def only(self, names: Iterable[str]) -> Labels:
        """Just these labels (an aggregation's `by`, a one-to-one `on`): nothing else is present."""
        keep = set(names)
        unknown = {n for n in keep if self.state(n) == UNKNOWN}
        return Labels(
            {k: v for k, v in self.known.items() if k in keep},
            frozenset(unknown),
            False,
            frozenset(),
            {k: v for k, v in self.sources.items() if k in keep},
        )


def merge(many: Iterable[Labels]) -> Labels:
    """What is known of the union of several sets of series (`or`, several candidate targets)."""
    items = list(many)
    if not items:
        return Labels(open=False)
    first, names = items[0], {n for item in items for n in (*item.known, *item.unknown)}
    agreed = {k: v for k, v in first.known.items() if all(item.known.get(k) == v for item in items)}
    sources: dict[str, str] = {}
    for item in reversed(items):
        sources.update(item.sources)
    return Labels(
        agreed,
        frozenset(names - set(agreed)),
        any(item.open for item in items),
        frozenset.intersection(*(item.dropped for item in items)),
        sources,
        all(item.scalar for item in items),
    )


Source = Callable[[Selector], Labels]


def selector_labels(selector: Selector, source: Source) -> Labels:
    """The series' labels from `source`, with what the selector's own equality matchers fix."""
    labels = source(selector)
    fixed = {m.name: m.value for m in selector.matchers if m.op == "=" and m.name != "__name__"}
    labels = labels.with_known({k: v for k, v in fixed.items() if v}, f"the selector {selector.text}")
    return labels.without(["__name__", *(k for k, v in fixed.items() if not v)])


def flow(node: Node, source: Source) -> Labels:
    """The labels of the expression's result (never `__name__`: alerts do not carry it)."""
    if isinstance(node, Selector):
        return selector_labels(node, source)
    if isinstance(node, Literal):
        return Labels(open=False, scalar=True)
    if isinstance(node, Aggregation):
        return _aggregation(node, source)
    if isinstance(node, Call):
        return _call(node, source)
    return _binary(node, source)


def _aggregation(node: Aggregation, source: Source) -> Labels:
    inner = flow(node.args[-1], source) if node.args else Labels(open=False)
    if node.op in KEEPING:
        return inner
    grouping = node.grouping or ()
    result = inner.without(grouping) if node.without else inner.only(grouping)
    if node.op == "count_values" and node.args and isinstance(node.args[0], Literal) and node.args[0].text:
        result = result.with_unknown([node.args[0].text], "count_values")
    return result


def _call(node: Call, source: Source) -> Labels:
    name = node.name.lower()
    if name in SCALARS:
        return Labels(open=False, scalar=True)
    if name in EMPTY_VECTORS:
        return Labels(open=False)
    if name in ABSENTS:
        arg = node.args[0] if node.args and isinstance(node.args[0], Selector) else Selector((), "")
        fixed = {m.name: m.value for m in arg.matchers if m.op == "=" and m.name != "__name__" and m.value}
        return Labels(open=False).with_known(fixed, f"{name}({arg.text})")
    vectors = [flow(arg, source) for arg in node.args if not isinstance(arg, Literal)]
    labels = next((v for v in vectors if not v.scalar), Labels(open=False))
    if name in ("label_replace", "label_join") and len(node.args) > 1 and isinstance(node.args[1], Literal):
        return labels.with_unknown([node.args[1].text or ""], f"{name}(...)")
    return labels.without(["le"]) if name == "histogram_quantile" else labels


def _binary(node: Binary, source: Source) -> Labels:
    lhs, rhs = flow(node.lhs, source), flow(node.rhs, source)
    if lhs.scalar or rhs.scalar:
        return rhs if lhs.scalar and not rhs.scalar else lhs
    if node.op in ("and", "unless"):
        return lhs
    if node.op == "or":
        return merge([lhs, rhs])
    if node.card == "right":
        lhs, rhs = rhs, lhs
    if node.card == "one" and node.matching is not None:
        return lhs.only(node.matching) if node.on else lhs.without(node.matching)
    for name in node.include:
        lhs = lhs.setting(name, rhs.value(name), f"group_{node.card}({name})")
    return lhs
