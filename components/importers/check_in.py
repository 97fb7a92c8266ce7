"""Gives Rasa the check-in's questions from data/check_in.yml, where they are written once.

domain.yml declares the form and its slots (`checkin_<question id>`, in the order asked); this importer
adds one `utter_ask_checkin_<question id>` response per question, with its buttons, and the intro.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.shared.core.domain import Domain

from bot.check_in import CheckIn, check_in, question_slot
from components.importers.contributing import ContributingImporter


def check_in_responses(interview: CheckIn) -> Dict[str, List[Dict[str, Any]]]:
    responses: Dict[str, List[Dict[str, Any]]] = {
        f"utter_ask_{question_slot(q.id)}": [
            {"text": q.text, "buttons": [{"title": b["title"], "payload": b["payload"]} for b in q.buttons]}
        ]
        for q in interview.questions
    }
    responses["utter_check_in_intro"] = [{"text": interview.intro}]
    return responses


class CheckInImporter(ContributingImporter):
    """Contributes only the check-in's responses; everything else comes from the other importers."""

    def get_domain(self) -> Domain:
        return Domain.from_dict({"responses": check_in_responses(check_in())})
