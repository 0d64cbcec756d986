"""Writes diffusers_reference.json: schedules and short sampling runs computed by diffusers itself.

The scheduler tests in t2i.diffusion.scheduler compare the Java samplers against this file.
Regenerate it after changing the cases below:

    pip install diffusers torch numpy
    python diffusers_reference.py > diffusers_reference.json

Each "schedules" entry holds what diffusers' set_timesteps produces for one config, scheduler class
and step count: the timesteps, the noise levels (scheduler.sigmas where the class has them, else
sqrt((1 - alphas_cumprod[t]) / alphas_cumprod[t]) of each timestep followed by the level the last
step lands on) and init_noise_sigma.

Each "runs" entry drives diffusers' own step loop with a fixed, analytic stand-in for the UNet
(model_output = 0.8 * model_input + 0.2 * cos(0.9 * i + t / 250) for element i) from fixed initial
noise, with the ancestral/LCM noise of step k fixed as well, and records the latents after every
step.
"""

import json
import math

import numpy as np
import torch

from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    LCMScheduler,
)

CLASSES = {
    "DDIM": DDIMScheduler,
    "EULER": EulerDiscreteScheduler,
    "EULER_ANCESTRAL": EulerAncestralDiscreteScheduler,
    "DPMPP_2M": DPMSolverMultistepScheduler,
    "LCM": LCMScheduler,
}

SD15 = {
    "_class_name": "PNDMScheduler",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}
LINEAR = {"beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "clip_sample": False}
COSINE = {"beta_schedule": "squaredcos_cap_v2", "clip_sample": False}
ZERO_SNR = {**SD15, "rescale_betas_zero_snr": True, "prediction_type": "v_prediction"}
TRAINED_100 = {
    "num_train_timesteps": 100,
    "trained_betas": [float(b) for b in np.linspace(0.001, 0.05, 100)],
    "clip_sample": False,
}

CONFIGS = {"sd15": SD15, "linear": LINEAR, "cosine": COSINE, "zero_snr": ZERO_SNR, "trained_100": TRAINED_100}
# Every step count for SD 1.5 (61 is one where numpy's arange gives trailing spacing an extra
# timestep); a few for the other configs, which exercise the beta schedules.
STEPS = {"sd15": [1, 2, 3, 4, 7, 10, 20, 25, 50, 61]}
OTHER_STEPS = [1, 2, 3, 4, 10, 25]
N = 8


def scheduler(kind, config, **overrides):
    return CLASSES[kind].from_config({**config, **overrides})


def f32(values):
    return [short(np.float32(v)) for v in values]


def short(value):
    """Nine significant digits: enough to tell float32 values apart, short enough to keep the file small."""
    value = float(value)
    return float(f"{value:.9g}") if math.isfinite(value) else value


def level(alpha_cumprod):
    a = float(alpha_cumprod)
    return math.sqrt((1 - a) / a) if a > 0 else math.inf


def schedule(kind, config, steps, overrides):
    s = scheduler(kind, config, **overrides)
    s.set_timesteps(steps)
    timesteps = [short(t) for t in s.timesteps]
    if hasattr(s, "sigmas") and kind not in ("DDIM", "LCM"):
        sigmas = f32(s.sigmas.numpy())
    else:
        ac = s.alphas_cumprod
        sigmas = [short(level(ac[int(t)])) for t in timesteps]
        if kind == "DDIM":
            prev = int(timesteps[steps - 1]) - s.config.num_train_timesteps // steps
            sigmas = sigmas[:steps] + [short(level(ac[prev] if prev >= 0 else s.final_alpha_cumprod))]
        else:
            sigmas.append(0.0)
    return {"timesteps": timesteps, "sigmas": sigmas, "init_noise_sigma": short(s.init_noise_sigma)}


def numpy_extra_timestep(overrides, steps, num_train_timesteps=1000):
    """Whether numpy's arange gives trailing spacing one timestep more than asked for."""
    if overrides.get("timestep_spacing") != "trailing":
        return False
    return len(np.arange(num_train_timesteps, 0, -num_train_timesteps / steps)) != steps


def schedules():
    cases = []
    variants = [
        ("DDIM", {"timestep_spacing": "leading"}),
        ("DDIM", {"timestep_spacing": "trailing"}),
        ("DDIM", {"timestep_spacing": "linspace"}),
        ("LCM", {}),
    ]
    for kind in ("EULER", "EULER_ANCESTRAL", "DPMPP_2M"):
        for spacing in ("leading", "trailing", "linspace"):
            variants.append((kind, {"timestep_spacing": spacing}))
            if kind != "EULER_ANCESTRAL":
                variants.append((kind, {"timestep_spacing": spacing, "use_karras_sigmas": True}))
    for name, config in CONFIGS.items():
        for kind, overrides in variants:
            for steps in STEPS.get(name, OTHER_STEPS):
                if steps > config.get("num_train_timesteps", 1000):
                    continue
                if kind == "LCM" and steps > 50:
                    continue
                if kind == "EULER" and overrides.get("use_karras_sigmas") and numpy_extra_timestep(overrides, steps):
                    # diffusers takes the Karras range down to the extra timestep's level here.
                    continue
                entry = {"config": name, "kind": kind, "overrides": overrides, "steps": steps}
                entry.update(schedule(kind, config, steps, overrides))
                cases.append(entry)
    clipped = {**COSINE, "lambda_min_clipped": -5.1}
    for spacing in ("leading", "trailing", "linspace"):
        for steps in (4, 10, 25):
            overrides = {"timestep_spacing": spacing}
            entry = {"config": "cosine_lambda_clipped", "kind": "DPMPP_2M", "overrides": overrides,
                     "steps": steps}
            entry.update(schedule("DPMPP_2M", clipped, steps, overrides))
            cases.append(entry)
    return cases


def model(x_in, t):
    i = np.arange(N)
    return (0.8 * x_in.numpy().astype(np.float64) + 0.2 * np.cos(0.9 * i + float(t) / 250.0)).astype(np.float32)


def initial_noise():
    return np.random.RandomState(7).randn(N).astype(np.float32)


def step_noise(k):
    return np.random.RandomState(100 + k).randn(N).astype(np.float32)


def run(kind, config, steps, overrides):
    s = scheduler(kind, config, **overrides)
    s.set_timesteps(steps)
    drawn = []

    def fake_randn(shape, generator=None, device=None, dtype=None, layout=None):
        noise = step_noise(len(drawn))
        drawn.append(noise)
        return torch.from_numpy(noise.copy()).reshape(shape)

    module = __import__(CLASSES[kind].__module__, fromlist=["randn_tensor"])
    module.randn_tensor = fake_randn
    latents = torch.from_numpy(initial_noise()) * s.init_noise_sigma
    record = {"timesteps": [], "input_scales": [], "latents": []}
    for t in s.timesteps:
        x_in = s.scale_model_input(latents, t)
        scale = 1.0
        if kind in ("EULER", "EULER_ANCESTRAL"):
            scale = float(1 / (s.sigmas[s.step_index] ** 2 + 1) ** 0.5)
        out = torch.from_numpy(model(x_in, t))
        latents = s.step(out, t, latents).prev_sample
        record["timesteps"].append(float(t))
        record["input_scales"].append(scale)
        record["latents"].append(f32(latents.numpy()))
    record["init_noise_sigma"] = float(s.init_noise_sigma)
    record["noise_draws"] = len(drawn)
    return record


def runs():
    turbo = {**SD15, "timestep_spacing": "trailing"}
    v = {**SD15, "prediction_type": "v_prediction"}
    sample = {**SD15, "prediction_type": "sample"}
    cases = [
        ("sd15", SD15, "DDIM", 4, {}),
        ("sd15", SD15, "DDIM", 10, {}),
        ("v_prediction", v, "DDIM", 5, {}),
        ("sample", sample, "DDIM", 3, {}),
        ("sd15 without clip_sample", {k: x for k, x in SD15.items() if k != "clip_sample"}, "DDIM", 4, {}),
        ("sd15", SD15, "DDIM", 4, {"timestep_spacing": "trailing", "set_alpha_to_one": True}),
        ("sd15", SD15, "EULER", 4, {}),
        ("sd15", SD15, "EULER", 10, {}),
        ("sd15", SD15, "EULER", 8, {"use_karras_sigmas": True}),
        ("turbo", turbo, "EULER", 1, {}),
        ("turbo", turbo, "EULER", 4, {}),
        ("v_prediction", v, "EULER", 6, {"timestep_spacing": "leading"}),
        ("sample", sample, "EULER", 4, {}),
        ("sd15", SD15, "EULER", 5, {"final_sigmas_type": "sigma_min"}),
        ("v_prediction", v, "EULER", 4, {"timestep_type": "continuous"}),
        ("turbo", turbo, "EULER_ANCESTRAL", 1, {}),
        ("turbo", turbo, "EULER_ANCESTRAL", 2, {}),
        ("turbo", turbo, "EULER_ANCESTRAL", 4, {}),
        ("sd15", SD15, "EULER_ANCESTRAL", 6, {}),
        ("v_prediction", v, "EULER_ANCESTRAL", 5, {}),
        ("sd15", SD15, "DPMPP_2M", 4, {}),
        ("sd15", SD15, "DPMPP_2M", 20, {}),
        ("sd15", SD15, "DPMPP_2M", 20, {"use_karras_sigmas": True}),
        ("sd15", SD15, "DPMPP_2M", 8, {"solver_type": "heun"}),
        ("sd15", SD15, "DPMPP_2M", 20, {"final_sigmas_type": "sigma_min"}),
        ("sd15", SD15, "DPMPP_2M", 16, {"euler_at_final": True, "final_sigmas_type": "sigma_min"}),
        ("sd15", SD15, "DPMPP_2M", 7, {"timestep_spacing": "trailing"}),
        ("sd15", SD15, "DPMPP_2M", 9, {"timestep_spacing": "leading"}),
        ("v_prediction", v, "DPMPP_2M", 6, {}),
        ("sample", sample, "DPMPP_2M", 5, {}),
        ("zero_snr", ZERO_SNR, "DPMPP_2M", 6, {"timestep_spacing": "trailing"}),
        ("sd15", SD15, "LCM", 1, {}),
        ("sd15", SD15, "LCM", 2, {}),
        ("sd15", SD15, "LCM", 4, {}),
        ("sd15", SD15, "LCM", 8, {}),
        ("v_prediction", v, "LCM", 4, {}),
        ("sd15", SD15, "LCM", 3, {"clip_sample": True}),
    ]
    out = []
    for name, config, kind, steps, overrides in cases:
        entry = {"name": name, "config": {**config, **overrides}, "kind": kind, "steps": steps}
        entry.update(run(kind, config, steps, overrides))
        out.append(entry)
    return out


def main():
    reference = {
        "model": "0.8 * model_input + 0.2 * cos(0.9 * i + t / 250)",
        "configs": CONFIGS,
        "initial_noise": f32(initial_noise()),
        "step_noise": [f32(step_noise(k)) for k in range(60)],
        "schedules": schedules(),
        "runs": runs(),
    }
    print(json.dumps(reference, separators=(",", ":")))


if __name__ == "__main__":
    main()
