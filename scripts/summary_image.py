"""Draws the README's picture of the doctor's summary (docs/screenshots/summary-page.png): the PDF of an
example summary, a made-up person's two weeks of diary and a check-in, rendered as PDFium renders it.

    .venv/bin/python -m scripts.summary_image
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pypdfium2 as pdfium

from bot.storage.repository import DiaryEntry, StoredAssessment
from bot.summary import build_summary
from bot.summary_document import pdf_document
from bot.triage import assess

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "docs" / "screenshots" / "summary-page.png"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
FINDINGS = {"location": ["calf"], "duration_days": 16, "weakness": False, "numbness": False,
            "caffeine_cups_per_day": 5, "sleep_hours": 5, "stress": True}
# Each day of two weeks: how many twitches were logged in the left calf and in the right eyelid.
DAYS = ((1, 0), (2, 0), (0, 1), (3, 1), (2, 0), (0, 0), (1, 2), (2, 1), (4, 0), (1, 0), (0, 1), (2, 0),
        (3, 1), (1, 0))


def example_diary() -> list[DiaryEntry]:
    entries = []
    for day, counts in enumerate(DAYS):
        for where, side, count in (("calf", "left", counts[0]), ("eyelid", "right", counts[1])):
            for n in range(count):
                at = NOW - timedelta(days=len(DAYS) - day, hours=2 + 3 * n)
                entries.append(DiaryEntry(len(entries) + 1, "example", at, where, side, None, None))
    return sorted(entries, key=lambda entry: entry.logged_at)


def main() -> None:
    result = assess(FINDINGS).to_dict()
    latest = StoredAssessment(1, "example", NOW - timedelta(hours=2), FINDINGS, result, result["level"], "v")
    document = pdfium.PdfDocument(pdf_document(build_summary(NOW, example_diary(), latest)))
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    document[0].render(scale=1.1).to_pil().convert("P", palette=1, colors=64).save(IMAGE, optimize=True)
    print(f"wrote {IMAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
