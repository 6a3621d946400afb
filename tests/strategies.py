"""Hypothesis strategies shared by the property tests: tag sequences and entity spans."""

from hypothesis import strategies as st

from xner.data.entity import Entity

LABELS = ("PER", "LOC", "ORG")


@st.composite
def spans(draw: st.DrawFn, labels: tuple[str, ...] = LABELS) -> tuple[int, list[Entity]]:
    """A sentence length and its entities: sorted, disjoint, of 1-3 words, gaps of 0-2 words."""
    pieces = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(1, 3), st.sampled_from(labels)), max_size=5
        )
    )
    found, at = [], draw(st.integers(0, 2))
    for gap, length, label in pieces:
        found.append(Entity(at, at + length, label))
        at += length + gap
    return at + draw(st.integers(0, 2)), found


def tag_lists(labels: tuple[str, ...] = LABELS) -> st.SearchStrategy[list[str]]:
    """Any sequence of O, B-X and I-X tags, orphan I-X included."""
    names = ["O", *(f"{p}-{label}" for label in labels for p in "BI")]
    return st.lists(st.sampled_from(names), max_size=12)
