"""Gives Rasa the check-in's questions from data/check_in.yml, where they are written once.

domain.yml declares the form and its slots (`checkin_<question id>`, in the order asked); this importer
adds one `utter_ask_checkin_<question id>` response per question, with its buttons, and the intro.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.checkin import CheckIn, check_in

SLOT_PREFIX = "checkin_"
FORM_NAME = "check_in_form"


def question_slot(question_id: str) -> str:
    return f"{SLOT_PREFIX}{question_id}"


def check_in_responses(interview: CheckIn) -> Dict[str, List[Dict[str, Any]]]:
    responses: Dict[str, List[Dict[str, Any]]] = {
        f"utter_ask_{question_slot(q.id)}": [
            {"text": q.text, "buttons": [{"title": b["title"], "payload": b["payload"]} for b in q.buttons]}
        ]
        for q in interview.questions
    }
    responses["utter_check_in_intro"] = [{"text": interview.intro}]
    return responses


class CheckInImporter(TrainingDataImporter):
    """Contributes only the check-in's responses; everything else comes from the other importers."""

    def __init__(
        self,
        config_file: Optional[str] = None,
        domain_path: Optional[str] = None,
        training_data_paths: Optional[Union[List[str], str]] = None,
        **kwargs: Any,
    ) -> None:
        self._config_file = config_file

    def get_domain(self) -> Domain:
        return Domain.from_dict({"responses": check_in_responses(check_in())})

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        return StoryGraph([])

    def get_conversation_tests(self) -> StoryGraph:
        return StoryGraph([])

    def get_config(self) -> Dict:
        return {}

    def get_config_file_for_auto_config(self) -> Optional[str]:
        return self._config_file

    def get_nlu_data(self, language: Optional[str] = "en") -> TrainingData:
        return TrainingData()
