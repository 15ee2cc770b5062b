"""Finding the passages that answer a question: full-text search (FTS5, BM25)
and vector similarity, each ranking the chunks, fused by reciprocal rank
fusion — a passage found by both ranks above one found by either alone, and a
question that shares no words with its answer is still found by meaning."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from desktop_llm.core.library.embedder import Embedder
from desktop_llm.core.library.store import LibraryStore

CANDIDATES = 50  # from each method, before fusing
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="library-vectors")
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


STOP_WORDS = frozenset("""a an and are as at be but by can could did do does for from had has have how i if in
into is it its me my no not of on or our should so than that the their them then there these they this to
was we were what when where which who why will with would you your""".split())


COMMON_SHARE = 0.05  # a word in more of the chunks than this says little about which one answers (BM25
# weighs it near nothing) and costs the most: every chunk holding it is scored
SMALL_INDEX = 2000  # chunks: below this every word is searched for (it is fast anyway)


def _fts_query(store: LibraryStore, text: str) -> str:
    """Any of the question's telling words (BM25 ranks the chunks with more, and rarer, of them
    higher). Stop words and words many chunks hold are left out (the rarest word stays, whatever
    its count): they would make most chunks candidates and the search slow, and hardly change the
    order."""
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", text)))
    words = [w for w in words if w not in STOP_WORDS] or words
    if len(words) > 1:
        total = store.chunk_total()
        counts = store.term_docs(words) if total >= SMALL_INDEX else {}
        if counts:
            by_rarity = sorted(words, key=lambda w: counts.get(w, 0))
            words = [w for w in by_rarity if counts.get(w, 0) <= COMMON_SHARE * total] or by_rarity[:1]
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def keyword_ranking(store: LibraryStore, library_id: int, query: str, limit: int = CANDIDATES) -> list[int]:
    fts = _fts_query(store, query)
    if not fts:
        return []
    mine = store.chunk_ids(library_id)  # the index holds every library's chunks
    with store.db.locked():
        rows = store.db.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                                (fts, limit * 8)).fetchall()
    return [r[0] for r in rows if r[0] in mine][:limit]


def vector_ranking(store: LibraryStore, library_id: int, query_vector: np.ndarray,
                   limit: int = CANDIDATES) -> list[int]:
    if store.searches_vectors_in_sql(library_id):
        return store.vector_sql.nearest(library_id, query_vector, limit)
    ids, matrix = store.vectors(library_id)
    if not len(ids):
        return []
    scores = matrix @ query_vector.astype(np.float32)
    best = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
    return [int(ids[i]) for i in best[np.argsort(-scores[best])]]


def fused(rankings: list[list[int]]) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])


def search(store: LibraryStore, library_id: int, embedder: Embedder, query: str, top: int = 5,
           method: str = "hybrid") -> list[Hit]:
    """The best passages for `query`: hybrid (both fused), "keyword" or "vector" alone."""
    rankings = []
    vectors = None
    if method in ("hybrid", "vector"):  # alongside the full-text search: both wait in C, not in Python
        vectors = _pool.submit(lambda: vector_ranking(store, library_id, embedder.embed_query(query)))
    if method in ("hybrid", "keyword"):
        rankings.append(keyword_ranking(store, library_id, query))
    if vectors is not None:
        rankings.append(vectors.result())
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
