"""Feeds the knowledge base to Rasa, so that each FAQ answer and its examples live in one place.

Listed under `importers:` in config.yml next to RasaFileImporter: `rasa train`, `rasa data validate`
and `rasa test` then see every topic as the retrieval intent `faq/<topic id>`, trained on the topic's
examples, with the topic's answer as its response.
"""

from __future__ import annotations

from typing import Optional

import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge import KnowledgeBase, knowledge_base
from components.importers.contributing import ContributingImporter

RETRIEVAL_INTENT = "faq"


def knowledge_base_as_rasa_yaml(kb: KnowledgeBase) -> str:
    """The knowledge base in Rasa's NLU format: examples per `faq/<id>` and `utter_faq/<id>` responses."""
    document = {
        "version": "3.1",
        "nlu": [
            {
                "intent": f"{RETRIEVAL_INTENT}/{topic.id}",
                "examples": "".join(f"- {example}\n" for example in topic.examples),
            }
            for topic in kb.topics.values()
        ],
        "responses": {
            f"utter_{RETRIEVAL_INTENT}/{topic.id}": [{"text": topic.answer}] for topic in kb.topics.values()
        },
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


class KnowledgeBaseImporter(ContributingImporter):
    """Contributes only NLU data; domain, stories and config come from RasaFileImporter."""

    def get_nlu_data(self, language: Optional[str] = "en") -> TrainingData:
        return RasaYAMLReader().reads(knowledge_base_as_rasa_yaml(knowledge_base()))
