"""GraphQL types of the linkage queries (design/linkage.md): chain of command, connection
paths, neighbourhood, pairing and the cross-appointment list."""

from __future__ import annotations

import strawberry

from graph.records import (
    ChainLink as ChainLinkRecord,
)
from graph.records import (
    CommunityCount,
    LinkRecord,
    NeighbourhoodRecord,
    NodeRecord,
    PairingRecord,
    PathRecord,
)
from schema.enums import RelType, Role, SearchType
from schema.paging import PageInfo
from schema.posts import CrossAppointment
from schema.types import (
    Node,
    Organization,
    PartyOrg,
    Person,
    Place,
    node_from_record,
    place_from_record,
)


@strawberry.type(description="A party organization in a chain of command (指挥链), with its "
                             "current secretaries; depth 0 is the nearest.")
class ChainLink:
    depth: int = strawberry.field(description="Steps up UNDER from the nearest organization.")
    party_org: PartyOrg = strawberry.field(description="The party organization (党组织).")
    secretaries: list[Person] = strawberry.field(description="Current secretaries (书记).")

    @classmethod
    def from_record(cls, rec: ChainLinkRecord, scope: str | None) -> ChainLink:
        return cls(depth=rec.depth, party_org=PartyOrg.from_record(rec.org, scope),
                   secretaries=[Person.from_record(s, scope) for s in rec.secretaries])


@strawberry.type(description="A relationship between two nodes of a path or neighbourhood, "
                             "by the codes and kinds of its ends (direction as stored).")
class GraphRelationship:
    type: RelType = strawberry.field(description="Relationship type.")
    start_code: str = strawberry.field(description="Code of the node it starts at.")
    start_kind: SearchType = strawberry.field(description="Kind of the node it starts at.")
    end_code: str = strawberry.field(description="Code of the node it ends at.")
    end_kind: SearchType = strawberry.field(description="Kind of the node it ends at.")
    role: Role | None = strawberry.field(description="Role of a post (HOLDS_POST only).")
    since: str | None = strawberry.field(description="Start date of a post (任职开始).")
    until: str | None = strawberry.field(description="End date of a post (任职结束).")

    @classmethod
    def from_record(cls, rec: LinkRecord) -> GraphRelationship:
        role = str(rec.props.get("role") or "")
        return cls(type=RelType(rec.type), start_code=rec.start[1],
                   start_kind=SearchType(rec.start[0]), end_code=rec.end[1],
                   end_kind=SearchType(rec.end[0]),
                   role=Role(role) if role in Role._value2member_map_ else None,
                   since=rec.props.get("start"), until=rec.props.get("end"))


@strawberry.type(description="One path: its nodes in order and the relationships between them.")
class GraphPath:
    length: int = strawberry.field(description="Number of relationships (hops).")
    nodes: list[Node] = strawberry.field(description="Nodes from `from` to `to`.")
    relationships: list[GraphRelationship] = strawberry.field(
        description="relationships[i] joins nodes[i] and nodes[i + 1].")

    @classmethod
    def from_record(cls, rec: PathRecord, scope: str | None) -> GraphPath:
        return cls(length=len(rec.links), nodes=[node_from_record(n, scope) for n in rec.nodes],
                   relationships=[GraphRelationship.from_record(x) for x in rec.links])


@strawberry.type(description="How two nodes are linked (关联路径): every shortest path.")
class ConnectionPaths:
    source: Node = strawberry.field(name="from", description="The node the paths start at.")
    target: Node = strawberry.field(name="to", description="The node the paths end at.")
    length: int | None = strawberry.field(
        description="Hops of the shortest path; null when none within maxHops.")
    paths: list[GraphPath] = strawberry.field(
        description="Shortest paths, ordered by the codes along them.")

    @classmethod
    def build(cls, source: NodeRecord, target: NodeRecord, paths: list[PathRecord],
              scope: str | None) -> ConnectionPaths:
        return cls(source=node_from_record(source, scope), target=node_from_record(target, scope),
                   length=len(paths[0].links) if paths else None,
                   paths=[GraphPath.from_record(p, scope) for p in paths])


@strawberry.type(description="A node of a neighbourhood with its distance from the center.")
class NeighbourNode:
    distance: int = strawberry.field(description="Hops from the center (the center is 0).")
    node: Node = strawberry.field(description="The node.")


@strawberry.type(description="Nodes and relationships around a node, for graph views (周边关系).")
class Neighbourhood:
    center: Node = strawberry.field(description="The node asked about.")
    nodes: list[NeighbourNode] = strawberry.field(
        description="The center and the nodes within `hops`, nearer first.")
    relationships: list[GraphRelationship] = strawberry.field(
        description="Relationships among the listed nodes.")
    truncated: bool = strawberry.field(
        description="The node limit cut the neighbourhood short.")

    @classmethod
    def from_record(cls, rec: NeighbourhoodRecord, scope: str | None) -> Neighbourhood:
        return cls(center=node_from_record(rec.center, scope),
                   nodes=[NeighbourNode(distance=d, node=node_from_record(n, scope))
                          for n, d in rec.nodes],
                   relationships=[GraphRelationship.from_record(x) for x in rec.links],
                   truncated=rec.truncated)


@strawberry.type(description="An institution linked to a place (结对共建 / 主管单位), with its "
                             "in-service members registered there (双报到).")
class PairingLink:
    relation: RelType = strawberry.field(
        description="PAIRED_WITH (结对共建, 一包五帮) or RESPONSIBLE_FOR (主管单位).")
    institution: Organization = strawberry.field(description="The institution (机关企事业单位).")
    place: Place = strawberry.field(description="The place.")
    registered_members: list[Person] = strawberry.field(
        description="In-service members employed by the institution who registered with a "
                    "community that is the place, lies in it or encloses it.")

    @classmethod
    def from_record(cls, rec: PairingRecord, scope: str | None) -> PairingLink:
        return cls(relation=RelType(rec.relation),
                   institution=Organization.from_record(rec.institution, scope),
                   place=place_from_record(rec.place, scope),
                   registered_members=[Person.from_record(m, scope) for m in rec.members])


@strawberry.type(description="Pairing of an institution or a place (结对共建).")
class Pairing:
    subject: Node = strawberry.field(description="The institution or place asked about.")
    links: list[PairingLink] = strawberry.field(
        description="Links in (place, institution, relation) code order.")


@strawberry.type(description="Cross-appointments in one community (交叉任职 by 社区).")
class CrossAppointmentCount:
    community_code: str | None = strawberry.field(description="Community code (社区).")
    community_name: str | None = strawberry.field(description="Community name.")
    people: int = strawberry.field(description="Cross-appointed people.")
    compounds: int = strawberry.field(description="Compounds with a cross-appointed person.")
    appointments: int = strawberry.field(description="(compound, person) pairs.")

    @classmethod
    def from_record(cls, rec: CommunityCount) -> CrossAppointmentCount:
        return cls(community_code=rec.code, community_name=rec.name, people=rec.people,
                   compounds=rec.compounds, appointments=rec.pairs)


@strawberry.type(description="An item of the cross-appointment list with its cursor.")
class CrossAppointmentEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: CrossAppointment = strawberry.field(description="The item.")


@strawberry.type(description="Cross-appointments in a scope, ordered by (compound, person) "
                             "code, with counts by community (Relay connection).")
class CrossAppointmentConnection:
    edges: list[CrossAppointmentEdge] = strawberry.field(description="Items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies in the list.")
    total_count: int = strawberry.field(description="(compound, person) pairs in the scope.")
    by_community: list[CrossAppointmentCount] = strawberry.field(
        description="Counts per community in code order (统计).")

    @strawberry.field(description="Items of this page without cursors.")
    def nodes(self) -> list[CrossAppointment]:
        return [edge.node for edge in self.edges]
