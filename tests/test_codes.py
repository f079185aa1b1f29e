"""The loader's code index: kinds as bit masks, from the load and from the graph."""

from __future__ import annotations

from loaders.codes import CodeIndex, kind_of, kinds_of, mask


def test_kinds_from_the_load_and_the_graph_are_kept_apart() -> None:
    index = CodeIndex()
    index.add("C1", "compound")
    index.add_graph("C1", ["Place", "Grid"], None)
    index.add_graph("R1", ["Place", "Region"], "community")
    assert kinds_of(index.kinds("C1")) == {"compound", "grid"}
    assert kinds_of(index.named("C1")) == {"compound"}  # what this load's rows say
    assert index.named("R1") == 0
    assert index.match("R1", mask({"community", "street"})) == "community"
    assert index.match("R1", mask({"grid"})) is None
    assert "R1" in index
    assert "X" not in index
    assert index.kinds("X") == 0


def test_the_first_kind_alphabetically_wins_when_several_fit() -> None:
    index = CodeIndex()
    index.add("B1", "grid")
    index.add("B1", "compound")
    assert index.match("B1", mask({"compound", "grid"})) == "compound"
    assert kind_of(0) is None


def test_an_unknown_region_level_adds_no_kind() -> None:
    index = CodeIndex()
    index.add_graph("R9", ["Place", "Region"], "province")
    assert index.kinds("R9") == 0
