import numpy as np

from videokb.index.embedders.regions import cell_mask, grid_boxes, region_list


def test_grid_is_2x2_then_3x3_covering_the_frame():
    boxes = grid_boxes()
    assert [k for k, _ in boxes] == ["grid2"] * 4 + ["grid3"] * 9
    area = sum((x1 - x0) * (y1 - y0) for k, (x0, y0, x1, y1) in boxes if k == "grid3")
    assert abs(area - 1.0) < 1e-9


def test_cell_mask_picks_the_covered_cells():
    m = cell_mask((0.0, 0.0, 0.5, 0.5), 4, 4)
    assert m.sum() == 4 and m[:2, :2].all()
    full = cell_mask((0.0, 0.0, 1.0, 1.0), 7, 7)
    assert full.all()


def test_a_box_smaller_than_a_cell_still_gets_the_cell_under_it():
    m = cell_mask((0.51, 0.51, 0.52, 0.52), 7, 7)
    assert m.sum() == 1 and m[3, 3]


def test_region_list_appends_extra_boxes_as_ocr():
    regions = region_list([(0.1, 0.1, 0.2, 0.2)])
    assert regions[-1] == ("ocr", (0.1, 0.1, 0.2, 0.2)) and len(regions) == 14
    assert np.isclose(regions[0][1][2], 0.5)
