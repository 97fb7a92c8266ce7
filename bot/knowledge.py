"""The FAQ knowledge base: topics with an answer, the articles it comes from and related topics.

Everything is read from data/knowledge/: `sources.yml` names the articles, `topics/*.yml` holds the
topics (answer, sources, related topics and the example questions that train the FAQ retrieval).
Each answer lives there and nowhere else; Rasa and the actions read it through this module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from bot.wording import wording

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"


class KnowledgeBaseError(ValueError):
    """The knowledge files are malformed (a missing field, an unknown source or related topic)."""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    kind: str = "article"
    publisher: str | None = None
    published: str | None = None

    @property
    def citation(self) -> str:
        """How a person sees the source: its title, then publisher and date where known."""
        extra = ", ".join(part for part in (self.publisher, self.published) if part)
        return f"“{self.title}”" + (f" ({extra})" if extra else "")


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    answer: str
    sources: tuple[Source, ...]
    related: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    topics: Mapping[str, Topic]
    sources: Mapping[str, Source]
    menu: tuple[str, ...] = ()

    def topic(self, topic_id: str) -> Topic | None:
        return self.topics.get(topic_id)

    def related_topics(self, topic: Topic) -> list[Topic]:
        return [self.topics[related_id] for related_id in topic.related]

    def menu_topics(self) -> list[Topic]:
        """The topics offered when someone wants to ask something but has not said what."""
        return [self.topics[topic_id] for topic_id in self.menu]

    def articles(self) -> list[Source]:
        return [source for source in self.sources.values() if source.kind == "article"]

    def citation(self, topic: Topic) -> str:
        """The line that follows every answer, naming where its facts come from."""
        return wording("sources_line", sources="; ".join(source.citation for source in topic.sources))

    def answer_with_sources(self, topic: Topic) -> str:
        """The answer as a person reads it: the answer, then the line naming its sources."""
        return wording("answer_with_sources", answer=topic.answer, sources=self.citation(topic))


def _require(entry: Mapping, key: str, where: str) -> object:
    if key not in entry or entry[key] in (None, "", []):
        raise KnowledgeBaseError(f"{where}: '{key}' is missing")
    return entry[key]


def _read_sources(path: Path) -> dict[str, Source]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        source_id: Source(
            id=source_id,
            title=str(_require(entry, "title", f"source {source_id}")),
            kind=str(entry.get("kind") or "article"),
            publisher=entry.get("publisher"),
            published=entry.get("published"),
        )
        for source_id, entry in (raw.get("sources") or {}).items()
    }


def _read_topic_entries(paths: Iterable[Path]) -> list[tuple[Path, Mapping]]:
    entries = []
    for path in paths:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries.extend((path, entry) for entry in raw.get("topics") or [])
    return entries


def load_knowledge_base(directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Reads and cross-checks the knowledge files; raises KnowledgeBaseError on any inconsistency."""
    sources = _read_sources(directory / "sources.yml")
    topics: dict[str, Topic] = {}
    for path, entry in _read_topic_entries(sorted((directory / "topics").glob("*.yml"))):
        where = f"{path.name}: topic {entry.get('id', '?')}"
        topic_id = str(_require(entry, "id", where))
        if topic_id in topics:
            raise KnowledgeBaseError(f"{where}: the id is used twice")
        unknown_sources = [s for s in _require(entry, "sources", where) if s not in sources]
        if unknown_sources:
            raise KnowledgeBaseError(f"{where}: unknown sources {unknown_sources}")
        topics[topic_id] = Topic(
            id=topic_id,
            title=str(_require(entry, "title", where)),
            answer=" ".join(str(_require(entry, "answer", where)).split()),
            sources=tuple(sources[s] for s in entry["sources"]),
            related=tuple(entry.get("related") or ()),
            examples=tuple(str(e).strip() for e in _require(entry, "examples", where)),
        )
    for topic in topics.values():
        missing = [r for r in topic.related if r not in topics or r == topic.id]
        if missing:
            raise KnowledgeBaseError(f"topic {topic.id}: related topics {missing} do not exist")
    menu = tuple(
        (yaml.safe_load((directory / "menu.yml").read_text(encoding="utf-8")) or {}).get("menu") or ()
    )
    unknown_menu = [topic_id for topic_id in menu if topic_id not in topics]
    if unknown_menu:
        raise KnowledgeBaseError(f"menu.yml: topics {unknown_menu} do not exist")
    return KnowledgeBase(topics=topics, sources=sources, menu=menu)


@functools.lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The project's knowledge base, read once per process."""
    return load_knowledge_base()
