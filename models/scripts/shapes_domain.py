"""The "shapes" domain: captions, exact image geometry, rendering and the attribute classifier.

Images are 64x64 RGB, one filled shape on a plain background.

Geometry (pixel (x, y) covers [x, x+1) x [y, y+1); x grows to the right, y downwards):
  * The image is split into a 3x3 grid of ninths; cell (row, col) covers
    x in [col*64/3, (col+1)*64/3), y in [row*64/3, (row+1)*64/3).
  * A shape's bounding box is a square of side s, s uniform in [SIZE_MIN, SIZE_MAX] pixels; its
    centre is the cell centre plus a uniform jitter per axis chosen so the box stays at least
    MARGIN pixels inside the cell.
  * circle: the disc inscribed in the box (diameter s); square: the box itself; triangle: apex
    at the middle of the box's top edge, base along the box's bottom edge (base = height = s).
    Fill ratio of the bounding box: circle pi/4 ~ 0.785, square 1.0, triangle 0.5.
  * Pixels are anti-aliased by 4x4 supersampling: value = bg*(1-coverage) + colour*coverage.

Classifier (used by the evaluator; the Java evaluator applies the same numbers, see domain.json):
  1. background = the background palette colour nearest (Euclidean RGB) to the per-channel
     median of the 2-pixel image border;
  2. foreground = pixels farther than SEGMENT_DISTANCE (RGB units 0..255) from that border median;
     keep the largest 4-connected foreground component (none -> every other attribute fails);
  3. colour = the shape palette colour nearest to the per-channel median of the component pixels;
  4. position = the ninth holding the component's centroid (mean of pixel centres);
  5. shape by fill ratio = pixel count / (bounding box width * height):
     >= FILL_SQUARE_MIN square, >= FILL_CIRCLE_MIN circle, else triangle.
"""
import json
import math

import numpy as np
import torch

IMAGE_SIZE = 64
CELL = IMAGE_SIZE / 3.0
SIZE_MIN = 12.0
SIZE_MAX = 16.0
MARGIN = 2.0
SUPERSAMPLE = 4

COLORS = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 30),
    "purple": (150, 40, 200),
    "orange": (245, 130, 20),
}
SHAPES = ["circle", "square", "triangle"]
# phrase -> (row, col) of the ninth
WHERE = {
    "at the top left": (0, 0),
    "at the top right": (0, 2),
    "at the bottom left": (2, 0),
    "at the bottom right": (2, 2),
    "in the center": (1, 1),
    "at the top": (0, 1),
    "at the bottom": (2, 1),
    "on the left": (1, 0),
    "on the right": (1, 2),
}
BACKGROUNDS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
}
COLOR_NAMES = list(COLORS)
WHERE_NAMES = list(WHERE)
BACKGROUND_NAMES = list(BACKGROUNDS)

SEGMENT_DISTANCE = 60.0
BORDER = 2
FILL_SQUARE_MIN = 0.90
FILL_CIRCLE_MIN = 0.66


def caption(color, shape, where, background):
    return "a %s %s %s on a %s background" % (color, shape, where, background)


def all_combinations():
    """Every (color, shape, where, background) of the domain: 6*3*9*3 = 486."""
    return [(c, s, w, b) for c in COLOR_NAMES for s in SHAPES for w in WHERE_NAMES for b in BACKGROUND_NAMES]


def all_captions():
    return [caption(*combo) for combo in all_combinations()]


def eval_prompts():
    """A fixed set of 54 prompts covering every value of every attribute; each (shape, where)
    pair appears twice, each colour 9 times, each background 18 times."""
    out = []
    for i in range(54):
        where = WHERE_NAMES[i % 9]
        shape = SHAPES[(i // 9) % 3]
        color = COLOR_NAMES[(i % 6 + i // 18) % 6]
        background = BACKGROUND_NAMES[(i // 3 + i // 27) % 3]
        out.append((color, shape, where, background))
    return out


def domain_json():
    return {
        "image_size": IMAGE_SIZE,
        "caption_template": "a {color} {shape} {where} on a {background} background",
        "colors_rgb": {k: list(v) for k, v in COLORS.items()},
        "backgrounds_rgb": {k: list(v) for k, v in BACKGROUNDS.items()},
        "shapes": SHAPES,
        "where_to_ninth_row_col": {k: list(v) for k, v in WHERE.items()},
        "ninth": {
            "description": "cell (row, col) covers x in [col*64/3, (col+1)*64/3), y in [row*64/3, (row+1)*64/3); "
                           "row 0 is the top, col 0 the left; pixel (x, y) has centre (x+0.5, y+0.5)",
            "cell_size_px": CELL,
        },
        "generation": {
            "shape_size_px": [SIZE_MIN, SIZE_MAX],
            "margin_inside_cell_px": MARGIN,
            "circle": "disc inscribed in the s x s bounding box",
            "square": "the s x s bounding box",
            "triangle": "apex at the middle of the box's top edge, base on its bottom edge (base = height = s)",
            "antialiasing": "4x4 supersampling, value = bg*(1-coverage) + colour*coverage",
        },
        "classifier": {
            "border_px": BORDER,
            "background": "nearest background colour (Euclidean RGB) to the per-channel median of the border pixels",
            "segment_distance_rgb": SEGMENT_DISTANCE,
            "segmentation": "foreground = Euclidean RGB distance from the border median > segment_distance_rgb; "
                            "keep the largest 4-connected component",
            "color": "nearest shape colour to the per-channel median of the component pixels",
            "position": "ninth containing the centroid of the component's pixel centres",
            "fill_ratio": "component pixel count / (bounding box width * height)",
            "fill_square_min": FILL_SQUARE_MIN,
            "fill_circle_min": FILL_CIRCLE_MIN,
            "shape_rule": "fill >= fill_square_min: square; fill >= fill_circle_min: circle; otherwise triangle",
            "nominal_fill": {"circle": math.pi / 4, "square": 1.0, "triangle": 0.5},
        },
    }


def write_domain_json(path):
    with open(path, "w") as f:
        json.dump(domain_json(), f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# Rendering

def sample_layouts(combos, generator):
    """Random size and jitter for each combo: returns float tensors cx, cy, s (pixels)."""
    n = len(combos)
    s = SIZE_MIN + (SIZE_MAX - SIZE_MIN) * torch.rand(n, generator=generator)
    room = (CELL - s - 2 * MARGIN) / 2
    jx = (torch.rand(n, generator=generator) * 2 - 1) * room
    jy = (torch.rand(n, generator=generator) * 2 - 1) * room
    rows = torch.tensor([WHERE[c[2]][0] for c in combos], dtype=torch.float32)
    cols = torch.tensor([WHERE[c[2]][1] for c in combos], dtype=torch.float32)
    cx = (cols + 0.5) * CELL + jx
    cy = (rows + 0.5) * CELL + jy
    return cx, cy, s


def render(combos, cx, cy, s):
    """Renders combos to a float tensor [n, 3, 64, 64] in [-1, 1]."""
    n = len(combos)
    k = SUPERSAMPLE
    grid = (torch.arange(IMAGE_SIZE * k, dtype=torch.float32) + 0.5) / k
    ys = grid.view(1, -1, 1)
    xs = grid.view(1, 1, -1)
    cx = cx.view(n, 1, 1)
    cy = cy.view(n, 1, 1)
    half = (s / 2).view(n, 1, 1)
    shape_idx = torch.tensor([SHAPES.index(c[1]) for c in combos]).view(n, 1, 1)
    dx = xs - cx
    dy = ys - cy
    circle = dx * dx + dy * dy <= half * half
    square = (dx.abs() <= half) & (dy.abs() <= half)
    # apex at (cx, cy - half), base at y = cy + half with half-width `half`
    depth = (dy + half) / (2 * half)  # 0 at apex, 1 at base
    triangle = (depth >= 0) & (depth <= 1) & (dx.abs() <= depth * half)
    mask = torch.where(shape_idx == 0, circle, torch.where(shape_idx == 1, square, triangle)).float()
    coverage = torch.nn.functional.avg_pool2d(mask.unsqueeze(1), k)  # [n,1,64,64]
    fg = torch.tensor([COLORS[c[0]] for c in combos], dtype=torch.float32).view(n, 3, 1, 1)
    bg = torch.tensor([BACKGROUNDS[c[3]] for c in combos], dtype=torch.float32).view(n, 3, 1, 1)
    img = bg * (1 - coverage) + fg * coverage
    return img / 127.5 - 1.0, coverage


def random_images(combos, generator):
    cx, cy, s = sample_layouts(combos, generator)
    return render(combos, cx, cy, s)


# ---------------------------------------------------------------------------------------------
# Classification

def _nearest(rgb, table):
    names = list(table)
    d = [np.sum((np.asarray(table[k], dtype=np.float64) - rgb) ** 2) for k in names]
    return names[int(np.argmin(d))]


def _largest_component(mask):
    h, w = mask.shape
    labels = np.zeros((h, w), dtype=np.int32)
    best, best_size, current = 0, 0, 0
    for y0 in range(h):
        for x0 in range(w):
            if not mask[y0, x0] or labels[y0, x0]:
                continue
            current += 1
            labels[y0, x0] = current
            stack = [(y0, x0)]
            size = 0
            while stack:
                y, x = stack.pop()
                size += 1
                for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = current
                        stack.append((ny, nx))
            if size > best_size:
                best, best_size = current, size
    return labels == best if best else np.zeros_like(mask)


def classify(image):
    """image: uint8 or float array [64, 64, 3] in 0..255. Returns a dict of attributes
    (color, shape, where, background; None where no shape was found) plus fill and centroid."""
    img = np.asarray(image, dtype=np.float64)
    h, w, _ = img.shape
    border = np.concatenate([
        img[:BORDER].reshape(-1, 3), img[-BORDER:].reshape(-1, 3),
        img[:, :BORDER].reshape(-1, 3), img[:, -BORDER:].reshape(-1, 3)])
    bg_rgb = np.median(border, axis=0)
    result = {"background": _nearest(bg_rgb, BACKGROUNDS), "color": None, "shape": None, "where": None,
              "fill": None, "centroid": None}
    dist = np.sqrt(np.sum((img - bg_rgb) ** 2, axis=2))
    comp = _largest_component(dist > SEGMENT_DISTANCE)
    if not comp.any():
        return result
    ys, xs = np.nonzero(comp)
    result["color"] = _nearest(np.median(img[ys, xs], axis=0), COLORS)
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    cell = h / 3.0
    row = min(2, max(0, int(cy // cell)))
    col = min(2, max(0, int(cx // (w / 3.0))))
    result["where"] = next(k for k, v in WHERE.items() if v == (row, col))
    fill = len(xs) / float((xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1))
    result["fill"] = fill
    result["centroid"] = (cx, cy)
    result["shape"] = "square" if fill >= FILL_SQUARE_MIN else ("circle" if fill >= FILL_CIRCLE_MIN else "triangle")
    return result


def to_uint8(images):
    """[n, 3, H, W] in [-1, 1] -> uint8 numpy [n, H, W, 3], the server's mapping."""
    x = ((images / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()
