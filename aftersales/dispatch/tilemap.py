"""A static route map drawn on the server: web-Mercator ("slippy map") tiles from a configured
tile server laid out as images, and the routes as an SVG overlay in the same pixel frame. No
script, so the page keeps its strict Content-Security-Policy. Pure: no Django."""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE = 256  # pixels
MAX_ZOOM = 18
MAX_LAT = 85.05112878


@dataclass(frozen=True)
class Tile:
    url: str
    left: int  # pixel position inside the map frame
    top: int


@dataclass(frozen=True)
class MapFrame:
    zoom: int
    width: int
    height: int
    origin: tuple[float, float]  # world pixel of the frame's top-left corner
    tiles: list[Tile]

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = world_pixel(lon, lat, self.zoom)
        return round(x - self.origin[0], 1), round(y - self.origin[1], 1)


def world_pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """The point's pixel in the whole world map at this zoom (Web Mercator, EPSG:3857)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    scale = TILE * 2**zoom
    x = (lon + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def fit(
    points: list[tuple[float, float]],
    template: str,
    *,
    width: int = 640,
    height: int = 400,
    padding: int = 24,
) -> MapFrame | None:
    """The largest zoom at which all (lon, lat) points fit in width × height with padding, the
    tiles that cover the frame, and the projection into it. None without points."""
    if not points:
        return None
    zoom = MAX_ZOOM
    while zoom > 0:
        xs, ys = zip(*(world_pixel(lon, lat, zoom) for lon, lat in points), strict=True)
        if max(xs) - min(xs) <= width - 2 * padding and max(ys) - min(ys) <= height - 2 * padding:
            break
        zoom -= 1
    xs, ys = zip(*(world_pixel(lon, lat, zoom) for lon, lat in points), strict=True)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    ox, oy = cx - width / 2, cy - height / 2
    n = 2**zoom
    tiles = []
    for tx in range(math.floor(ox / TILE), math.floor((ox + width) / TILE) + 1):
        for ty in range(
            max(0, math.floor(oy / TILE)), min(n - 1, math.floor((oy + height) / TILE)) + 1
        ):
            url = template.format(z=zoom, x=tx % n, y=ty)
            tiles.append(Tile(url, round(tx * TILE - ox), round(ty * TILE - oy)))
    return MapFrame(zoom, width, height, (ox, oy), tiles)
