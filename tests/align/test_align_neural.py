"""Neural aligners: hand-worked extraction, word pooling, the real MiniLM, a tiny random BERT."""

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from helpers import CONF_DIR, from_config  # noqa: E402
from xner.align.base import check_links  # noqa: E402
from xner.align.extract import (  # noqa: E402
    apply_distortion,
    argmax_links,
    cosine_similarity,
    itermax_links,
    links_from_matrix,
    match_links,
    softmax_links,
)
from xner.align.subwords import SubwordVectors, plan_chunks, pool_words  # noqa: E402
from xner.errors import ConfigError  # noqa: E402
from xner.models.registry import minilm_path  # noqa: E402

SIM = np.array(
    [
        [0.9, 0.1, 0.2],
        [0.8, 0.3, 0.1],
        [0.1, 0.2, 0.7],
    ]
)


def pairs_of(mask: np.ndarray) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)}


# --- extraction on known matrices ------------------------------------------------------------


def test_argmax_keeps_mutual_best_matches():
    # forward: 0->0, 1->0, 2->2; backward: 0->0, 1->1, 2->2; intersection leaves row 1 unaligned
    assert pairs_of(argmax_links(SIM)) == {(0, 0), (2, 2)}


def test_itermax_aligns_a_leftover_word_in_the_second_round():
    # round 2: row 1 and column 1 are free; row 1's weighted scores [0.72, 0.3, 0.09] pick column
    # 0, and column 0's best free-or-half-free row is row 1 -> (1, 0) is added
    assert pairs_of(itermax_links(SIM)) == {(0, 0), (2, 2), (1, 0)}


def test_itermax_is_argmax_on_tiny_matrices():
    sim = np.array([[0.9, 0.8], [0.7, 0.1]])
    assert pairs_of(itermax_links(sim)) == pairs_of(argmax_links(sim)) == {(0, 0)}


def test_match_finds_the_maximum_weight_assignment():
    # diagonal 0.9 + 0.3 + 0.7 = 1.9 beats every other permutation (best other: 1.6)
    assert pairs_of(match_links(SIM)) == {(0, 0), (1, 1), (2, 2)}
    wide = np.array([[0.5, 0.9, 0.1], [0.6, 0.8, 0.2]])  # 0.9 + 0.6 = 1.5 beats 0.5 + 0.8
    assert pairs_of(match_links(wide)) == {(0, 1), (1, 0)}


def test_extractors_accept_empty_matrices():
    for extract in (argmax_links, itermax_links, match_links, softmax_links):
        assert extract(np.zeros((0, 3))).shape == (0, 3)
        assert not extract(np.zeros((2, 0))).any()


def test_softmax_extraction_thresholds_both_directions():
    # row softmax = [[0.7, 0.3], [0.1, 0.9]] exactly
    # column softmax = [[0.875, 0.25], [0.125, 0.75]]
    scores = np.log(np.array([[0.7, 0.3], [0.1, 0.9]]))
    assert pairs_of(softmax_links(scores, 0.2)) == {(0, 0), (0, 1), (1, 1)}
    assert pairs_of(softmax_links(scores, 0.26)) == {(0, 0), (1, 1)}
    assert pairs_of(softmax_links(scores, 0.001)) == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_cosine_similarity_and_distortion():
    sim = cosine_similarity(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [-1.0, 0]]))
    assert np.allclose(sim, [[1.0, 0.0], [0.5, 0.5]])
    assert np.allclose(apply_distortion(np.ones((2, 2)), 0.5), [[1.0, 0.5], [0.5, 1.0]])
    assert np.allclose(apply_distortion(np.ones((1, 3)), 0.5), 1.0)


def test_subword_links_become_word_links():
    mask = np.array([[True, True, False], [False, False, True]])
    # source subwords belong to words [0, 0]... here rows are words 3 and 5, columns words 0, 0, 1
    assert links_from_matrix(mask, [3, 5], [0, 0, 1]) == {(3, 0), (5, 1)}


def test_ports_agree_with_the_simalign_package():
    simalign = pytest.importorskip("simalign")
    reference = simalign.SentenceAligner
    rng = np.random.default_rng(0)
    for m, n in [(1, 4), (3, 3), (5, 7), (8, 4), (12, 12)]:
        for _ in range(4):
            sim = rng.random((m, n))
            fwd, bwd = reference.get_alignment_matrix(sim)
            assert pairs_of(argmax_links(sim)) == pairs_of(fwd * bwd)
            assert pairs_of(itermax_links(sim)) == pairs_of(reference.iter_max(sim))
            assert pairs_of(match_links(sim)) == pairs_of(reference.get_max_weight_match(sim))
            assert np.allclose(apply_distortion(sim, 0.5), reference.apply_distortion(sim, 0.5))


# --- word pooling and chunking ---------------------------------------------------------------


def test_pooling_means_subwords_and_keeps_words_without_any():
    sub = SubwordVectors(
        vectors=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32),
        word_index=np.array([0, 0, 2]),
        n_words=4,
    )
    words = pool_words(sub)
    assert np.allclose(words.vectors, [[2.0, 3.0], [0.0, 0.0], [5.0, 6.0], [0.0, 0.0]])
    assert words.covered.tolist() == [True, False, True, False]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path())


def test_words_without_subwords_get_the_unknown_token(minilm_tokenizer):
    chunks, replaced = plan_chunks(minilm_tokenizer, [["Hello", "\u200b", "world", " "]], 512)
    assert replaced == 2
    assert [c.words for c in chunks] == [["Hello", "[UNK]", "world", "[UNK]"]]


def test_long_sentences_are_cut_into_chunks_of_whole_words(minilm_tokenizer):
    words = ["hello", "unbelievableness", "world", "cat", "dog"]  # 1, 2, 1, 1, 1 subwords
    chunks, _ = plan_chunks(minilm_tokenizer, [words, []], max_length=2 + 3)  # 3 subwords a chunk
    assert [(c.sentence, c.start, c.end) for c in chunks] == [(0, 0, 2), (0, 2, 5)]
    single = ["unbelievableness", "cat"]  # a word longer than the budget gets a chunk alone
    chunks, _ = plan_chunks(minilm_tokenizer, [single], max_length=2 + 1)
    assert [(c.start, c.end) for c in chunks] == [(0, 1), (1, 2)]


# --- real MiniLM -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm_simalign():
    import torch

    torch.set_num_threads(1)
    return from_config(
        "aligner", "simalign", model=str(minilm_path()), layer=4, device="cpu", batch_size=8
    )


def test_default_layer_8_is_refused_for_six_layer_minilm():
    with pytest.raises(ConfigError, match=r"layer 8 .* 6 layers.*0\.\.6"):
        from_config("aligner", "simalign", model="minilm")
    with pytest.raises(ConfigError, match="method"):
        from_config("aligner", "simalign", model="minilm", layer=6, method="best")


IDENTICAL = "the man saw the dog near the old river bank yesterday".split()


@pytest.mark.parametrize("method", ["argmax", "itermax", "match"])
@pytest.mark.parametrize("level", ["subword", "word"])
def test_identical_sentences_align_diagonally_with_minilm(minilm_simalign, method, level):
    minilm_simalign.method, minilm_simalign.level = method, level
    [links] = minilm_simalign.align([(IDENTICAL, IDENTICAL)])
    assert links == {(i, i) for i in range(len(IDENTICAL))}


def test_awesome_aligns_identical_sentences_diagonally(minilm_simalign):
    # raw dot products (not cosine): at MiniLM's last layer the three "the" overlap too much,
    # so this uses a middle layer, as awesome-align uses mBERT's layer 8 of 12
    awesome = from_config("aligner", "awesome", model="minilm", layer=4, device="cpu")
    awesome._encoder = minilm_simalign.encoder  # share the loaded model (same layer)
    for level in ("subword", "word"):
        awesome.level = level
        [links] = awesome.align([(IDENTICAL, IDENTICAL)])
        assert links == {(i, i) for i in range(len(IDENTICAL))}
    assert awesome.via == "direct"


def test_minilm_links_stay_in_bounds_with_odd_words(minilm_simalign):
    minilm_simalign.method, minilm_simalign.level = "itermax", "word"
    pairs = [
        (["Hello", "\u200b", "world"], ["hello", "big", "world", "\x00"]),
        ([], ["alone"]),
        (["alone"], []),
    ]
    result = minilm_simalign.align(pairs)
    for k, ((src, tgt), links) in enumerate(zip(pairs, result, strict=True)):
        check_links(links, len(src), len(tgt), k)
    assert {(0, 0), (2, 2)} <= result[0]
    assert result[1] == result[2] == set()


# --- tiny random BERT through from_pretrained ------------------------------------------------


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    import torch
    from tokenizers import BertWordPieceTokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(0)
    corpus = ["the cat sat on the mat", "ein Hund lief über die Straße", "unbelievable things"]
    trainer = BertWordPieceTokenizer(lowercase=False)
    trainer.train_from_iterator(corpus, vocab_size=60, min_frequency=1, show_progress=False)
    backend = trainer._tokenizer
    backend.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[(t, backend.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    folder = tmp_path_factory.mktemp("tiny_bert")
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_tiny_bert_word_vectors_are_subword_means(tiny_bert):
    import torch
    from transformers import AutoModel, AutoTokenizer

    from xner.align.encoder import Encoder

    words = ["unbelievable", "cat", "\u200b", "sat"]
    encoder = Encoder(tiny_bert, layer=2, device="cpu")
    [word_vectors] = encoder.word_vectors([words])
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    model = AutoModel.from_pretrained(tiny_bert).eval()
    substituted = ["unbelievable", "cat", "[UNK]", "sat"]
    encoding = tokenizer([substituted], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoding, output_hidden_states=True).hidden_states[2][0].numpy()
    ids = encoding.word_ids(0)
    assert ids.count(0) > 1  # "unbelievable" is split into several subwords
    for w in range(len(words)):
        positions = [p for p, i in enumerate(ids) if i == w]
        assert np.allclose(word_vectors.vectors[w], hidden[positions].mean(axis=0), atol=1e-5)
    assert word_vectors.covered.all()


def test_tiny_bert_chunks_long_sentences_without_losing_words(tiny_bert):
    from xner.align.encoder import Encoder

    long = ("the cat sat on the mat " * 8).split()  # 48 words, more than 14 subwords per chunk
    encoder = Encoder(tiny_bert, layer=1, device="cpu", max_length=16)
    [sub] = encoder.subword_vectors([long])
    assert sub.n_words == len(long)
    assert set(sub.word_index.tolist()) == set(range(len(long)))
    assert pool_words(sub).covered.all()


def test_one_pass_gives_each_layer_as_its_own_encoder_would(tiny_bert):
    from xner.align.encoder import Encoder

    sentences = [["unbelievable", "cat"], ("the cat sat on the mat " * 4).split(), []]
    both = Encoder(tiny_bert, layer=0, device="cpu", max_length=16).layer_vectors(sentences, (1, 2))
    for layer in (1, 2):
        alone = Encoder(tiny_bert, layer=layer, device="cpu", max_length=16)
        for one, other in zip(both[layer], alone.subword_vectors(sentences), strict=True):
            assert np.array_equal(one.word_index, other.word_index)
            assert np.allclose(one.vectors, other.vectors, atol=1e-6)
    assert not np.allclose(both[1][0].vectors, both[2][0].vectors)
    with pytest.raises(ConfigError, match="layer 3"):
        alone.layer_vectors(sentences, (3,))


def test_tiny_bert_aligners_give_links_within_bounds(tiny_bert):
    with pytest.raises(ConfigError, match="2 layers"):
        from_config("aligner", "simalign", model=tiny_bert, layer=3)
    pairs = [
        ("the cat sat".split(), "ein Hund lief über die Straße".split()),
        (["unbelievable", "\u200b"], ["things"]),
        (("the cat " * 20).split(), ("ein Hund " * 20).split()),
    ]
    aligners = [
        from_config(
            "aligner",
            "simalign",
            model=tiny_bert,
            layer=2,
            method="match",
            device="cpu",
            max_length=16,
        ),
        from_config(
            "aligner",
            "simalign",
            model=tiny_bert,
            layer=1,
            level="word",
            device="cpu",
            block_size=2,
        ),
        from_config(
            "aligner", "awesome", model=tiny_bert, layer=2, device="cpu", via="backtranslation"
        ),
    ]
    for aligner in aligners:
        result = aligner.align(pairs)
        assert len(result) == len(pairs)
        for k, ((src, tgt), links) in enumerate(zip(pairs, result, strict=True)):
            assert links
            check_links(links, len(src), len(tgt), k)
    assert aligners[2].via == "backtranslation"


def test_aligner_configs_instantiate(tiny_bert):

    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    conf = CONF_DIR / "aligner"
    simalign = OmegaConf.load(conf / "simalign.yaml")
    awesome = OmegaConf.load(conf / "awesome.yaml")
    assert (simalign.model, simalign.layer, simalign.method) == (
        "bert-base-multilingual-cased",
        8,
        "itermax",
    )
    assert (awesome.layer, awesome.threshold, simalign.via, awesome.via) == (
        8,
        0.001,
        "direct",
        "direct",
    )
    for node in (simalign, awesome):
        node.model, node.layer = tiny_bert, 2
        aligner = instantiate(node)
        assert aligner.layer == 2 and aligner.via == "direct"


# --- the shipped me5_small configs on real Europarl pairs ------------------------------------


@pytest.mark.parametrize("name", ["simalign_me5", "awesome_me5"])
@pytest.mark.parametrize("lang", ["de", "es"])
def test_me5_aligners_project_real_entities_exactly(name, lang, europarl_dir):
    """Sentences 1-2: "European Parliament" (ORG) and "millennium bug" (MISC), projected with the
    default heuristic, land on the gold spans ("Europäischen Parlaments", "Millenium-Bug";
    "Parlamento Europeo", "efecto del año 2000"). The paper's awesome threshold at layer 12
    misses all four."""
    import torch

    from xner.data.conll import read_conll
    from xner.data.tags import entities

    torch.set_num_threads(1)
    src = read_conll(europarl_dir / "en-europarl.test.conll02")[1:3]
    tgt = read_conll(europarl_dir / f"{lang}-europarl.test.conll02")[1:3]
    aligner = from_config("aligner", name, device="cpu")
    assert aligner.model == "me5_small"
    result = aligner.align([(s.words, t.words) for s, t in zip(src, tgt, strict=True)])
    projector = from_config("projector", "heuristic")
    for k, (s, t, links) in enumerate(zip(src, tgt, result, strict=True)):
        check_links(links, len(s.words), len(t.words), k)
        projection = projector.project(s.words, entities(s.tags), t.words, links)
        assert projection.tags(len(t.words)) == t.tags, (k, t.words)
