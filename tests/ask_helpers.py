"""Hand-made videos and windows shared by the ask unit tests (no model, no index)."""

from videokb.agent.evidence import Line, Window

VIDEOS = [("v1", "/lib/bakery_tour.mp4"), ("v2", "/lib/café tasting.mp4"), ("v3", "/lib/city_council_meeting.mp4")]


def window(n: int, *lines: str) -> Window:
    """Window number ``n`` of one video, each line said at 0 s."""
    return Window("v", "/lib/v.mp4", 0.0, 10.0, 1.0, number=n, lines=[Line(0.0, "speech", t) for t in lines])
