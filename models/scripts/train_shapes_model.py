"""Trains and exports models/shapes/: a small text-to-image model for the shapes domain.

    nice -n 10 /usr/bin/python3 models/scripts/train_shapes_model.py            # all stages
    nice -n 10 /usr/bin/python3 models/scripts/train_shapes_model.py --stage export

Domain (see shapes_domain.py and models/shapes/domain.json): 64x64 RGB, one shape on a plain
background, captions "a {color} {shape} {where} on a {background} background".

Stages, each resumable from checkpoints in the work directory (default models/.work/shapes):
  ae         autoencoder 64x64x3 <-> 8x8x4 on freshly rendered images: L1 + image-gradient loss,
             shape pixels (dilated) weighted x16, latents RMS-normalised over the batch with
             Gaussian noise (std AE_NOISE) added before decoding so the decoder tolerates the
             small errors a diffusion model makes;
  latents    encodes LATENTS_PER_COMBO rendered images of each of the 486 combinations and
             computes the per-channel latent mean/std (diffusion runs on unit-variance latents);
  diffusion  text encoder + UNet (cross-attention at 8x8 and 4x4, x/y coordinate channels),
             epsilon prediction under the SD 1.5 DDPM forward process (scaled_linear betas
             0.00085..0.012, 1000 steps), min-SNR-5 loss weights, caption dropout 10% to the
             unconditional prompt "" for classifier-free guidance, EMA weights for export;
  export     writes models/shapes/ (through a temporary directory moved into place at the end).
Wall time per stage is recorded in <work>/timings.json and the log in <work>/train.log.

The script re-executes itself with OpenBLAS (pthread) on LD_LIBRARY_PATH and 2 threads.
"""
import argparse
import copy
import json
import math
import os
import shutil
import sys
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
THREADS = 2


def _reexec_with_openblas():
    if os.path.isdir(OPENBLAS_DIR) and OPENBLAS_DIR not in os.environ.get("LD_LIBRARY_PATH", ""):
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env["OPENBLAS_NUM_THREADS"] = str(THREADS)
        # on a shared, busy machine spinning OpenMP workers waste the time slices they get
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    _reexec_with_openblas()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_bpe  # noqa: E402
import sd_modules as S  # noqa: E402
import shapes_domain as D  # noqa: E402

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WORK = os.path.join(MODELS, ".work", "shapes")
DEFAULT_OUT = os.path.join(MODELS, "shapes")

# ---- configuration -------------------------------------------------------------------------
NUM_MERGES = 200
ENC_CHANNELS = (16, 32, 64, 96)
DEC_CHANNELS = (128, 96, 48, 24)
AE_BATCH = 32
AE_STEPS = 2200
AE_LR = 1e-3
AE_NOISE = 0.1
AE_SHAPE_WEIGHT = 15.0

LATENTS_PER_COMBO = 48

TEXT_DIM = 64
TEXT_LAYERS = 2
TEXT_HEADS = 4
UNET_CHANNELS = (64, 96)
UNET_ATTENTION = (True, True)
UNET_HEADS = 4
UNET_RES_PER_LEVEL = 1
UNET_FF_MULT = 2
UNET_TIME_DIM = 128
DIFF_CAPTIONS = 32  # distinct captions per batch ...
DIFF_PER_CAPTION = 4  # ... each with this many latents (the text encoder runs once per caption)
DIFF_STEPS = 3000
DIFF_LR = 8e-4
EMA_DECAY = 0.999
CFG_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0
EVAL_EVERY = 500

SCHEDULER_CLASS = "DDIMScheduler"
FP16_WEIGHTS = True  # weights stored as float16 in the ONNX files (inputs/outputs/compute float32)
CHECKPOINT_SECONDS = 300


def setup_threads():
    torch.set_num_threads(THREADS)


class Log:
    def __init__(self, work):
        os.makedirs(work, exist_ok=True)
        self.path = os.path.join(work, "train.log")

    def __call__(self, *parts):
        line = time.strftime("%H:%M:%S ") + " ".join(str(p) for p in parts)
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


def record_time(work, stage, seconds):
    path = os.path.join(work, "timings.json")
    timings = json.load(open(path)) if os.path.exists(path) else {}
    timings[stage] = timings.get(stage, 0.0) + seconds
    with open(path, "w") as f:
        json.dump(timings, f, indent=2)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def cosine_lr(step, total, base, warmup=200, floor=0.05):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def merges_and_tokenizer():
    merges = clip_bpe.learn_merges(D.all_captions(), NUM_MERGES)
    vocab = clip_bpe.build_vocab(merges)
    return merges, vocab, clip_bpe.Tokenizer(vocab, merges)


# ---- autoencoder ---------------------------------------------------------------------------

def build_autoencoder():
    return S.Encoder(ENC_CHANNELS), S.Decoder(DEC_CHANNELS)


def shape_weights(coverage):
    band = F.max_pool2d((coverage > 0.01).float(), 5, stride=1, padding=2)
    return 1.0 + AE_SHAPE_WEIGHT * band


def ae_loss(y, x, w):
    l1 = (w * (y - x).abs()).sum() / (w.sum() * 3)
    gx = lambda a: a[..., :, 1:] - a[..., :, :-1]  # noqa: E731
    gy = lambda a: a[..., 1:, :] - a[..., :-1, :]  # noqa: E731
    wx = torch.maximum(w[..., :, 1:], w[..., :, :-1])
    wy = torch.maximum(w[..., 1:, :], w[..., :-1, :])
    edge = (wx * (gx(y) - gx(x)).abs()).sum() / (wx.sum() * 3) + (wy * (gy(y) - gy(x)).abs()).sum() / (wy.sum() * 3)
    return l1 + edge, l1


@torch.no_grad()
def ae_eval(enc, dec, rms):
    combos = D.all_combinations()
    x, _ = D.random_images(combos, torch.Generator().manual_seed(4242))
    ys = [dec(enc(x[i:i + 128]) / rms) for i in range(0, len(combos), 128)]
    images = D.to_uint8(torch.cat(ys))
    import eval_shapes_model as E
    acc, _, rows = E.score(combos, images)
    fills = {s: [r["fill"] for c, r in rows if c[1] == s and r["fill"] is not None] for s in D.SHAPES}
    return acc, {s: round(sum(v) / max(1, len(v)), 3) for s, v in fills.items()}, images


def train_autoencoder(work, log, steps=AE_STEPS):
    path = os.path.join(work, "ae.pt")
    enc, dec = build_autoencoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=AE_LR)
    gen = torch.Generator().manual_seed(1)
    step, rms_ema = 0, None
    if os.path.exists(path):
        ck = torch.load(path)
        enc.load_state_dict(ck["enc"])
        dec.load_state_dict(ck["dec"])
        opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"])
        torch.set_rng_state(ck["rng"])
        step, rms_ema = ck["step"], ck["rms"]
        log("ae: resumed at step", step)
    if step >= steps:
        return
    log("ae: encoder %d params, decoder %d params" % (sum(p.numel() for p in enc.parameters()),
                                                      sum(p.numel() for p in dec.parameters())))
    combos_all = D.all_combinations()

    def checkpoint():
        save_atomic({"enc": enc.state_dict(), "dec": dec.state_dict(), "opt": opt.state_dict(),
                     "gen": gen.get_state(), "rng": torch.get_rng_state(), "step": step, "rms": rms_ema}, path)

    t0 = time.time()
    last_ck = time.time()
    run_loss = run_l1 = 0.0
    enc.train()
    dec.train()
    while step < steps:
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, steps, AE_LR)
        idx = torch.randint(len(combos_all), (AE_BATCH,), generator=gen)
        combos = [combos_all[i] for i in idx]
        x, cov = D.random_images(combos, gen)
        z = enc(x)
        rms = z.pow(2).mean().sqrt() + 1e-6
        rms_ema = float(rms) if rms_ema is None else 0.99 * rms_ema + 0.01 * float(rms)
        y = dec(z / rms + AE_NOISE * torch.randn_like(z))
        loss, l1 = ae_loss(y, x, shape_weights(cov))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        run_loss += float(loss)
        run_l1 += float(l1)
        if step % 100 == 0:
            log("ae step %d loss %.4f l1 %.4f rms %.3f lr %.2e %.2fs/step" % (
                step, run_loss / 100, run_l1 / 100, rms_ema, opt.param_groups[0]["lr"], (time.time() - t0) / 100))
            record_time(work, "ae", time.time() - t0)
            t0 = time.time()
            run_loss = run_l1 = 0.0
        if step % 1000 == 0 or step == steps:
            enc.eval()
            dec.eval()
            acc, fills, images = ae_eval(enc, dec, rms_ema)
            enc.train()
            dec.train()
            log("ae eval step %d" % step, {k: round(v, 3) for k, v in acc.items()}, "mean fill", fills)
            import eval_shapes_model as E
            E.save_image_grid(images[::9][:54], os.path.join(work, "ae_recon.png"))
        if time.time() - last_ck > CHECKPOINT_SECONDS or step == steps:
            checkpoint()
            last_ck = time.time()
    record_time(work, "ae", time.time() - t0)


def load_autoencoder(work):
    ck = torch.load(os.path.join(work, "ae.pt"))
    enc, dec = build_autoencoder()
    enc.load_state_dict(ck["enc"])
    dec.load_state_dict(ck["dec"])
    enc.eval()
    dec.eval()
    return enc, dec, ck["rms"]


# ---- latents -------------------------------------------------------------------------------

@torch.no_grad()
def make_latents(work, log, per_combo=LATENTS_PER_COMBO):
    path = os.path.join(work, "latents.pt")
    if os.path.exists(path):
        return
    t0 = time.time()
    enc, _, rms = load_autoencoder(work)
    combos_all = D.all_combinations()
    combo_idx = torch.arange(len(combos_all)).repeat(per_combo)
    gen = torch.Generator().manual_seed(2)
    latents = []
    for start in range(0, len(combo_idx), 256):
        chunk = [combos_all[i] for i in combo_idx[start:start + 256]]
        x, _ = D.random_images(chunk, gen)
        latents.append(enc(x) / rms)
    lat = torch.cat(latents)
    mean = lat.mean(dim=(0, 2, 3))
    std = lat.std(dim=(0, 2, 3))
    log("latents: %d, mean %s std %s" % (len(lat), [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]))
    save_atomic({"latents": ((lat - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)).contiguous(),
                 "combo_idx": combo_idx, "mean": mean, "std": std}, path)
    record_time(work, "latents", time.time() - t0)


# ---- diffusion -----------------------------------------------------------------------------

def build_diffusion(vocab_size):
    te = S.TextEncoder(vocab_size, TEXT_DIM, TEXT_LAYERS, TEXT_HEADS)
    unet = S.UNet(UNET_CHANNELS, UNET_ATTENTION, TEXT_DIM, UNET_HEADS, UNET_RES_PER_LEVEL,
                  ff_mult=UNET_FF_MULT, time_dim=UNET_TIME_DIM)
    return te, unet


def exported_decoder_from(work):
    _, dec, _ = load_autoencoder(work)
    lat = torch.load(os.path.join(work, "latents.pt"))
    ed = S.ExportedDecoder(dec, lat["mean"], lat["std"])
    ed.eval()
    return ed


def load_for_sampling(work, ema=True):
    _, vocab, tokenizer = merges_and_tokenizer()
    te, unet = build_diffusion(len(vocab))
    ck = torch.load(os.path.join(work, "diffusion.pt"))
    key = "ema" if ema else "model"
    te.load_state_dict(ck[key]["te"])
    unet.load_state_dict(ck[key]["unet"])
    te.eval()
    unet.eval()
    return tokenizer, te, unet, exported_decoder_from(work)


def train_diffusion(work, log, steps=DIFF_STEPS):
    import eval_shapes_model as E
    path = os.path.join(work, "diffusion.pt")
    _, vocab, tokenizer = merges_and_tokenizer()
    data = torch.load(os.path.join(work, "latents.pt"))
    lat, combo_idx = data["latents"], data["combo_idx"]
    n_combos = len(D.all_combinations())
    by_combo = torch.stack([torch.nonzero(combo_idx == c)[:, 0] for c in range(n_combos)])  # [486, per_combo]
    captions = torch.tensor([tokenizer.frame(c) for c in D.all_captions()], dtype=torch.int32)
    uncond = torch.tensor(tokenizer.frame(""), dtype=torch.int32)
    te, unet = build_diffusion(len(vocab))
    ema_te, ema_unet = copy.deepcopy(te), copy.deepcopy(unet)
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=DIFF_LR, weight_decay=0.01)
    gen = torch.Generator().manual_seed(3)
    step = 0
    if os.path.exists(path):
        ck = torch.load(path)
        te.load_state_dict(ck["model"]["te"])
        unet.load_state_dict(ck["model"]["unet"])
        ema_te.load_state_dict(ck["ema"]["te"])
        ema_unet.load_state_dict(ck["ema"]["unet"])
        opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"])
        torch.set_rng_state(ck["rng"])
        step = ck["step"]
        log("diffusion: resumed at step", step)
    if step >= steps:
        return
    log("diffusion: text encoder %d params, unet %d params, %d latents" % (
        sum(p.numel() for p in te.parameters()), sum(p.numel() for p in unet.parameters()), len(lat)))
    ac = E.alphas_cumprod().float()
    snr = ac / (1 - ac)
    loss_weight = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr
    pairs = list(zip(list(te.parameters()) + list(unet.parameters()),
                     list(ema_te.parameters()) + list(ema_unet.parameters())))

    def checkpoint():
        save_atomic({"model": {"te": te.state_dict(), "unet": unet.state_dict()},
                     "ema": {"te": ema_te.state_dict(), "unet": ema_unet.state_dict()},
                     "opt": opt.state_dict(), "gen": gen.get_state(), "rng": torch.get_rng_state(),
                     "step": step}, path)

    def run_eval():
        ema_te.eval()
        ema_unet.eval()
        acc, _, _ = E.evaluate(tokenizer, ema_te, ema_unet, decoder, seeds=1, save_grid=os.path.join(work, "samples.png"))
        log("eval step %d (ema, ddim 25, g 6, 54 prompts):" % step, {k: round(v, 3) for k, v in acc.items()})

    decoder = exported_decoder_from(work)
    te.train()
    unet.train()
    t0 = time.time()
    last_ck = time.time()
    run_loss = 0.0
    while step < steps:
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, steps, DIFF_LR)
        batch = DIFF_CAPTIONS * DIFF_PER_CAPTION
        combos = torch.randint(n_combos, (DIFF_CAPTIONS,), generator=gen)
        pick = torch.randint(by_combo.shape[1], (DIFF_CAPTIONS, DIFF_PER_CAPTION), generator=gen)
        x0 = lat[by_combo[combos[:, None], pick].reshape(-1)]
        hidden = te(torch.cat([captions[combos], uncond[None]]))[0]  # [captions + 1, 77, D]
        slot = torch.arange(DIFF_CAPTIONS).repeat_interleave(DIFF_PER_CAPTION)
        drop = torch.rand(batch, generator=gen) < CFG_DROPOUT
        slot[drop] = DIFF_CAPTIONS
        t = torch.randint(0, 1000, (batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        a = ac[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        pred = unet(xt, t, hidden[slot])
        loss = (loss_weight[t] * (pred - noise).pow(2).mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for p, e in pairs:
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        run_loss += float(loss)
        if step % 50 == 0:
            log("diffusion step %d loss %.4f lr %.2e %.2fs/step" % (step, run_loss / 50, opt.param_groups[0]["lr"],
                                                                   (time.time() - t0) / 50))
            record_time(work, "diffusion", time.time() - t0)
            t0 = time.time()
            run_loss = 0.0
        if time.time() - last_ck > CHECKPOINT_SECONDS or step == steps:
            checkpoint()
            last_ck = time.time()
        if step % EVAL_EVERY == 0 or step == steps:
            te_eval_start = time.time()
            checkpoint()
            run_eval()
            te.train()
            unet.train()
            t0 += time.time() - te_eval_start
            record_time(work, "diffusion_eval", time.time() - te_eval_start)


# ---- export --------------------------------------------------------------------------------

def export(work, out, log, scheduler_class=SCHEDULER_CLASS):
    t0 = time.time()
    merges, vocab, _ = merges_and_tokenizer()
    _, te, unet, decoder = load_for_sampling(work, ema=True)
    tmp = os.path.join(MODELS, ".shapes.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    clip_bpe.write_tokenizer_dir(os.path.join(tmp, "tokenizer"), merges)
    S.export_text_encoder(te, os.path.join(tmp, "text_encoder", "model.onnx"), fp16_weights=FP16_WEIGHTS)
    S.export_unet(unet, os.path.join(tmp, "unet", "model.onnx"), 8, fp16_weights=FP16_WEIGHTS)
    S.export_vae_decoder(decoder, os.path.join(tmp, "vae_decoder", "model.onnx"), fp16_weights=FP16_WEIGHTS)
    S.write_configs(tmp, te, unet, decoder.decoder.config, 8, 64, vocab, scheduler_class)
    D.write_domain_json(os.path.join(tmp, "domain.json"))
    old = os.path.join(MODELS, ".shapes.old")
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(out):
        os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    log("exported %s (%d bytes) in %.1fs" % (out, size, time.time() - t0))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", default="all", choices=["all", "ae", "latents", "diffusion", "export"])
    p.add_argument("--work", default=DEFAULT_WORK)
    p.add_argument("--out", default=DEFAULT_OUT)
    p.add_argument("--ae-steps", type=int, default=AE_STEPS)
    p.add_argument("--diffusion-steps", type=int, default=DIFF_STEPS)
    p.add_argument("--latents-per-combo", type=int, default=LATENTS_PER_COMBO)
    args = p.parse_args()
    setup_threads()
    log = Log(args.work)
    log("start", " ".join(sys.argv[1:]), "threads", torch.get_num_threads())
    stages = ["ae", "latents", "diffusion", "export"] if args.stage == "all" else [args.stage]
    for stage in stages:
        start = time.time()
        if stage == "ae":
            train_autoencoder(args.work, log, args.ae_steps)
        elif stage == "latents":
            make_latents(args.work, log, args.latents_per_combo)
        elif stage == "diffusion":
            train_diffusion(args.work, log, args.diffusion_steps)
        else:
            export(args.work, args.out, log)
        log("stage %s done in %.1f min" % (stage, (time.time() - start) / 60))


if __name__ == "__main__":
    main()
