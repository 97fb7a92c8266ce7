"""The doctor's summary as a printable page and a PDF: the PDF is rendered to an image (pypdfium2, the
PDFium engine Chrome uses) to check that its text reads back and that the diary's chart is drawn."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pypdfium2 as pdfium

from bot.storage.repository import DiaryEntry
from bot.summary import build_summary
from bot.summary_document import PLACE_COLOURS, diary_chart, html_page, pdf_document
from tests.bot.test_summary import NOW, stored

# Five twitches over three days, in two places; one diary note in a script the core PDF fonts lack.
DIARY = [
    DiaryEntry(1, "p", NOW - timedelta(days=2, hours=3), "calf", "left", 2.0, None),
    DiaryEntry(2, "p", NOW - timedelta(days=2, hours=1), "calf", "left", None, None),
    DiaryEntry(3, "p", NOW - timedelta(days=1), "eyelid", "right", None, "Zuckungen während der Arbeit"),
    DiaryEntry(4, "p", NOW - timedelta(hours=2), "calf", "left", None, None),
    DiaryEntry(5, "p", NOW - timedelta(hours=1), "eyelid", "right", None, None),
]


def summary():  # type: ignore[no-untyped-def]
    return build_summary(NOW, DIARY, stored())


def test_the_chart_counts_twitches_per_day_and_where() -> None:
    chart = diary_chart(summary())
    assert chart is not None
    assert chart.places == ("left calf", "right eyelid")
    assert chart.counts == ((2, 0), (0, 1), (1, 1))
    assert chart.days[-1] == NOW.date()
    assert diary_chart(build_summary(NOW, [], stored())) is None


def test_a_long_diary_is_charted_over_its_last_four_weeks() -> None:
    old = [DiaryEntry(9, "p", NOW - timedelta(days=60), "calf", None, None, None), *DIARY]
    chart = diary_chart(build_summary(NOW, old, stored()))
    assert chart is not None and len(chart.days) == 28 and chart.days[-1] == NOW.date()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_printable_page_has_the_table_the_chart_and_every_section() -> None:
    page = html_page(summary(), pdf_link="?format=pdf")
    parsed = _Text()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert "script" not in parsed.tags  # nothing runs: it only prints
    assert {"table", "svg", "rect", "figure"} <= set(parsed.tags)
    for words in ("Pertinent positives (reported)", "Pertinent negatives (said not present)",
                  "numbness or tingling", "no muscle weakness", "Twitches per day, and where",
                  "left calf", "Latest assessment", "Sources", "Download as PDF", "not a diagnosis"):
        assert words in text, words
    # A note is text, never markup.
    tricky = [DiaryEntry(1, "p", NOW, "calf", None, None, "<script>alert(1)</script>")]
    assert "<script>alert" not in html_page(build_summary(NOW, tricky, stored()))


def test_the_pdf_reads_back_and_its_chart_is_drawn() -> None:
    document = pdfium.PdfDocument(pdf_document(summary()))
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    for words in ("Muscle twitching: summary for the doctor", "Pertinent positives (reported)",
                  "numbness or tingling", "no muscle weakness", "Twitches per day, and where",
                  "left calf", "right eyelid", "Latest assessment", "not a diagnosis"):
        assert words in " ".join(text.split()), words
    image = document[0].render(scale=1).to_pil().convert("RGB")
    colours = set(image.getdata())
    for colour in PLACE_COLOURS[:2]:  # a bar of each place is on the first page
        wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert [pixel for pixel in colours if _near(pixel, wanted)], colour


def _near(pixel: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, wanted, strict=True))


def test_a_summary_with_no_diary_still_makes_a_pdf() -> None:
    document = pdfium.PdfDocument(pdf_document(build_summary(NOW, [], stored())))
    text = document[0].get_textpage().get_text_range()
    assert "no twitch diary kept" in text
