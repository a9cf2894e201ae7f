"""The pipelines a team would build instead, compared in every report:

- `naive`: LangChain's RecursiveCharacterTextSplitter (1000/200) over the raw files, Chroma,
  the same embedder, top-k similarity; the answer is the best chunk.
- `ensemble`: the afternoon build — the same chunks in LangChain's `EnsembleRetriever`
  over `BM25Retriever` + the Chroma retriever, both with their default settings; the answer is
  the top passage.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.pipeline import corpus_files


@dataclass
class BaselineHit:
    chunk_id: str
    doc_id: str
    text: str


def raw_documents(corpus_dir: Path) -> list[Document]:
    """The files as a naive pipeline reads them: raw text, PDF pages via pypdf."""
    from ingest.manifest import load_manifest, slugify

    manifest = load_manifest(corpus_dir)
    docs = []
    for path in corpus_files(corpus_dir):
        rel = str(path.relative_to(corpus_dir))
        doc_id = manifest[rel].doc_id if rel in manifest else slugify(path.stem)
        if path.suffix.lower() == ".pdf":
            from pypdf import PdfReader

            text = "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        docs.append(Document(page_content=text, metadata={"doc_id": doc_id}))
    return docs


class NaiveBaseline:
    name = "naive"

    def __init__(self, corpus_dir: Path, embeddings: Embeddings, k: int = 10) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = splitter.split_documents(raw_documents(corpus_dir))
        for i, c in enumerate(chunks):
            c.metadata["chunk_id"] = f"baseline-{i}"
        self._tmp = tempfile.TemporaryDirectory(prefix="samverkan-baseline-")
        client = chromadb.PersistentClient(
            path=self._tmp.name, settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.store = Chroma(
            client=client,
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            embedding_function=embeddings,
        )
        self.store.add_documents(chunks, ids=[c.metadata["chunk_id"] for c in chunks])
        self.k = k
        self.chunks = chunks

    def relevant_count(self, evidence: list[str]) -> int:
        from .dataset import contains_evidence

        return sum(contains_evidence(c.page_content, evidence) for c in self.chunks)

    def retrieve(self, question: str) -> list[Document]:
        return self.store.similarity_search(question, k=self.k)

    def search(self, question: str) -> list[BaselineHit]:
        return [
            BaselineHit(d.metadata["chunk_id"], d.metadata["doc_id"], d.page_content)
            for d in self.retrieve(question)
        ]

    def answer(self, question: str) -> tuple[str, list[BaselineHit]]:
        hits = self.search(question)
        return (hits[0].text if hits else ""), hits

    def close(self) -> None:
        self._tmp.cleanup()


class EnsembleBaseline(NaiveBaseline):
    name = "ensemble"

    def __init__(self, corpus_dir: Path, embeddings: Embeddings) -> None:
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

        super().__init__(corpus_dir, embeddings)
        # Default settings throughout: k=4 for each retriever, equal weights, RRF c=60.
        self.retriever = EnsembleRetriever(
            retrievers=[BM25Retriever.from_documents(self.chunks), self.store.as_retriever()],
        )

    def retrieve(self, question: str) -> list[Document]:
        return self.retriever.invoke(question)


BASELINES = {"naive": NaiveBaseline, "ensemble": EnsembleBaseline}
