"""The SVG charts are pure functions: accessible, escaped, and free of inline styles."""

from bs4 import BeautifulSoup

from mdt.reports.charts import Series, _nice_ceiling, bars, stacked_bars


def _svg(markup):
    return BeautifulSoup(str(markup), "html.parser").select_one("svg")


def test_stacked_bars_are_an_image_with_title_desc_and_a_title_on_every_segment():
    svg = _svg(stacked_bars("c1", "Actions <by> month", "What became of them",
                            ["Mar 2026", "Apr 2026"],
                            [Series("On time", "#007f3b", (3, 0)),
                             Series("Late", "#ffb81c", (1, 2))]))
    assert svg["role"] == "img" and svg["aria-labelledby"] == "c1-title c1-desc"
    assert svg.select_one("title#c1-title").text == "Actions <by> month"
    assert svg.select_one("desc#c1-desc").text == "What became of them"
    segments = svg.select("rect[data-series]")
    assert [(r["data-label"], r["data-series"], r["data-value"]) for r in segments] == [
        ("Mar 2026", "On time", "3"), ("Mar 2026", "Late", "1"), ("Apr 2026", "Late", "2")]
    assert segments[0].title.text == "Mar 2026, On time: 3"
    assert not svg.select("[style], script")


def test_bars_escape_labels_and_show_none_due():
    markup = str(bars("c2", "Rate", "Per meeting", ["<script>x</script> 2026", "3 Mar 2026"],
                      [None, 75]))
    assert "<script>" not in markup
    svg = _svg(markup)
    values = [r["data-value"] for r in svg.select("rect")]
    assert values == ["", "75"]
    assert "none due" in svg.text and "75%" in svg.text


def test_nice_ceiling():
    assert [_nice_ceiling(v) for v in (0, 1, 2, 3, 6, 11, 49, 101)] == [1, 1, 2, 5, 10, 20, 50,
                                                                       200]
