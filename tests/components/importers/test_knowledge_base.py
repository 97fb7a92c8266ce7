"""Rasa trains on the knowledge base as written: one retrieval intent and one response per topic."""

from __future__ import annotations

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.knowledge import knowledge_base
from components.importers.knowledge_base import KnowledgeBaseImporter, knowledge_base_as_rasa_yaml


def test_every_topic_becomes_a_retrieval_intent_with_its_answer() -> None:
    kb = knowledge_base()
    data = RasaYAMLReader().reads(knowledge_base_as_rasa_yaml(kb))
    assert data.retrieval_intents == {"faq"}
    for topic in kb.topics.values():
        assert data.responses[f"utter_faq/{topic.id}"] == [{"text": topic.answer}]
    examples = [m for m in data.intent_examples if m.get("intent_response_key") == "faq/caffeine"]
    assert len(examples) == len(kb.topics["caffeine"].examples)


def test_importer_contributes_only_nlu_data() -> None:
    importer = KnowledgeBaseImporter()
    assert importer.get_domain().is_empty()
    assert len(importer.get_nlu_data().intent_examples) == sum(
        len(t.examples) for t in knowledge_base().topics.values()
    )
