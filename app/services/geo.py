"""Positions for the pre-shift sign-in: GCJ-02 ↔ WGS-84 and distances on the ground.

Chinese map services (高德, 腾讯) show and give GCJ-02 coordinates; a phone's GPS and the
browser's Geolocation API give WGS-84. In Shanghai the two differ by several hundred
metres, so a project point typed from a map is converted to WGS-84 before measuring.
The forward transform is the published GCJ-02 algorithm (Krasovsky ellipsoid); the
inverse is found by fixed-point iteration to well under a millimetre.
"""
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG)
_A = 6378245.0               # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323

WGS84, GCJ02 = "wgs84", "gcj02"
COORD_SYSTEMS = (GCJ02, WGS84)


def in_mainland_china(lng: float, lat: float) -> bool:
    """The rough box GCJ-02 applies to (outside it the two systems coincide)."""
    return 72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271


def _offset(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
             + (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
             + (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
             + (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0)
    d_lng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
             + (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
             + (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
             + (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * pi
    magic = 1 - _EE * sin(rad_lat) ** 2
    sqrt_magic = sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * cos(rad_lat) * pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if not in_mainland_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _offset(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 image is (lng, lat)."""
    w_lng, w_lat = lng, lat
    for _ in range(30):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        e_lng, e_lat = g_lng - lng, g_lat - lat
        w_lng, w_lat = w_lng - e_lng, w_lat - e_lat
        if abs(e_lng) < 1e-10 and abs(e_lat) < 1e-10:
            break
    return w_lng, w_lat


def to_wgs84(lng: float, lat: float, system: str) -> tuple[float, float]:
    if system == GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if system == WGS84:
        return lng, lat
    raise ValueError(f"unknown coordinate system {system!r}")


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    p1, p2 = radians(lat1), radians(lat2)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def offset_point(lng: float, lat: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """A point the given metres north and east of (lng, lat) — for placing test positions."""
    d_lat = north_m / EARTH_RADIUS_M * 180 / pi
    d_lng = east_m / (EARTH_RADIUS_M * cos(radians(lat))) * 180 / pi
    return lng + d_lng, lat + d_lat
