"""What lies inside a jurisdiction, computed from the roster tables alone (not the graph).

The attack suite compares every code an answer holds with this, so the rules here are
written out again from design/audits.md and graph/queries/scope.py rather than asked of
the code under test: places by IN; organizations by where they sit, manage, serve or are
responsible for; party orgs by what they cover (a place, or a unit and where it sits);
people by residence, registration, posts or membership (not by employer).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from loaders.synthetic import Tables

COMMITTEES = {"业主委员会", "自管委员会"}


@dataclass
class Truth:
    parent: dict[str, str | None] = field(default_factory=dict)  # place → enclosing place
    level: dict[str, str] = field(default_factory=dict)  # place → district/street/…/building
    org_places: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    org_responsible: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    org_located: dict[str, str] = field(default_factory=dict)
    covers: dict[str, list[str]] = field(default_factory=dict)
    person_places: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_orgs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_party: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    residence: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, tables: Tables) -> Truth:
        t = cls()
        rows = tables.rows
        levels = {"区县": "district", "街道": "street", "社区": "community"}
        for code, name, level, parent, _ in rows["regions"]:
            t.parent[code], t.level[code], t.names[code] = parent or None, levels[level], name
        for code, name, community, *_ in rows["grids"]:
            t.parent[code], t.level[code], t.names[code] = community, "grid", name
        for code, name, grid, *_ in rows["compounds"]:
            t.parent[code], t.level[code], t.names[code] = grid, "compound", name
        for code, name, parent, *_ in rows["buildings"]:
            t.parent[code], t.level[code], t.names[code] = parent, "building", name
        for code, name, kind, location, compound in rows["organizations"]:
            t.names[code] = name
            if location:
                t.org_places[code].add(location)
                t.org_located[code] = location
            if compound and kind in COMMITTEES:
                t.org_places[code].add(compound)
        for code, name, _k, _c, _p, covers, _f in rows["party_orgs"]:
            t.names[code] = name
            t.covers[code] = [c for c in str(covers).replace("；", ";").split(";") if c]
        for code, name, _id, phone, _g, _ps, _ms, party_org, _employer, residence in \
                rows["people"]:
            t.names[code] = name
            if phone:
                t.phones[code] = phone
            if party_org:
                t.person_party[code].add(party_org)
            # an employer places nobody (graph/queries/scope.py)
            if residence:
                t.person_places[code].add(residence)
                t.residence[code] = residence
        for person, target, *_ in rows["posts"]:
            if target in t.parent:
                t.person_places[person].add(target)
            elif target in t.covers:
                t.person_party[person].add(target)
            else:
                t.person_orgs[person].add(target)
        for source, kind, target, _ in rows["relations"]:
            if kind == "双报到":
                t.person_places[source].add(target)
            elif kind == "物业服务":
                t.org_places[source].add(target)
            elif kind == "主管单位":
                t.org_responsible[source].add(target)
        return t

    def places_in(self, j: str) -> set[str]:
        inside = set()
        for code in self.parent:
            at: str | None = code
            while at is not None:
                if at == j:
                    inside.add(code)
                    break
                at = self.parent.get(at)
        return inside

    def inside(self, j: str) -> set[str]:
        """Every code a caller bound to place `j` may see."""
        places = self.places_in(j)
        # a person reaches an organization's place by LOCATED_IN, MANAGES or SERVES only
        orgs = {o for o in set(self.org_places) | set(self.org_responsible)
                if (self.org_places.get(o, set()) | self.org_responsible.get(o, set()))
                & places}
        party = {g for g, covered in self.covers.items()
                 if any(c in places or self.org_located.get(c) in places for c in covered)}
        people = {p for p in set(self.person_places) | set(self.person_orgs)
                  | set(self.person_party)
                  if self.person_places.get(p, set()) & places
                  or any(self.org_places.get(o, set()) & places
                         for o in self.person_orgs.get(p, ()))
                  or self.person_party.get(p, set()) & party}
        return places | orgs | party | people
