"""Posts (任职) and cross-appointments (交叉任职): the links a person holds on nodes.

The node types list them (`posts`, `crossAppointments`), so this module does not import
the node types back at load time: it names them with strawberry.lazy, as types.py does
the audit types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from graph.domain import Label
from graph.records import CrossAppointmentRecord, NodeRecord, PostRecord
from schema.enums import Role, as_enum

if TYPE_CHECKING:
    from schema.types import Compound, Node, Person


@strawberry.type(description="A post (任职): a person holding a role on a target.")
class Post:
    role: Role | None = strawberry.field(description="Role (职务).")
    role_label: str = strawberry.field(description="Chinese label of the role (职务名称).")
    start: str | None = strawberry.field(description="Start date, ISO 8601 (任职开始).")
    end: str | None = strawberry.field(description="End date, ISO 8601; null while current.")
    current: bool = strawberry.field(description="Held today (end is null or in the future).")
    other: strawberry.Private[NodeRecord]
    scope: strawberry.Private[str | None]

    @classmethod
    def many(cls, posts: list[PostRecord], today: str, scope: str | None,
             current_only: bool) -> list[Post]:
        out = []
        for p in posts:
            current = p.is_current(today)
            if current_only and not current:
                continue
            role = as_enum(Role, p.role)
            out.append(cls(role=role, role_label=role.zh if role else p.role, start=p.start,
                           end=p.end, current=current, other=p.node, scope=scope))
        return out

    @strawberry.field(description="The person holding the post (when listed on a target).")
    def holder(self) -> Annotated[Person, strawberry.lazy("schema.types")] | None:
        from schema.types import Person

        return Person.from_record(self.other, self.scope) \
            if self.other.label is Label.PERSON else None

    @strawberry.field(description="What the post is held on (when listed on a person).")
    def target(self) -> Annotated[Node, strawberry.lazy("schema.types")] | None:
        from schema.types import node_from_record

        return None if self.other.label is Label.PERSON else node_from_record(self.other,
                                                                              self.scope)


@strawberry.type(description="A person cross-appointed for a compound (交叉任职): posts on the "
                             "party side and on the governance side.")
class CrossAppointment:
    compound: Annotated[Compound, strawberry.lazy("schema.types")] = strawberry.field(
        description="The compound (小区).")
    person: Annotated[Person, strawberry.lazy("schema.types")] = strawberry.field(
        description="The cross-appointed person.")
    party_posts: list[Post] = strawberry.field(
        description="Current posts in party orgs covering the compound (党组织任职).")
    governance_posts: list[Post] = strawberry.field(
        description="Current posts in its property company or committee (物业/业委会任职).")

    @classmethod
    def from_record(cls, rec: CrossAppointmentRecord, today: str,
                    scope: str | None) -> CrossAppointment:
        from schema.types import Compound, Person

        return cls(compound=Compound.from_record(rec.compound, scope),
                   person=Person.from_record(rec.person, scope),
                   party_posts=Post.many(rec.party, today, scope, False),
                   governance_posts=Post.many(rec.governance, today, scope, False))

