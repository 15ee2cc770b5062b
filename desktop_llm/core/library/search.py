"""Finding the passages that answer a question: full-text search (FTS5, BM25)
and vector similarity, each ranking the chunks, fused by reciprocal rank
fusion — a passage found by both ranks above one found by either alone, and a
question that shares no words with its answer is still found by meaning."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from desktop_llm.core.library.embedder import WordLlamaEmbedder
from desktop_llm.core.library.store import LibraryStore

CANDIDATES = 50  # from each method, before fusing
RRF_K = 60  # reciprocal rank fusion's constant (the usual one)


@dataclass(frozen=True)
class Hit:
    file: str
    page: int | None
    heading: str
    text: str
    score: float

    def as_dict(self) -> dict:
        return {"file": self.file, "page": self.page, "heading": self.heading, "text": self.text,
                "score": round(self.score, 5)}


def _fts_query(text: str) -> str:
    """Any of the question's words (BM25 ranks the chunks with more, and rarer, of them higher)."""
    words = re.findall(r"\w+", text)
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def keyword_ranking(store: LibraryStore, library_id: int, query: str, limit: int = CANDIDATES) -> list[int]:
    fts = _fts_query(query)
    if not fts:
        return []
    with store.db.locked():
        rows = store.db.execute(
            "SELECT chunks.id FROM chunks_fts JOIN chunks ON chunks.id = chunks_fts.rowid "
            "JOIN files ON files.id = chunks.file_id WHERE chunks_fts MATCH ? AND files.library_id = ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?", (fts, library_id, limit)).fetchall()
    return [r[0] for r in rows]


def vector_ranking(store: LibraryStore, library_id: int, query_vector: np.ndarray,
                   limit: int = CANDIDATES) -> list[int]:
    with store.db.locked():
        rows = store.db.execute("SELECT chunks.id, chunks.vector FROM chunks JOIN files ON files.id = chunks.file_id "
                                "WHERE files.library_id = ? AND length(chunks.vector) > 0", (library_id,)).fetchall()
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    scores = matrix @ query_vector.astype(np.float32)
    best = np.argsort(-scores)[:limit]
    return [int(ids[i]) for i in best]


def fused(rankings: list[list[int]]) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])


def search(store: LibraryStore, library_id: int, embedder: WordLlamaEmbedder, query: str, top: int = 5,
           method: str = "hybrid") -> list[Hit]:
    """The best passages for `query`: hybrid (both fused), "keyword" or "vector" alone."""
    rankings = []
    if method in ("hybrid", "keyword"):
        rankings.append(keyword_ranking(store, library_id, query))
    if method in ("hybrid", "vector"):
        rankings.append(vector_ranking(store, library_id, embedder.embed([query])[0]))
    best = fused(rankings)[:top]
    if not best:
        return []
    with store.db.locked():
        rows = {r["id"]: r for r in store.db.execute(
            f"SELECT chunks.id, chunks.text, chunks.heading, chunks.page, files.path FROM chunks "
            f"JOIN files ON files.id = chunks.file_id WHERE chunks.id IN ({','.join('?' * len(best))})",
            [chunk_id for chunk_id, _ in best])}
    return [Hit(rows[i]["path"], rows[i]["page"], rows[i]["heading"], rows[i]["text"], score)
            for i, score in best if i in rows]
