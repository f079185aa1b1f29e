"""Plain dataclasses the repository returns; the schema layer maps them to GraphQL types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.domain import PLACE_KINDS, Label

_KIND_ORDER = (Label.REGION, Label.GRID, Label.COMPOUND, Label.BUILDING,
               Label.PARTY_ORG, Label.ORGANIZATION, Label.PERSON)


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node: its most specific label, code, and every stored property."""

    label: Label
    code: str
    props: dict[str, Any]

    @classmethod
    def from_row(cls, node: dict[str, Any]) -> NodeRecord:
        labels = set(node.get("labels") or ())
        label = next((lbl for lbl in _KIND_ORDER if lbl.value in labels), Label.PLACE)
        props = {k: v for k, v in node.items() if k != "labels"}
        return cls(label, str(node["code"]), props)

    def get(self, key: str) -> Any:
        return self.props.get(key)

    @property
    def name(self) -> str:
        return str(self.props.get("name") or "")

    @property
    def base_label(self) -> Label:
        """The label codes are unique under: Place for every kind of place."""
        return Label.PLACE if self.label in PLACE_KINDS or self.label is Label.PLACE \
            else self.label

    @property
    def key(self) -> tuple[str, str]:
        """Identity across labels: (base label, code)."""
        return (self.base_label.value, self.code)

    @property
    def level(self) -> str:
        """Containment level: the region level, or grid / compound / building."""
        if self.label is Label.REGION:
            return str(self.props.get("level") or "")
        return self.label.value.lower()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list ordered by code; `total` counts the whole list."""

    items: list[NodeRecord]
    total: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class PostRecord:
    role: str
    start: str | None
    end: str | None
    #: The other end: the target when listing a person's posts, the holder otherwise.
    node: NodeRecord

    def is_current(self, today: str) -> bool:
        return self.end is None or self.end > today


@dataclass(frozen=True, slots=True)
class AuditGroup:
    code: str | None
    name: str | None
    eligible: int
    covered: int

    @property
    def rate(self) -> float | None:
        return self.covered / self.eligible if self.eligible else None


@dataclass(frozen=True, slots=True)
class AuditSummary:
    metric: str
    scope: str | None
    eligible: int
    covered: int
    groups: list[AuditGroup] = field(default_factory=list)
    #: The snapshot the figures were read from; None when computed.
    snapshot: str | None = None

    @property
    def rate(self) -> float | None:
        return self.covered / self.eligible if self.eligible else None

    @property
    def gap_count(self) -> int:
        return self.eligible - self.covered


@dataclass(frozen=True, slots=True)
class AuditGap:
    code: str
    name: str
    reasons: list[str]
    community_code: str | None
    community_name: str | None
    street_code: str | None
    street_name: str | None


@dataclass(frozen=True, slots=True)
class CrossAppointmentRecord:
    """A person cross-appointed for a compound, with the posts on each side."""

    compound: NodeRecord
    person: NodeRecord
    party: list[PostRecord]
    governance: list[PostRecord]


@dataclass(frozen=True, slots=True)
class CommunityCount:
    code: str | None
    name: str | None
    people: int
    compounds: int
    pairs: int


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One party org of a chain of command; depth 0 is the nearest."""

    org: NodeRecord
    depth: int
    secretaries: list[NodeRecord]


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A relationship between two nodes of a path or neighbourhood, by node key."""

    type: str
    start: tuple[str, str]
    end: tuple[str, str]
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PathRecord:
    nodes: list[NodeRecord]
    links: list[LinkRecord]


@dataclass(frozen=True, slots=True)
class NeighbourhoodRecord:
    center: NodeRecord
    #: Nodes with their distance in hops from the center (the center itself at 0).
    nodes: list[tuple[NodeRecord, int]]
    links: list[LinkRecord]
    #: True when the node limit cut the neighbourhood short.
    truncated: bool


@dataclass(frozen=True, slots=True)
class PairingRecord:
    relation: str
    institution: NodeRecord
    place: NodeRecord
    members: list[NodeRecord]


@dataclass(frozen=True, slots=True)
class PlaceGaps:
    """One audit's gaps inside a place: the first few and how many in all."""

    metric: str
    total: int
    gaps: list[AuditGap]


@dataclass(frozen=True, slots=True)
class KindCount:
    """How many nodes of one kind (e.g. party organizations that are temporary branches)."""

    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class PostSpan:
    """One post as stored: who held which org's post from when until when (ISO dates;
    `start` unknown or `end` open when None)."""

    org: str
    person: str
    start: str | None
    end: str | None


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A recorded snapshot: `seq` orders them; `metrics` is the order of figure lists."""

    code: str
    seq: int
    taken_at: str
    as_of: str
    load_id: str | None
    taken_by: str
    metrics: list[str]
    gaps: int

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> SnapshotRecord:
        return cls(str(r["code"]), int(r["seq"]), str(r["taken_at"]), str(r["as_of"]),
                   r["load_id"], str(r["taken_by"]), list(r["metrics"]), int(r["gaps"]))


@dataclass(frozen=True, slots=True)
class PlaceFigures:
    """One place's eligible and covered counts per metric at one snapshot."""

    seq: int
    place: str
    level: str
    parent: str | None
    name: str
    eligible: list[int]
    covered: list[int]

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> PlaceFigures:
        return cls(int(r["seq"]), str(r["place"]), str(r["level"]), r["parent"],
                   str(r["name"] or ""), [int(v) for v in r["eligible"]],
                   [int(v) for v in r["covered"]])


@dataclass(slots=True)
class TrackedGap:
    """A gap across snapshots: its episodes (`opened[i]` … `closed[i]`, 0 = still open) and
    the reasons it had, logged as `"<seq>:<reason>,<reason>"` when they changed."""

    code: str
    metric: str
    target: str
    name: str
    places: list[str]
    community: str | None
    community_name: str | None
    street: str | None
    street_name: str | None
    reasons: list[str]
    reason_log: list[str]
    opened: list[int]
    closed: list[int]
    open: bool
    removed: bool

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> TrackedGap:
        return cls(str(r["code"]), str(r["metric"]), str(r["target"]), str(r["name"] or ""),
                   list(r["places"] or ()), r["community"], r["community_name"], r["street"],
                   r["street_name"], list(r["reasons"] or ()), list(r["reason_log"] or ()),
                   [int(v) for v in r["opened"]], [int(v) for v in r["closed"]],
                   bool(r["open"]), bool(r["removed"]))

    def as_row(self) -> dict[str, Any]:
        return {"code": self.code, "metric": self.metric, "target": self.target,
                "name": self.name, "places": self.places, "community": self.community,
                "community_name": self.community_name, "street": self.street,
                "street_name": self.street_name, "reasons": self.reasons,
                "reason_log": self.reason_log, "opened": self.opened, "closed": self.closed,
                "open": self.open, "removed": self.removed}

    def open_at(self, seq: int) -> bool:
        """Whether the gap was open in snapshot `seq`."""
        return any(o <= seq and (c == 0 or c > seq)
                   for o, c in zip(self.opened, self.closed, strict=True))

    def episode_at(self, seq: int) -> tuple[int, int] | None:
        """The (opened, closed) episode open in snapshot `seq`."""
        for o, c in zip(self.opened, self.closed, strict=True):
            if o <= seq and (c == 0 or c > seq):
                return o, c
        return None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    code: str
    metric: str
    scope: str | None
    deadline: str
    note: str
    issued_at: str
    issued_by: str
    seq: int

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> NoticeRecord:
        return cls(str(r["code"]), str(r["metric"]), r["scope"], str(r["deadline"]),
                   str(r["note"] or ""), str(r["issued_at"]), str(r["issued_by"]),
                   int(r["seq"]))
