"""The static route map: Web Mercator projection, zoom that fits, tiles that cover the frame."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from aftersales.dispatch.tilemap import TILE, fit, world_pixel

TEMPLATE = "https://tiles.example/{z}/{x}/{y}.png"


def test_known_tile_of_a_known_place():
    # Shanghai's People's Square at zoom 10 is in tile (857, 418) (standard slippy-map maths).
    x, y = world_pixel(121.4737, 31.2304, 10)
    assert (int(x // TILE), int(y // TILE)) == (857, 418)
    assert world_pixel(0, 0, 0) == (128.0, 128.0)


@given(
    st.lists(
        st.tuples(st.floats(73, 135), st.floats(18, 53)),  # China
        min_size=1,
        max_size=30,
    )
)
def test_every_point_lands_inside_the_frame_and_tiles_cover_it(points):
    frame = fit(points, TEMPLATE, width=640, height=400, padding=20)
    assert frame is not None
    for lon, lat in points:
        x, y = frame.project(lon, lat)
        assert 19 <= x <= 621 and 19 <= y <= 381
    # The tiles cover the whole frame, each at a whole-tile offset.
    covered_x = {t.left + dx for t in frame.tiles for dx in (0, TILE - 1)}
    assert min(t.left for t in frame.tiles) <= 0 and max(covered_x) >= 639
    assert min(t.top for t in frame.tiles) <= 0 and max(t.top for t in frame.tiles) + TILE >= 400
    assert all(str(frame.zoom) in t.url for t in frame.tiles)


def test_zoom_is_the_largest_that_fits():
    near = [(121.47, 31.23), (121.50, 31.25)]  # a few km apart: a street-level zoom
    far = [(121.47, 31.23), (116.40, 39.90)]  # Shanghai to Beijing
    assert fit(near, TEMPLATE).zoom >= 12
    assert fit(far, TEMPLATE).zoom <= 6
    frame = fit(near, TEMPLATE)
    tighter = [world_pixel(lon, lat, frame.zoom + 1) for lon, lat in near]
    # One level closer would not fit the 640×400 frame with its padding.
    width = abs(tighter[0][0] - tighter[1][0])
    height = abs(tighter[0][1] - tighter[1][1])
    assert width > 640 - 48 or height > 400 - 48


def test_no_points_no_map():
    assert fit([], TEMPLATE) is None
    one = fit([(121.47, 31.23)], TEMPLATE)
    assert one.zoom == 18 and math.isclose(one.project(121.47, 31.23)[0], 320, abs_tol=0.1)
