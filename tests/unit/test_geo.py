"""GCJ-02 ↔ WGS-84 against the published reference pairs, and distances."""
import pytest

from app.services import geo

# (WGS-84 lng, lat) → (GCJ-02 lng, lat): the reference vectors published with the
# eviltransform implementations (Shanghai, Shenzhen, Beijing).
REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]


@pytest.mark.parametrize("wgs, gcj", REFERENCE)
def test_forward_matches_the_reference_pairs(wgs, gcj):
    assert geo.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize("wgs, gcj", REFERENCE)
def test_inverse_recovers_the_gps_position_to_a_millimetre(wgs, gcj):
    back = geo.gcj02_to_wgs84(*gcj)
    assert geo.distance_m(*back, *wgs) < 0.001


def test_the_offset_in_shanghai_is_hundreds_of_metres():
    wgs, gcj = REFERENCE[0]
    assert 400 < geo.distance_m(*wgs, *gcj) < 700  # why the conversion matters for a 300 m range


def test_outside_mainland_china_the_systems_coincide():
    tokyo = (139.6917, 35.6895)
    assert not geo.in_mainland_china(*tokyo)
    assert geo.wgs84_to_gcj02(*tokyo) == tokyo and geo.gcj02_to_wgs84(*tokyo) == tokyo
    assert geo.in_mainland_china(121.47, 31.23)


def test_haversine_against_known_distances():
    # One degree of latitude is 111.2 km on the mean sphere; Shanghai–Beijing ≈ 1,067 km.
    assert geo.distance_m(121.0, 31.0, 121.0, 32.0) == pytest.approx(111_195, rel=1e-4)
    assert geo.distance_m(121.4737, 31.2304, 116.4074, 39.9042) == pytest.approx(1_067_000, rel=0.01)
    assert geo.distance_m(121.5, 31.2, 121.5, 31.2) == 0


@pytest.mark.parametrize("north, east", [(290, 0), (0, 310), (-200, 200)])
def test_offset_point_lands_where_asked(north, east):
    lng, lat = geo.offset_point(121.47, 31.23, north_m=north, east_m=east)
    assert geo.distance_m(121.47, 31.23, lng, lat) == pytest.approx((north ** 2 + east ** 2) ** 0.5, rel=1e-3)
