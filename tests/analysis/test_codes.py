import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from analysis.codes import (
    bits_to_codes,
    code_strings,
    codes_to_bits,
    occupancy,
    regions_by_group,
    shared_regions,
    subregion_codes,
    transition_counts,
)
from analysis.errors import AnalysisError
from analysis.pieces import linear_pieces
from tests.analysis.networks import random_alrnn


@given(st.lists(st.booleans(), min_size=0, max_size=62))
def test_bits_and_codes_round_trip(bits):
    bits = np.array(bits, dtype=bool)
    code = bits_to_codes(bits)
    np.testing.assert_array_equal(codes_to_bits(code, len(bits)), bits)


def test_codes_read_the_last_units_and_mark_padding():
    states = torch.tensor([[[5.0, 1.0, -1.0], [-5.0, 0.0, 2.0], [0.0, 1.0, 1.0]]])
    mask = np.array([[True, True, False]])
    codes = subregion_codes(states, relu_units=2, mask=mask)
    assert codes.tolist() == [[1, 2, -1]]
    assert code_strings(codes, 2).tolist() == [["10", "01", "-"]]


def test_occupancy_and_transitions():
    codes = np.array([[0, 0, 1, 3, -1], [1, 1, 1, 0, 0]])
    table = occupancy(codes, relu_units=2)
    assert table["subregion"].values.tolist() == [0, 1, 3]  # ties keep code order
    assert table["count"].values.tolist() == [4, 4, 1]
    assert table.attrs == {"regions_used": 3, "regions_possible": 4}
    transitions = transition_counts(codes)
    assert int(transitions.sel(source=0, target=1)) == 1
    assert int(transitions.sel(source=1, target=1)) == 2
    assert int(transitions.sum()) == 7


def test_regions_by_group_and_sharing():
    codes = np.array([[0, 1], [0, 2], [3, 3]])
    rules = np.array(["a", "b", "b"])
    table = regions_by_group(codes, rules, relu_units=2)
    np.testing.assert_allclose(table.sum("subregion"), 1.0)
    np.testing.assert_allclose(table.sel(group="a").values, [0.5, 0.5, 0, 0])
    shared = shared_regions(table)
    np.testing.assert_allclose(shared["jaccard"].sel(group="a", other="b"), 1 / 4)
    np.testing.assert_allclose(shared["shared_fraction"].values, [0.5, 0.25])
    assert shared["exclusive"].sel(group="b").values.tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_bad_labels_shape():
    with pytest.raises(AnalysisError, match="labels must have shape"):
        regions_by_group(np.zeros((2, 3), int), np.zeros(3), 1)


def test_linear_pieces_match_the_map_inside_each_subregion():
    plrnn = random_alrnn(1, 5, 3)
    rng = np.random.default_rng(0)
    states = rng.normal(size=(20, 5))
    inputs = np.array([0.5, -1.0])
    codes = subregion_codes(states, 3)
    pieces = linear_pieces(plrnn, np.unique(codes), inputs, dt=20.0)
    for state, code in zip(states, codes, strict=True):
        piece = pieces.sel(subregion=code)
        affine = piece["jacobian"].values @ state + piece["offset"].values
        np.testing.assert_allclose(affine, plrnn.step(state, inputs))
    radius = np.abs(pieces["eigenvalues"]).max("mode")
    np.testing.assert_allclose(pieces["spectral_radius"], radius)
    assert pieces.attrs["time_unit"] == "ms"
