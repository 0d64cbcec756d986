"""Generates models/tiny-random/ (random weights, tiny dims) and the two loader test variants.

    /usr/bin/python3 models/scripts/make_tiny_random_model.py   # from the repository root

Deterministic (fixed seed). The vocabulary is learned from the shapes-domain captions; any text
still tokenizes through the 512 byte-level base tokens. Outputs:
  models/tiny-random/                              the model (optimum ONNX layout)
  models/test-variants/text_encoder_int64/model.onnx     same text encoder, input_ids int64
  models/test-variants/unet_float_timestep/model.onnx    same UNet, timestep float32 scalar []
  models/scripts/reference/tiny-random-io.json     inputs and outputs for cross-checking a runtime
The model is written to a temporary directory and moved into place only when complete.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_bpe  # noqa: E402
import sd_modules  # noqa: E402
import shapes_domain  # noqa: E402

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 0
NUM_MERGES = 200
TEXT_DIM = 32
LATENT_SIZE = 8


def build(seed=SEED):
    torch.manual_seed(seed)
    merges = clip_bpe.learn_merges(shapes_domain.all_captions(), NUM_MERGES)
    vocab = clip_bpe.build_vocab(merges)
    text_encoder = sd_modules.TextEncoder(len(vocab), TEXT_DIM, layers=2, heads=2)
    unet = sd_modules.UNet(channels=(16, 32), attention=(False, False), context_dim=TEXT_DIM, heads=2)
    decoder = sd_modules.Decoder(channels=(16, 16, 8, 8))
    exported_decoder = sd_modules.ExportedDecoder(decoder, [0.0] * 4, [1.0] * 4)
    for m in (text_encoder, unet, exported_decoder):
        m.eval()
    return merges, vocab, text_encoder, unet, decoder, exported_decoder


def reference_io(tokenizer, text_encoder, unet, exported_decoder):
    """A prompt, the unconditional prompt, and fixed formula inputs with their torch outputs."""
    prompts = ["a red circle at the top left on a white background", ""]
    ids = torch.tensor([tokenizer.frame(p) for p in prompts], dtype=torch.int32)
    with torch.no_grad():
        hidden, pooled = text_encoder(ids)
        idx = torch.arange(4 * LATENT_SIZE * LATENT_SIZE, dtype=torch.float32)
        # sample[0, c, y, x] = sin(0.1 * (c*64 + y*8 + x)), batch 2 = the same sample twice
        sample = torch.sin(0.1 * idx).view(1, 4, LATENT_SIZE, LATENT_SIZE).repeat(2, 1, 1, 1)
        timestep = torch.tensor([981], dtype=torch.int64)
        eps = unet(sample, timestep, hidden)
        image = exported_decoder(sample[:1])
    def flat(t):
        return [round(float(v), 7) for v in t.reshape(-1).tolist()]
    return {
        "description": "tiny-random reference: text_encoder(input_ids) -> last_hidden_state, pooler_output; "
                       "unet(sample, timestep=[981], encoder_hidden_states=last_hidden_state) -> out_sample; "
                       "vae_decoder(sample[0:1]) -> sample. Arrays are row-major, flattened.",
        "prompts": prompts,
        "input_ids": ids.tolist(),
        "last_hidden_state_shape": list(hidden.shape),
        "last_hidden_state": flat(hidden),
        "pooler_output_shape": list(pooled.shape),
        "pooler_output": flat(pooled),
        "unet_sample_shape": list(sample.shape),
        "unet_sample_formula": "sin(0.1 * (c*64 + y*8 + x)) for both batch entries",
        "unet_sample": flat(sample),
        "unet_timestep": [981],
        "unet_out_sample": flat(eps),
        "vae_latent_sample_shape": [1, 4, LATENT_SIZE, LATENT_SIZE],
        "vae_sample_shape": list(image.shape),
        "vae_sample": flat(image),
    }


def dir_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def main():
    merges, vocab, text_encoder, unet, decoder, exported_decoder = build()
    target = os.path.join(MODELS, "tiny-random")
    tmp = os.path.join(MODELS, ".tiny-random.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    clip_bpe.write_tokenizer_dir(os.path.join(tmp, "tokenizer"), merges)
    sd_modules.export_text_encoder(text_encoder, os.path.join(tmp, "text_encoder", "model.onnx"))
    sd_modules.export_unet(unet, os.path.join(tmp, "unet", "model.onnx"), LATENT_SIZE)
    sd_modules.export_vae_decoder(exported_decoder, os.path.join(tmp, "vae_decoder", "model.onnx"))
    sd_modules.write_configs(tmp, text_encoder, unet, decoder.config, LATENT_SIZE, LATENT_SIZE * 8, vocab,
                             "DDIMScheduler")

    variants = os.path.join(MODELS, "test-variants")
    sd_modules.export_text_encoder(text_encoder, os.path.join(variants, "text_encoder_int64", "model.onnx"),
                                   ids_dtype=torch.int64)
    sd_modules.export_unet(unet, os.path.join(variants, "unet_float_timestep", "model.onnx"), LATENT_SIZE,
                           timestep="float_scalar")

    tokenizer = clip_bpe.Tokenizer.from_dir(os.path.join(tmp, "tokenizer"))
    ref = reference_io(tokenizer, text_encoder, unet, exported_decoder)
    os.makedirs(os.path.join(MODELS, "scripts", "reference"), exist_ok=True)
    with open(os.path.join(MODELS, "scripts", "reference", "tiny-random-io.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")

    old = os.path.join(MODELS, ".tiny-random.old")
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(target):
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    params = {name: sum(p.numel() for p in m.parameters())
              for name, m in (("text_encoder", text_encoder), ("unet", unet), ("vae_decoder", decoder))}
    print("vocab", len(vocab), "params", params, "bytes", dir_size(target))


if __name__ == "__main__":
    main()
