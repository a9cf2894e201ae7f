"""Query expansion and the reranker interface."""

from __future__ import annotations

import pytest

from assistant.analysis import related, terms
from assistant.glossary import Term
from assistant.models import Hit
from assistant.query import QueryExpander
from assistant.rerank import CrossEncoderReranker, NoopReranker, build_reranker
from ingest.models import Chunk, DocumentMeta


def test_acronyms_expand_both_ways_and_names_are_corrected():
    glossary = [Term("SIP", "Samordnad individuell plan", "c1", "d", "T")]
    expander = QueryExpander(glossary, {"ljusnaberg", "samordnad", "kommuner"})
    assert "Samordnad individuell plan" in expander.expand("Vad är en SIP?")
    assert expander.expand("Vad är en samordnad individuell plan?").endswith("SIP")
    assert expander.expand("Ingår Ljusnarsberg?") == "Ingår ljusnaberg?"
    assert expander.expand("Vilka kommuner?") == "Vilka kommuner?"


def test_english_questions_get_swedish_domain_words():
    expander = QueryExpander([], set())
    expanded = expander.expand("Who leads the network for social services managers?")
    assert "nätverk" in expanded and "socialchefer" in expanded


def test_swedish_word_forms_and_compound_heads_match():
    assert related("nätverk", "nätverket")
    assert related("nämnd", "sjukvårdsnämnd")
    assert not related("socialchef", "chef")
    assert not related("samverkan", "samverkansråd")
    assert terms("Hälso- och sjukvården") == terms("hälso- och sjukvården")


def _hits(texts):
    meta = DocumentMeta(doc_id="d", title="T")
    return [
        Hit(Chunk(f"d:{i}", "d", t, ["T"], i, None, "h", meta), score=1.0 / (i + 1))
        for i, t in enumerate(texts)
    ]


def test_noop_reranker_keeps_order():
    hits = _hits(["a", "b"])
    assert NoopReranker().rerank("q", hits) == hits
    assert isinstance(build_reranker("none", ""), NoopReranker)
    with pytest.raises(ValueError):
        build_reranker("cross-encoder", "")


@pytest.mark.slow
def test_cross_encoder_reranker_orders_by_the_model(tmp_path):
    """A tiny cross-encoder built here (random weights, real architecture and code path);
    no reranker model ships on PyPI, deployments point the setting at a local folder."""
    from sentence_transformers import CrossEncoder
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *sorted(
            {
                w.lower()
                for w in [
                    "vem",
                    "leder",
                    "nätverket",
                    "socialchefer",
                    "ingmar",
                    "ångman",
                    "katten",
                    "sover",
                ]
            }
        ),
    ]
    (tmp_path / "vocab.txt").write_text("\n".join(words), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(tmp_path)

    reranker = CrossEncoderReranker(str(tmp_path))
    hits = _hits(["Ingmar Ångman leder nätverket", "Katten sover", "socialchefer"])
    scores = CrossEncoder(str(tmp_path), device="cpu").predict(
        [("vem leder nätverket", h.chunk.index_text()) for h in hits]
    )
    ranked = reranker.rerank("vem leder nätverket", hits)
    assert [h.chunk.text for h in ranked] == [
        h.chunk.text for _, h in sorted(zip(scores, hits, strict=True), key=lambda p: -p[0])
    ]
    assert ranked[0].score == pytest.approx(float(max(scores)), abs=1e-5)
