"""Does a territory cover an address? Pure: regions, postcode prefixes, a polygon."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    regions: frozenset[int] = frozenset()
    postcode_prefixes: tuple[str, ...] = ()
    polygon: tuple[tuple[float, float], ...] = ()  # (longitude, latitude) ring

    @property
    def empty(self) -> bool:
        return not (self.regions or self.postcode_prefixes or self.polygon)


@dataclass(frozen=True)
class Place:
    region: int | None = None
    postcode: str = ""
    lon: float | None = None
    lat: float | None = None


def point_in_polygon(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Even-odd ray casting; a point on an edge counts as inside."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        # On the segment?
        cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
        if (
            abs(cross) < 1e-12
            and min(x1, x2) <= lon <= max(x1, x2)
            and min(y1, y2) <= lat <= max(y1, y2)
        ):
            return True
        if (y1 > lat) != (y2 > lat):
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_at:
                inside = not inside
    return inside


def covers(area: Area, place: Place) -> bool:
    """An area covers a place matched by any of its criteria (an empty area covers nothing)."""
    if place.region is not None and place.region in area.regions:
        return True
    if place.postcode and any(place.postcode.startswith(p) for p in area.postcode_prefixes if p):
        return True
    if len(area.polygon) >= 3 and place.lon is not None and place.lat is not None:
        return point_in_polygon(place.lon, place.lat, area.polygon)
    return False
