"""Evaluates a shapes model: samples the fixed prompt set with CFG and classifies each image.

    /usr/bin/python3 models/scripts/eval_shapes_model.py [--work models/.work/shapes]
        [--sampler ddim|euler] [--steps 25] [--guidance 6] [--seeds 2] [--all]

Sampling follows the server: prompts are framed by the model's tokenizer exactly as the Java
tokenizer does ([BOS] ids [EOS] padded with EOS to 77; the unconditional prompt "" the same way),
the UNet runs on [uncond; cond], eps = uncond + g * (cond - uncond), and the scheduler is
diffusers' DDIMScheduler (eta 0) or EulerDiscreteScheduler with the model's scheduler_config
("leading" spacing, steps_offset 1, SD 1.5 betas). Images are decoded by the exported decoder
module (input = latents / 0.18215) and mapped with (x/2+0.5).clamp(0,1)*255, then rounded.

Initial noise for prompt i and seed k: torch.Generator().manual_seed(EVAL_SEED_BASE + 1000*k + i),
randn([1, 4, 8, 8]); training never uses these generators.
"""
import argparse
import collections
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_domain as D  # noqa: E402

EVAL_SEED_BASE = 900_000
ATTRIBUTES = ("color", "shape", "where", "background")


def alphas_cumprod(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012):
    betas = torch.linspace(beta_start ** 0.5, beta_end ** 0.5, num_train_timesteps, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def leading_timesteps(steps, num_train_timesteps=1000, offset=1):
    ratio = num_train_timesteps // steps
    return [i * ratio + offset for i in reversed(range(steps))], ratio


def _guided_eps(unet, x, t, context, uncond_context, guidance):
    n = x.shape[0]
    xin = torch.cat([x, x])
    ctx = torch.cat([uncond_context, context])
    eps = unet(xin, torch.full((1,), int(t), dtype=torch.int64), ctx)
    uncond, cond = eps[:n], eps[n:]
    return uncond + guidance * (cond - uncond)


@torch.no_grad()
def sample_ddim(unet, context, uncond_context, noise, steps=25, guidance=6.0):
    ac = alphas_cumprod()
    timesteps, ratio = leading_timesteps(steps)
    final = ac[0]  # set_alpha_to_one = false
    x = noise.double()
    for t in timesteps:
        eps = _guided_eps(unet, x.float(), t, context, uncond_context, guidance).double()
        a_t = ac[t]
        prev = t - ratio
        a_prev = ac[prev] if prev >= 0 else final
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x.float()


@torch.no_grad()
def sample_euler(unet, context, uncond_context, noise, steps=25, guidance=6.0):
    ac = alphas_cumprod()
    sigmas_all = ((1 - ac) / ac).sqrt()
    timesteps, _ = leading_timesteps(steps)
    sigmas = [float(sigmas_all[t]) for t in timesteps] + [0.0]
    x = noise.double() * math.sqrt(max(sigmas) ** 2 + 1)  # init_noise_sigma for "leading"
    for i, t in enumerate(timesteps):
        s = sigmas[i]
        xin = (x / math.sqrt(s * s + 1)).float()
        eps = _guided_eps(unet, xin, t, context, uncond_context, guidance).double()
        x = x + (sigmas[i + 1] - s) * eps
    return x.float()


SAMPLERS = {"ddim": sample_ddim, "euler": sample_euler}


def initial_noise(n, seed_index, latent_size=8):
    return torch.cat([torch.randn(1, 4, latent_size, latent_size,
                                  generator=torch.Generator().manual_seed(EVAL_SEED_BASE + 1000 * seed_index + i))
                      for i in range(n)])


@torch.no_grad()
def generate(tokenizer, text_encoder, unet, exported_decoder, prompts, seed_index=0, sampler="ddim", steps=25,
             guidance=6.0, batch=64):
    images = []
    uncond_ids = torch.tensor([tokenizer.frame("")], dtype=torch.int32)
    uncond_ctx = text_encoder(uncond_ids)[0]
    noise_all = initial_noise(len(prompts), seed_index)
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        ids = torch.tensor([tokenizer.frame(p) for p in chunk], dtype=torch.int32)
        ctx = text_encoder(ids)[0]
        noise = noise_all[start:start + len(chunk)]
        latents = SAMPLERS[sampler](unet, ctx, uncond_ctx.expand(len(chunk), -1, -1), noise, steps, guidance)
        images.append(exported_decoder(latents / 0.18215))
    return D.to_uint8(torch.cat(images))


def score(combos, images):
    counts = collections.Counter()
    confusion = collections.defaultdict(collections.Counter)
    rows = []
    for combo, image in zip(combos, images):
        r = D.classify(image)
        truth = dict(zip(("color", "shape", "where", "background"), combo))
        for a in ATTRIBUTES:
            ok = r[a] == truth[a]
            counts[a] += ok
            confusion[a][(truth[a], r[a])] += 1
        counts["all"] += all(r[a] == truth[a] for a in ATTRIBUTES)
        rows.append((combo, r))
    n = len(combos)
    return {a: counts[a] / n for a in ATTRIBUTES + ("all",)}, confusion, rows


def evaluate(tokenizer, text_encoder, unet, exported_decoder, combos=None, seeds=1, sampler="ddim", steps=25,
             guidance=6.0, save_grid=None):
    combos = combos or D.eval_prompts()
    prompts = [D.caption(*c) for c in combos]
    all_images, all_combos = [], []
    for k in range(seeds):
        all_images.append(generate(tokenizer, text_encoder, unet, exported_decoder, prompts, k, sampler, steps, guidance))
        all_combos.extend(combos)
    images = np.concatenate(all_images)
    acc, confusion, rows = score(all_combos, images)
    if save_grid:
        save_image_grid(images[:len(combos)], save_grid, columns=9)
    return acc, confusion, rows


def save_image_grid(images, path, columns=9, scale=2):
    from PIL import Image
    n = len(images)
    rows = (n + columns - 1) // columns
    h, w = images.shape[1:3]
    grid = np.full((rows * (h + 2), columns * (w + 2), 3), 96, dtype=np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        grid[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = im
    Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(path)


def round_weights_fp16(*modules, min_elements=256):
    """Rounds the weights the export stores as float16 (tensors of >= 256 elements), so the torch
    modules compute what the exported ONNX files compute."""
    with torch.no_grad():
        for m in modules:
            for t in list(m.parameters()) + list(m.buffers()):
                if t.dtype == torch.float32 and t.numel() >= min_elements and t.abs().max() < 6e4:
                    t.copy_(t.half().float())


def main():
    import train_shapes_model as T
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=T.DEFAULT_WORK)
    p.add_argument("--sampler", default="ddim", choices=sorted(SAMPLERS))
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=6.0)
    p.add_argument("--seeds", type=int, default=2, help="seed indices 0..seeds-1 per prompt")
    p.add_argument("--all", action="store_true", help="all 486 combinations instead of the 54 fixed prompts")
    p.add_argument("--no-ema", action="store_true")
    p.add_argument("--fp32-weights", action="store_true",
                   help="keep float32 weights (default: round them to float16 as the export stores them)")
    p.add_argument("--grid", default=None, help="write a PNG grid of the first seed's images")
    p.add_argument("--json", default=None, help="write the accuracies as JSON")
    args = p.parse_args()
    T.setup_threads()
    tokenizer, text_encoder, unet, exported_decoder = T.load_for_sampling(args.work, ema=not args.no_ema)
    if not args.fp32_weights and T.FP16_WEIGHTS:
        round_weights_fp16(text_encoder, unet, exported_decoder)
    combos = D.all_combinations() if args.all else D.eval_prompts()
    acc, confusion, _ = evaluate(tokenizer, text_encoder, unet, exported_decoder, combos, args.seeds, args.sampler,
                                 args.steps, args.guidance, args.grid)
    print("prompts %d x seeds %d, %s %d steps, guidance %.1f" % (len(combos), args.seeds, args.sampler, args.steps,
                                                                  args.guidance))
    for a in ATTRIBUTES + ("all",):
        print("  %-10s %.3f" % (a, acc[a]))
    for a in ("shape", "where"):
        wrong = {"%s->%s" % k: v for k, v in confusion[a].items() if k[0] != k[1]}
        if wrong:
            print("  %s errors: %s" % (a, dict(sorted(wrong.items(), key=lambda kv: -kv[1])[:8])))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"accuracy": acc, "prompts": len(combos), "seeds": args.seeds, "sampler": args.sampler,
                       "steps": args.steps, "guidance": args.guidance,
                       "fp16_weights": not args.fp32_weights and T.FP16_WEIGHTS}, f, indent=2)


if __name__ == "__main__":
    main()
