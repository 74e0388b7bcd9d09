"""The cross-encoder entailment backend, with a tiny RANDOM-WEIGHT BERT NLI model built from a config.

Random weights: these tests check loading, label mapping, both-ways plumbing and the matcher's
refinement path, never the quality of the inference.
"""

from __future__ import annotations

import numpy as np
import pytest

from videoaudit.models import registry
from videoaudit.models.entailment import LABELS, relation, relations

WORDS = "a the man woman cracks eggs into bowl glass red blue opens closes lid dog runs in park . ,".split()


def build_tiny_nli(path, id2label):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {w: i for i, w in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, num_labels=3,
                     id2label=id2label, label2id={v: k for k, v in id2label.items()})
    import torch

    torch.manual_seed(0)
    BertForSequenceClassification(cfg).save_pretrained(path)
    fast.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory):
    return build_tiny_nli(tmp_path_factory.mktemp("nli"), {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"})


def test_registered_by_name_and_lazy(tiny_nli):
    assert "cross-encoder" in registry.names("entailment")
    model = registry.get("entailment", "cross-encoder", model=tiny_nli)
    assert model._model is None  # nothing loaded until the first call


def test_scores_are_probabilities_in_label_order(tiny_nli):
    model = registry.get("entailment", "cross-encoder", model=tiny_nli)
    p = model.scores(["a man cracks eggs", "a dog runs"], ["a woman cracks eggs", "a dog runs in a park"])
    assert p.shape == (2, 3) and np.allclose(p.sum(1), 1.0, atol=1e-5) and (p >= 0).all()
    # the config says 0=contradiction, 2=entailment: columns are reordered to LABELS
    assert model._columns == [2, 1, 0] and LABELS == ("entailment", "neutral", "contradiction")
    labels = relations(model, ["a man opens the lid"], ["a man closes the lid"])
    assert labels[0] in {"paraphrase", "omission", "contradiction", "neutral"}
    assert model.scores([], []).shape == (0, 3)
    with pytest.raises(ValueError):
        model.scores(["a"], [])


def test_generic_label_names_use_the_given_order(tmp_path):
    path = build_tiny_nli(tmp_path / "m", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    from videoaudit.models.entailment import CrossEncoderEntailment

    m = CrossEncoderEntailment(path, label_order=("entailment", "neutral", "contradiction"))
    m.scores(["a"], ["b"])
    assert m._columns == [0, 1, 2]


def test_missing_model_names_it():
    from videoaudit.models.entailment import CrossEncoderEntailment

    with pytest.raises(RuntimeError, match="no-such-nli-model"):
        CrossEncoderEntailment("/nonexistent/no-such-nli-model").scores(["a"], ["b"])


def test_relation_rules():
    e, n, c = np.array([0.9, 0.05, 0.05]), np.array([0.1, 0.8, 0.1]), np.array([0.05, 0.05, 0.9])
    assert relation(e, e) == "paraphrase"
    assert relation(e, n) == "omission"
    assert relation(n, c) == "contradiction"
    assert relation(n, n) == "neutral"


def test_matcher_refinement_runs_with_the_model(tiny_nli):
    from videoaudit.evidence import audit_video

    video = {"video_id": "v", "duration": 10.0, "title": None, "description": None, "transcript": []}
    seg = {"video_id": "v", "segment_id": "s", "parent_id": None, "level": 0, "start": 0.0, "end": 10.0,
           "has_gpt": True, "summary_brief": "A man cracks eggs into a red bowl.", "plm_caption": "a dog runs in a park."}
    [a] = audit_video(video, [seg], entailment=registry.get("entailment", "cross-encoder", model=tiny_nli))
    assert a.sentence_relations and a.sentence_relations[0][:2] == ("A man cracks eggs into a red bowl.", "plm_caption")
    assert a.sentence_relations[0][2] in {"paraphrase", "omission", "contradiction", "neutral"}
    for r in a.claims:
        assert r.status in {"supported", "contradicted", "unchecked"}
        assert all(v.rule.startswith("entailment:") for v in r.verdicts)


def test_the_signals_stage_runs_the_model_and_records_it(tiny_nli, tmp_path, monkeypatch):
    """``run(entailment=...)`` loads the model once, refines every video's claims with it, records
    it as the signals stage's configuration (another model, or none, redoes the signals), and a
    workspace that never named one records nothing."""
    from videoaudit import Workspace
    from videoaudit.manifest import read_manifest
    from videoaudit.models.entailment import CrossEncoderEntailment
    from videoaudit.sample import write_sample

    calls = []
    real = CrossEncoderEntailment.scores
    monkeypatch.setattr(CrossEncoderEntailment, "scores", lambda self, a, b: calls.append(len(a)) or real(self, a, b))
    info = write_sample(tmp_path / "sample", videos=2, seed=5, media=False)
    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(info["paths"]["annotations"])
    ws.run(stages=("signals",))
    assert "signals" not in read_manifest(ws.path).get("stages", {})
    assert not calls
    rep = ws.run(stages=("signals",), entailment=tiny_nli)["signals"]
    assert rep.done == 2 and read_manifest(ws.path)["stages"]["signals"] == {"entailment": tiny_nli}
    assert sum(calls) > 2  # the load check, then the (sentence, source) pairs of both videos, both ways
    assert ws.run(stages=("signals",), entailment=tiny_nli)["signals"].skipped == 2
    assert ws.run(stages=("signals",))["signals"].done == 2  # the model is gone: signals redone without it
    assert read_manifest(ws.path)["stages"]["signals"] == {"entailment": None}
