"""Makes float16-interface variants of tiny-random's models for the Java loaders' tests.

Real fp16 Stable Diffusion exports take and return float16 tensors. ONNX Runtime's CPU provider
lacks float16 kernels for most operators, so these variants keep the tiny model's float32
computation and change only the interface: every float input and output becomes float16, with
Cast nodes at the edges. The Java side must then feed and read float16 tensors, exactly as it
would for a real fp16 export on a GPU.

Run from the repository root:  /usr/bin/python3 models/scripts/make_fp16_io_variants.py
"""

import os

import onnx
from onnx import TensorProto, helper

SOURCE = "models/tiny-random"
TARGET = "models/test-variants/fp16_io"


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


def main():
    for component in ("text_encoder", "unet", "vae_decoder"):
        model = onnx.load(os.path.join(SOURCE, component, "model.onnx"))
        out_dir = os.path.join(TARGET, component)
        os.makedirs(out_dir, exist_ok=True)
        onnx.save(to_fp16_interface(model), os.path.join(out_dir, "model.onnx"))
        print("wrote", os.path.join(out_dir, "model.onnx"))


if __name__ == "__main__":
    main()
