"""Small Stable-Diffusion-style networks and their ONNX export in the optimum directory layout.

Networks:
  TextEncoder  CLIP-like causal transformer; pooled output = final-LayerNorm state at argmax(ids).
  UNet         epsilon-prediction UNet with ResBlocks, self/cross-attention transformer blocks,
               a sinusoidal timestep embedding and two coordinate channels (x, y in (-1, 1),
               computed inside the graph from the sample's shape) appended to the input.
  Encoder / Decoder  convolutional autoencoder, 64x64x3 <-> 8x8x4 (factor 8 per side).

Every graph uses only standard opset-17 operators that ONNX Runtime's CPU provider implements.
"""
import json
import math
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
SD_SCALING_FACTOR = 0.18215


def group_norm(ch):
    return nn.GroupNorm(min(8, ch), ch, eps=1e-5)


# ---------------------------------------------------------------------------------------------
# Attention


class Attention(nn.Module):
    def __init__(self, dim, heads, context_dim=None):
        super().__init__()
        context_dim = context_dim or dim
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(context_dim, dim, bias=False)
        self.v = nn.Linear(context_dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def _split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, x, context=None, bias=None):
        context = x if context is None else context
        q, k, v = self._split(self.q(x)), self._split(self.k(context)), self._split(self.v(context))
        scores = torch.matmul(q, k.transpose(2, 3)) * self.scale
        if bias is not None:
            scores = scores + bias
        attn = torch.softmax(scores, dim=-1)
        out = torch.matmul(attn, v).transpose(1, 2)
        b, n = out.shape[0], out.shape[1]
        return self.out(out.reshape(b, n, -1))


class FeedForward(nn.Sequential):
    def __init__(self, dim, mult=4):
        super().__init__(nn.Linear(dim, dim * mult), nn.GELU(), nn.Linear(dim * mult, dim))


# ---------------------------------------------------------------------------------------------
# Text encoder


class TextBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim)

    def forward(self, x, bias):
        x = x + self.attn(self.ln1(x), bias=bias)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, dim, layers, heads, length=77):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, dim=dim, layers=layers, heads=heads, length=length)
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Parameter(torch.randn(length, dim) * 0.01)
        self.blocks = nn.ModuleList([TextBlock(dim, heads) for _ in range(layers)])
        self.final_ln = nn.LayerNorm(dim)
        pos = torch.arange(length)
        # causal mask from position indices: key position > query position is hidden
        self.register_buffer("causal_bias", (pos[None, :] > pos[:, None]).float() * -1e9, persistent=False)
        self.register_buffer("positions", pos.float(), persistent=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)

    def forward(self, input_ids):
        x = self.token_embedding(input_ids.long()) + self.position_embedding
        for block in self.blocks:
            x = block(x, self.causal_bias)
        x = self.final_ln(x)
        # CLIP pooling at argmax(input_ids) (the first <|endoftext|>), written as a one-hot sum
        eos = torch.argmax(input_ids.float(), dim=1, keepdim=True).float()
        onehot = (self.positions[None, :] == eos).float()
        pooled = torch.sum(x * onehot.unsqueeze(2), dim=1)
        return x, pooled


# ---------------------------------------------------------------------------------------------
# UNet


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class SpatialTransformer(nn.Module):
    def __init__(self, ch, context_dim, heads, ff_mult=4):
        super().__init__()
        self.norm = group_norm(ch)
        self.proj_in = nn.Conv2d(ch, ch, 1)
        self.ln1 = nn.LayerNorm(ch)
        self.self_attn = Attention(ch, heads)
        self.ln2 = nn.LayerNorm(ch)
        self.cross_attn = Attention(ch, heads, context_dim)
        self.ln3 = nn.LayerNorm(ch)
        self.ff = FeedForward(ch, ff_mult)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x, context):
        h = self.proj_in(self.norm(x))
        b, c = h.shape[0], h.shape[1]
        t = h.reshape(b, c, -1).transpose(1, 2)
        t = t + self.self_attn(self.ln1(t))
        t = t + self.cross_attn(self.ln2(t), context)
        t = t + self.ff(self.ln3(t))
        h = t.transpose(1, 2).reshape(x.shape)
        return x + self.proj_out(h)


def coordinate_channels(sample):
    """x and y of each latent cell centre in (-1, 1), shaped [batch, 2, h, w], built only from
    the sample's shape (CumSum / ReduceSum), so any batch, h and w work."""
    ones = torch.ones_like(sample[:, :1])
    y = (torch.cumsum(ones, dim=2) - 0.5) / torch.sum(ones, dim=2, keepdim=True) * 2 - 1
    x = (torch.cumsum(ones, dim=3) - 0.5) / torch.sum(ones, dim=3, keepdim=True) * 2 - 1
    return torch.cat([x, y], dim=1)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    """channels[i] is the width at level i (level 0 = full latent resolution); attention[i] says
    whether level i has a transformer block after each ResBlock; the middle block (at the lowest
    level) always has one."""

    def __init__(self, channels=(64, 128), attention=(True, True), context_dim=64, heads=4,
                 res_per_level=1, in_channels=4, out_channels=4, coords=True, ff_mult=4, time_dim=None):
        super().__init__()
        self.config = dict(channels=list(channels), attention=list(attention), context_dim=context_dim,
                           heads=heads, res_per_level=res_per_level, in_channels=in_channels,
                           out_channels=out_channels, coords=coords, ff_mult=ff_mult)
        self.coords = coords
        c0 = channels[0]
        self.tdim = time_dim or c0 * 4
        self.time_mlp = nn.Sequential(nn.Linear(c0, self.tdim), nn.SiLU(), nn.Linear(self.tdim, self.tdim))
        self.conv_in = nn.Conv2d(in_channels + (2 if coords else 0), c0, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skip_ch = [c0]
        ch = c0
        for i, c in enumerate(channels):
            for _ in range(res_per_level):
                self.down.append(nn.ModuleList([ResBlock(ch, c, self.tdim),
                                                SpatialTransformer(c, context_dim, heads, ff_mult) if attention[i] else nn.Identity()]))
                ch = c
                skip_ch.append(ch)
            if i < len(channels) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skip_ch.append(ch)
        self.mid1 = ResBlock(ch, ch, self.tdim)
        self.mid_attn = SpatialTransformer(ch, context_dim, heads, ff_mult)
        self.mid2 = ResBlock(ch, ch, self.tdim)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i in reversed(range(len(channels))):
            c = channels[i]
            for _ in range(res_per_level + 1):
                self.up.append(nn.ModuleList([ResBlock(ch + skip_ch.pop(), c, self.tdim),
                                              SpatialTransformer(c, context_dim, heads, ff_mult) if attention[i] else nn.Identity()]))
                ch = c
            if i > 0:
                self.upsample.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.norm_out = group_norm(ch)
        self.conv_out = nn.Conv2d(ch, out_channels, 3, padding=1)
        self.levels = len(channels)
        self.res_per_level = res_per_level

    @staticmethod
    def _apply(block, x, temb, context):
        res, attn = block
        x = res(x, temb)
        if not isinstance(attn, nn.Identity):
            x = attn(x, context)
        return x

    def forward(self, sample, timestep, encoder_hidden_states):
        # timestep may be [1], [batch] or a scalar: broadcast it against the batch
        t = timestep.reshape(-1, 1).float() * torch.ones_like(sample[:, 0, 0, :1])
        temb = self.time_mlp(timestep_embedding(t[:, 0], self.config["channels"][0]))
        x = torch.cat([sample, coordinate_channels(sample)], dim=1) if self.coords else sample
        x = self.conv_in(x)
        skips = [x]
        k = 0
        for i in range(self.levels):
            for _ in range(self.res_per_level):
                x = self._apply(self.down[k], x, temb, encoder_hidden_states)
                k += 1
                skips.append(x)
            if i < self.levels - 1:
                x = self.downsample[i](x)
                skips.append(x)
        x = self.mid1(x, temb)
        x = self.mid_attn(x, encoder_hidden_states)
        x = self.mid2(x, temb)
        k = 0
        for j, i in enumerate(reversed(range(self.levels))):
            for _ in range(self.res_per_level + 1):
                x = self._apply(self.up[k], torch.cat([x, skips.pop()], dim=1), temb, encoder_hidden_states)
                k += 1
            if i > 0:
                target = skips[-1]
                x = F.interpolate(x, size=(target.shape[2], target.shape[3]), mode="nearest")
                x = self.upsample[j](x)
        return self.conv_out(F.silu(self.norm_out(x)))


# ---------------------------------------------------------------------------------------------
# Autoencoder


class AEBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Encoder(nn.Module):
    """64x64x3 -> 8x8xlatent. channels[i] is the width at resolution 64 / 2**i (i = 0..3)."""

    def __init__(self, channels=(32, 64, 96, 128), latent=4):
        super().__init__()
        self.config = dict(channels=list(channels), latent=latent)
        self.conv_in = nn.Conv2d(3, channels[0], 3, padding=1)
        layers = []
        ch = channels[0]
        for i, c in enumerate(channels):
            layers.append(AEBlock(ch, c))
            ch = c
            if i < len(channels) - 1:
                layers.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.body = nn.Sequential(*layers)
        self.norm_out = group_norm(ch)
        self.conv_out = nn.Conv2d(ch, latent, 3, padding=1)

    def forward(self, x):
        return self.conv_out(F.silu(self.norm_out(self.body(self.conv_in(x)))))


class Decoder(nn.Module):
    """8x8xlatent -> 64x64x3. channels[i] is the width at resolution 8 * 2**i (i = 0..3)."""

    def __init__(self, channels=(128, 96, 64, 32), latent=4, blocks_per_level=1):
        super().__init__()
        self.config = dict(channels=list(channels), latent=latent, blocks_per_level=blocks_per_level)
        self.conv_in = nn.Conv2d(latent, channels[0], 3, padding=1)
        layers = []
        ch = channels[0]
        for i, c in enumerate(channels):
            for _ in range(blocks_per_level):
                layers.append(AEBlock(ch, c))
                ch = c
            if i < len(channels) - 1:
                layers.append(nn.Upsample(scale_factor=2.0, mode="nearest"))
                layers.append(nn.Conv2d(ch, channels[i + 1], 3, padding=1))
                ch = channels[i + 1]
        self.body = nn.Sequential(*layers)
        self.norm_out = group_norm(ch)
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, z):
        return self.conv_out(F.silu(self.norm_out(self.body(self.conv_in(z)))))


class ExportedDecoder(nn.Module):
    """What vae_decoder/model.onnx computes: the server passes latents / 0.18215; undo that, then
    map the diffusion model's unit-variance latents back to the autoencoder's (z * std + mean)."""

    def __init__(self, decoder, latent_mean, latent_std):
        super().__init__()
        self.decoder = decoder
        self.register_buffer("scale", (torch.as_tensor(latent_std, dtype=torch.float32) * SD_SCALING_FACTOR).view(1, -1, 1, 1))
        self.register_buffer("shift", torch.as_tensor(latent_mean, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, latent_sample):
        return self.decoder(latent_sample * self.scale + self.shift)


# ---------------------------------------------------------------------------------------------
# Export


def _set_shape(value_info, dims):
    shape = value_info.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, str):
            dim.dim_param = d
        else:
            dim.dim_value = d


def _store_weights_fp16(model, min_elements=256):
    """Stores large float32 weight tensors as float16 initializers followed by a Cast to float32,
    halving the file; inputs, outputs and arithmetic stay float32 (a runtime folds the Casts)."""
    graph = model.graph
    keep, casts = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == onnx.TensorProto.FLOAT and arr.size >= min_elements and np.abs(arr).max() < 6e4:
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                          name=init.name + "__cast"))
        else:
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def _finish(path, io_shapes, fp16_weights=False):
    """Strips debug strings and intermediate value_info, sets the declared input/output shapes,
    optionally stores weights as float16, and checks the model (including strict shape inference)."""
    model = onnx.load(path)
    if fp16_weights:
        _store_weights_fp16(model)
    model.producer_name = "t2i-models"
    model.producer_version = "1"
    model.doc_string = ""
    for node in model.graph.node:
        node.doc_string = ""
    del model.graph.value_info[:]
    for vi in list(model.graph.input) + list(model.graph.output):
        if vi.name in io_shapes:
            _set_shape(vi, io_shapes[vi.name])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return model


def _export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)


def export_text_encoder(encoder, path, ids_dtype=torch.int32, fp16_weights=False):
    length, dim = encoder.config["length"], encoder.config["dim"]
    ids = torch.zeros(2, length, dtype=ids_dtype)
    _export(encoder, (ids,), path, ["input_ids"], ["last_hidden_state", "pooler_output"],
            {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    return _finish(path, {"input_ids": ["batch", length], "last_hidden_state": ["batch", length, dim],
                          "pooler_output": ["batch", dim]}, fp16_weights)


def export_unet(unet, path, latent_size=8, timestep="int64", fp16_weights=False):
    """timestep: "int64" -> int64 [batch] (shape [1] also accepted); "float_scalar" -> float32 []."""
    cin, cout, ctx = unet.config["in_channels"], unet.config["out_channels"], unet.config["context_dim"]
    sample = torch.randn(2, cin, latent_size, latent_size)
    if timestep == "int64":
        t = torch.tensor([10, 500], dtype=torch.int64)
        t_axes = {0: "batch"}
        t_shape = ["batch"]
    elif timestep == "float_scalar":
        t = torch.tensor(500.0)
        t_axes = {}
        t_shape = []
    else:
        raise ValueError(timestep)
    context = torch.randn(2, 77, ctx)
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": t_axes,
            "encoder_hidden_states": {0: "batch", 1: "sequence"},
            "out_sample": {0: "batch", 2: "height", 3: "width"}}
    _export(unet, (sample, t, context), path, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"], axes)
    return _finish(path, {"sample": ["batch", cin, "height", "width"], "timestep": t_shape,
                          "encoder_hidden_states": ["batch", "sequence", ctx],
                          "out_sample": ["batch", cout, "height", "width"]}, fp16_weights)


def export_vae_decoder(exported_decoder, path, latent=4, latent_size=8, fp16_weights=False):
    z = torch.randn(1, latent, latent_size, latent_size)
    axes = {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"},
            "sample": {0: "batch", 2: "image_height", 3: "image_width"}}
    _export(exported_decoder, (z,), path, ["latent_sample"], ["sample"], axes)
    return _finish(path, {"latent_sample": ["batch", latent, "latent_height", "latent_width"],
                          "sample": ["batch", 3, "image_height", "image_width"]}, fp16_weights)


# ---------------------------------------------------------------------------------------------
# Configuration files


def _write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def scheduler_config(class_name="DDIMScheduler"):
    cfg = {
        "_class_name": class_name,
        "_diffusers_version": "0.21.0",
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "steps_offset": 1,
        "timestep_spacing": "leading",
        "trained_betas": None,
    }
    if class_name == "DDIMScheduler":
        cfg.update({"clip_sample": False, "set_alpha_to_one": False, "thresholding": False,
                    "rescale_betas_zero_snr": False})
    else:
        cfg.update({"interpolation_type": "linear", "use_karras_sigmas": False, "set_alpha_to_one": False})
    return cfg


def write_configs(root, text_encoder, unet, decoder_config, latent_size, image_size, vocab, scheduler_class):
    te = text_encoder.config
    _write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline",
        "_diffusers_version": "0.21.0",
        "requires_safety_checker": False,
        "feature_extractor": [None, None],
        "safety_checker": [None, None],
        "scheduler": ["diffusers", scheduler_class],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
    })
    _write_json(os.path.join(root, "text_encoder", "config.json"), {
        "architectures": ["CLIPTextModel"],
        "model_type": "clip_text_model",
        "hidden_size": te["dim"],
        "intermediate_size": te["dim"] * 4,
        "num_attention_heads": te["heads"],
        "num_hidden_layers": te["layers"],
        "max_position_embeddings": te["length"],
        "vocab_size": te["vocab_size"],
        "hidden_act": "gelu",
        "projection_dim": te["dim"],
        "bos_token_id": vocab["<|startoftext|>"],
        "eos_token_id": vocab["<|endoftext|>"],
        "pad_token_id": vocab["<|endoftext|>"],
    })
    uc = unet.config
    _write_json(os.path.join(root, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.21.0",
        "sample_size": latent_size,
        "in_channels": uc["in_channels"],
        "out_channels": uc["out_channels"],
        "cross_attention_dim": uc["context_dim"],
        "block_out_channels": uc["channels"],
        "attention_head_dim": uc["heads"],  # SD 1.x configs use this field for the head count
        "num_attention_heads": uc["heads"],
        "layers_per_block": uc["res_per_level"],
        "coordinate_channels": uc["coords"],
    })
    _write_json(os.path.join(root, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.21.0",
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "sample_size": image_size,
        "scaling_factor": SD_SCALING_FACTOR,
        "block_out_channels": decoder_config["channels"],
    })
    _write_json(os.path.join(root, "scheduler", "scheduler_config.json"), scheduler_config(scheduler_class))
