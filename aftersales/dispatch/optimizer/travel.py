"""Distance and travel time between places.

A travel model turns a list of points into two integer matrices: distance (metres, or the
benchmark's unit) and duration (seconds). The default is the great-circle distance times a
detour factor at an average speed; a road-network provider only has to implement `matrices`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Point:
    """x is the longitude (or a plain coordinate), y the latitude."""

    x: float
    y: float


class Travel(Protocol):
    def matrices(self, points: list[Point]) -> tuple[IntMatrix, IntMatrix]:
        """(distance, duration) between every pair of points, as int64 matrices."""
        ...


def haversine_m(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.y), math.radians(b.y)
    dlat = lat2 - lat1
    dlon = math.radians(b.x - a.x)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance × detour factor, driven at a constant average speed."""

    detour: float = 1.3
    speed_kmh: float = 30.0

    def matrices(self, points: list[Point]) -> tuple[IntMatrix, IntMatrix]:
        lon = np.radians(np.array([p.x for p in points], dtype=float))
        lat = np.radians(np.array([p.y for p in points], dtype=float))
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) * self.detour
        seconds = metres / (self.speed_kmh / 3.6)
        return np.rint(metres).astype(np.int64), np.ceil(seconds).astype(np.int64)


@dataclass(frozen=True)
class EuclideanTravel:
    """Straight-line distance; travel time equals distance (the Solomon benchmark's rule).

    Values are multiplied by `scale` and made integers: distances rounded, durations rounded up
    so that a plan feasible in integers is feasible in exact arithmetic.
    """

    scale: int = 1000

    def matrices(self, points: list[Point]) -> tuple[IntMatrix, IntMatrix]:
        xs = np.array([p.x for p in points], dtype=float)
        ys = np.array([p.y for p in points], dtype=float)
        d = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) * self.scale
        return np.rint(d).astype(np.int64), np.ceil(d - 1e-9).astype(np.int64)
