"""Tiny RANDOM-WEIGHT Qwen3-VL and Molmo2 checkpoints for the adapter tests (test helper, not a fixture file).

Why: this machine has no model hub, so the real checkpoints cannot be had.  These builders
make checkpoints with the real architectures (transformers 5.x ``Qwen3VLForConditionalGeneration``
/ ``Molmo2ForConditionalGeneration``), shrunk to a few layers and a small hidden size, with
random weights, plus the real processor classes around a tokenizer built with the
``tokenizers`` library (a WordLevel vocabulary holding every special token the processors and
chat templates need).  Everything is written with ``save_pretrained`` to a local directory,
which the adapters then load with their ordinary ``from_pretrained`` code.

What this shows and what it does not: the real preprocessing, forward, generate and pooling
code runs end to end; the text the models generate is GARBAGE (random weights), so tests on
it check plumbing and failure handling, never quality.

The chat templates are small Jinja templates with the same shape as the released ones
(``<|im_start|>role ... <|im_end|>``; a video rendered as the processor's video token), not
copies of them: the released checkpoints carry their own templates, which the adapters use.
"""

from __future__ import annotations

import json
from pathlib import Path

WORDS = (
    "a the person man woman dog cat kitchen knife onion cuts slices walks runs jumps picks up puts down "
    "table ball car street left right start end description event video frame points coords alt "
    "is in on with and of to from then after before [ ] { } : , . \" 0 1 2 3 4 5 6 7 8 9 "
    "summary_brief summary_detailed action_brief action_detailed actor N/A"
).split()

QWEN_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|image_pad|>", "<|video_pad|>",
]
MOLMO_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<im_patch>", "<im_col>", "<im_start>",
    "<low_res_im_start>", "<frame_start>", "<im_end>", "<frame_end>", "<im_low>", "<|image|>", "<|video|>",
]

QWEN_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for c in message['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

MOLMO_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for c in message['content'] %}"
    "{% if c['type'] == 'image' %}<|image|>{% elif c['type'] == 'video' %}<|video|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _fast_tokenizer(specials: list[str], **kw):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", **kw)
    fast.add_special_tokens({"additional_special_tokens": specials})
    return fast


def build_qwen3_vl(path: str | Path) -> Path:
    """A ~1M-parameter random Qwen3-VL (ForConditionalGeneration) + Qwen3VLProcessor at ``path``."""
    import torch
    from transformers import (Qwen3VLConfig, Qwen3VLForConditionalGeneration, Qwen2VLImageProcessor,
                              Qwen3VLProcessor, Qwen3VLVideoProcessor)

    path = Path(path)
    tok = _fast_tokenizer(QWEN_SPECIALS, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    vocab = len(tok)
    cfg = Qwen3VLConfig(
        text_config=dict(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                          "mrope_section": [2, 3, 3], "mrope_interleaved": True},
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=16,
                           spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=64,
                           num_position_embeddings=64, deepstack_visual_indexes=[0]),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(0)
    model = Qwen3VLForConditionalGeneration(cfg).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(path)
    size = {"shortest_edge": 32 * 32 * 4, "longest_edge": 32 * 32 * 64}
    proc = Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=size, patch_size=16, merge_size=2, temporal_patch_size=2),
        video_processor=Qwen3VLVideoProcessor(size=size, patch_size=16, merge_size=2, temporal_patch_size=2),
        tokenizer=tok, chat_template=QWEN_TEMPLATE,
    )
    proc.save_pretrained(path)
    return path


def build_molmo2(path: str | Path) -> Path:
    """A small random Molmo2 (ForConditionalGeneration) + Molmo2Processor at ``path``."""
    import torch
    from transformers import (Molmo2Config, Molmo2ForConditionalGeneration, Molmo2ImageProcessor,
                              Molmo2Processor, Molmo2VideoProcessor)

    path = Path(path)
    tok = _fast_tokenizer(MOLMO_SPECIALS, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                          bos_token="<|endoftext|>")
    ids = {t: tok.convert_tokens_to_ids(t) for t in MOLMO_SPECIALS}
    vocab = len(tok)
    image = 56  # 4 x 4 patches of 14 px
    cfg = Molmo2Config(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           num_key_value_heads=2, head_dim=16, image_size=[image, image], patch_size=14),
        adapter_config=dict(vision_feature_layer=[-1, -2], hidden_size=32, num_attention_heads=2,
                            num_key_value_heads=2, head_dim=16, intermediate_size=64, text_hidden_size=64),
        text_config=dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                         vocab_size=vocab, additional_vocab_size=0, num_hidden_layers=2, intermediate_size=128,
                         max_position_embeddings=4096),
        image_start_token_id=ids["<im_start>"], low_res_image_start_token_id=ids["<low_res_im_start>"],
        image_end_token_id=ids["<im_end>"], image_patch_id=ids["<im_patch>"],
        frame_start_token_id=ids["<frame_start>"], frame_end_token_id=ids["<frame_end>"],
    )
    torch.manual_seed(0)
    model = Molmo2ForConditionalGeneration(cfg).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(path)
    proc = Molmo2Processor(
        image_processor=Molmo2ImageProcessor(size={"height": image, "width": image}, patch_size=14),
        video_processor=Molmo2VideoProcessor(size={"height": image, "width": image}, patch_size=14,
                                             pooling_size=[2, 2], num_frames=8, max_fps=2),
        tokenizer=tok, chat_template=MOLMO_TEMPLATE,
    )
    proc.save_pretrained(path)
    return path


if __name__ == "__main__":  # python tests/_tiny_vlm.py OUT_DIR
    import sys

    out = Path(sys.argv[1])
    print(build_qwen3_vl(out / "qwen3-vl"), build_molmo2(out / "molmo2"))
