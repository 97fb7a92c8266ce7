"""The base of this project's training-data importers: each contributes one kind of data, nothing else."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.training_data import TrainingData


class ContributingImporter(TrainingDataImporter):
    """Contributes nothing by default; subclasses override the one part they supply. Config, the rest of
    the domain, stories and NLU data come from RasaFileImporter, listed first in config.yml."""

    def __init__(
        self,
        config_file: Optional[str] = None,
        domain_path: Optional[str] = None,
        training_data_paths: Optional[Union[List[str], str]] = None,
        **kwargs: Any,
    ) -> None:
        self._config_file = config_file

    def get_domain(self) -> Domain:
        return Domain.empty()

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
