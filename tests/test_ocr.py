from videokb.ingest.ocr import OcrLine, RapidOcrReader, SpanMerger
from videokb.sample import render_slide


def line(text, y=0.1):
    return OcrLine(text, (0.1, y, 0.9, y + 0.1), 0.95)


def test_same_text_on_consecutive_keyframes_is_one_span():
    m = SpanMerger()
    m.add(0.0, 2.0, [line("Open daily 6 AM"), line("Sourdough $4.50", 0.5)])
    m.add(2.0, 4.0, [line("open daily  6 AM")])  # case and spacing do not split a span
    m.add(4.0, 6.0, [line("Open daily 6 AM")])
    m.add(6.0, 8.0, [])
    m.add(8.0, 9.0, [line("Open daily 6 AM")])  # gone and back: a new span
    spans = m.finish()
    assert [(s.text, s.start_s, s.end_s, s.n_keyframes) for s in spans] == [
        ("Open daily 6 AM", 0.0, 6.0, 3),
        ("Sourdough $4.50", 0.0, 2.0, 1),
        ("Open daily 6 AM", 8.0, 9.0, 1),
    ]


def test_near_identical_readings_merge():
    m = SpanMerger()
    m.add(0, 1, [line("Adoption fee $75")])
    m.add(1, 2, [line("Adoption fee $75.")])
    assert len(m.finish()) == 1


def test_pp_ocr_reads_a_rendered_slide():
    img = render_slide("Sourdough loaf $4.50\nOpen daily 6 AM", (854, 480))
    lines = RapidOcrReader().read(img)
    assert [ln.text for ln in lines] == ["Sourdough loaf $4.50", "Open daily 6 AM"]
    for ln in lines:
        x0, y0, x1, y1 = ln.bbox_xyxy
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
