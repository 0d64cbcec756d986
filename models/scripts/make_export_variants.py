"""Makes variants of tiny-random's models that differ as real exports do, for the Java loaders' tests.

fp16_io/: real fp16 Stable Diffusion exports take and return float16 tensors. ONNX Runtime's CPU
provider lacks float16 kernels for most operators, so these variants keep the tiny model's float32
computation and change only the interface: every float input and output becomes float16, with Cast
nodes at the edges. The Java side must then feed and read float16 tensors, exactly as it would for
a real fp16 export on a GPU.

static_batch4/: static-shape exports (what a TensorRT engine built from ONNX needs) fix every
dimension; here the UNet and VAE decoder take batches of exactly 4 at an 8x8 latent, and the text
encoder exactly 4 windows.

Run from the repository root:  /usr/bin/python3 models/scripts/make_export_variants.py
"""

import os

import onnx
from onnx import TensorProto, helper

SOURCE = "models/tiny-random"
FP16_TARGET = "models/test-variants/fp16_io"
STATIC_TARGET = "models/test-variants/static_batch4"
STATIC_SHAPES = {
    "text_encoder": {"input_ids": [4, 77], "last_hidden_state": [4, 77, 32], "pooler_output": [4, 32]},
    "unet": {
        "sample": [4, 4, 8, 8],
        "timestep": [4],
        "encoder_hidden_states": [4, 77, 32],
        "out_sample": [4, 4, 8, 8],
    },
    "vae_decoder": {"latent_sample": [4, 4, 8, 8], "sample": [4, 3, 64, 64]},
}


def to_fp16_interface(model):
    graph = model.graph
    nodes = []
    for value in graph.input:
        tensor = value.type.tensor_type
        if tensor.elem_type != TensorProto.FLOAT:
            continue
        inner = value.name + "_fp32"
        for node in graph.node:
            node.input[:] = [inner if name == value.name else name for name in node.input]
        nodes.append(helper.make_node("Cast", [value.name], [inner], to=TensorProto.FLOAT))
        tensor.elem_type = TensorProto.FLOAT16
    outputs = []
    for value in graph.output:
        tensor = value.type.tensor_type
        if tensor.elem_type != TensorProto.FLOAT:
            continue
        inner = value.name + "_fp32"
        for node in graph.node:
            node.output[:] = [inner if name == value.name else name for name in node.output]
            node.input[:] = [inner if name == value.name else name for name in node.input]
        outputs.append(helper.make_node("Cast", [inner], [value.name], to=TensorProto.FLOAT16))
        tensor.elem_type = TensorProto.FLOAT16
    all_nodes = nodes + list(graph.node) + outputs
    del graph.node[:]
    graph.node.extend(all_nodes)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def to_static_shapes(model, shapes):
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        for dim, size in zip(dims, shapes[value.name]):
            dim.Clear()
            dim.dim_value = size
    del model.graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def save(model, target, component):
    out_dir = os.path.join(target, component)
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    print("wrote", os.path.join(out_dir, "model.onnx"))


def main():
    for component in ("text_encoder", "unet", "vae_decoder"):
        source = os.path.join(SOURCE, component, "model.onnx")
        save(to_fp16_interface(onnx.load(source)), FP16_TARGET, component)
        save(to_static_shapes(onnx.load(source), STATIC_SHAPES[component]), STATIC_TARGET, component)


if __name__ == "__main__":
    main()
