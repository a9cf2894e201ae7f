"""Query expansion and the reranker interface."""

from __future__ import annotations

import pytest

from assistant.glossary import Term
from assistant.models import Hit
from assistant.query import QueryExpander
from assistant.rerank import CrossEncoderReranker, NoopReranker, build_reranker
from ingest.models import Chunk, DocumentMeta


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Vad är en SIP?", "Vad är en SIP? Samordnad individuell plan"),  # acronym -> long form
        ("Vad är en samordnad individuell plan?", "Vad är en samordnad individuell plan?"),
        ("Ingår Ljusnarsberg?", "Ingår Ljusnarsberg? ljusnaberg"),  # valid name: both kept
        ("Är omställnigen klar?", "Är omställningen klar?"),  # a typo: corpus spelling
        ("Vilka instanser samarbetar?", "Vilka instanser samarbetar?"),  # valid Swedish
        ("Vilka kommuner?", "Vilka kommuner?"),
        ("Vilka är natverken?", "Vilka är nätverken?"),  # å/ä/ö typed as a/o
        ("Vad säger malbilden?", "Vad säger målbilden?"),  # "mal|bild" is only a guess
        ("Vad säger lagen?", "Vad säger lagen?"),  # a valid word, not "lägen" without dots
        ("Vilken e-postadress?", "Vilken e-postadress?"),  # valid parts, not "postadress"
        ("Vilken e-postadres?", "Vilken e-postadress?"),  # corrected part by part
        ("Vilka e-tjanstr?", "Vilka e-tjänster?"),  # a part by a part, not "e-e-tjänster"
        ("Vad gör NATVERKET?", "Vad gör NATVERKET?"),  # capitals: an acronym, not a typo
        ("Who leads the omställnigen?", "Who leads the omställnigen?"),  # English: untouched
        # an inflected form the corpus lacks: the stem corrected, the ending kept
        ("Vad är färpdlanen?", "Vad är färdplanen?"),
    ],
)
def test_query_expansion(question, expected):
    assert QueryExpander(GLOSSARY, VOCABULARY).expand(question) == expected


GLOSSARY = [Term("SIP", "Samordnad individuell plan", "c", "d", "t")]
VOCABULARY = {"ljusnaberg", "samordnad", "kommuner", "omställningen", "insatser", "laxå", "usö"}
VOCABULARY |= {"nätverken", "målbilden", "lägen", "postadress", "färdplan", "är", "år"}
VOCABULARY |= {"e-tjänster"}


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("Nar antogs malbilden?", "När antogs målbilden?"),
        ("Vem leder natverket?", "Vem leder nätverket?"),  # general Swedish's spelling
        ("Ar Laxa med?", "Är Laxå med?"),  # the corpus's spelling, not the commoner "läxa"
        ("Vad gor man for omstallningen?", "Vad gör man för omställningen?"),  # "man" stays
        ("Var traffas de?", "Var träffas de?"),  # "var" is as common as "vår"
        ("Vad ar OLBF?", "Vad är OLBF?"),  # capitals: an acronym as written …
        ("Vad gor USO?", "Vad gör USÖ?"),  # … unless the corpus spells it with å/ä/ö
        ("Galler det kroppssjukvard?", "Gäller det kroppssjukvård?"),  # its one Swedish form
        ("Vad är malet?", "Vad är malet?"),  # typed with å/ä/ö: "malet" is meant as typed
    ],
)
def test_a_question_typed_without_diacritics_is_searched_with_them(question, searched):
    assert QueryExpander(GLOSSARY, VOCABULARY).expand(question) == searched


def test_the_question_is_read_as_typed_and_searched_with_diacritics():
    """Its kind is read from it as typed: "Vilket ar …" may ask for a year."""
    corrected, searched = QueryExpander(GLOSSARY, VOCABULARY).rewrite("Vilket ar antogs planen?")
    assert (corrected, searched) == ("Vilket ar antogs planen?", "Vilket är antogs planen?")


@pytest.mark.parametrize(
    ("question", "corrected"),
    [
        # typed without å/ä/ö, a word the corpus lacks is the Swedish word it spells, not the
        # corpus word nearest to it ("närmsta")
        ("nar ar nasta mote?", "nar ar nästa mote?"),
        ("Vilka är natverken?", "Vilka är nätverken?"),  # the corpus spells it
        ("Är omställnigen klar?", "Är omställningen klar?"),  # a typo: the corpus spelling
    ],
)
def test_a_word_typed_without_diacritics_is_corrected_to_the_word_it_spells(question, corrected):
    vocabulary = VOCABULARY | {"närmsta"}
    assert QueryExpander(GLOSSARY, vocabulary).correct(question) == corrected


def test_correction_adds_nothing():
    expander = QueryExpander([Term("SIP", "Samordnad individuell plan", "c", "d", "t")], {"varför"})
    assert expander.correct("Varfor behövs en SIP?") == "Varför behövs en SIP?"


def test_long_questions_are_bounded_before_the_encoder():
    from assistant.query import MAX_QUERY_WORDS, MAX_WORD, bounded

    words = ["ord"] * 500 + ["x" * 5000]
    out = bounded(" ".join(words))
    assert len(out.split()) == MAX_QUERY_WORDS
    assert max(len(w) for w in bounded("kort " + "y" * 5000 + " ord").split()) <= MAX_WORD


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


def test_the_encoder_sees_a_bounded_start_of_the_query():
    """Counted in words here (a deterministic stand-in for the tokenizer; the embedders'
    own token_count is covered by the Embedder contract test)."""
    from assistant.query import MAX_ENCODER_TOKENS, for_encoder

    def count(text: str) -> int:
        return len(text.split())

    short = "Vem leder nätverket för socialchefer?"
    assert for_encoder(short, count) == short
    long = " ".join(f"ord{i}" for i in range(500))
    cut = for_encoder(long, count)
    assert count(cut) == MAX_ENCODER_TOKENS and long.startswith(cut + " ")
