"""fp32 style graph -> fp16 compute graph, uint8 frame I/O unchanged (for GPU engines).

A graph pass rather than a second torch export: the style graphs hold only convolutions,
normalisation, padding, resizing and elementwise ops, so turning every float tensor
(weights, constants, the input cast) into float16 is the whole job, it takes
milliseconds, and it needs no extra package (onnxconverter-common is not a dependency).
Shapes and sizes stay int64. Intermediate type annotations are dropped; runtimes infer
them again.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def _half(t: onnx.TensorProto) -> onnx.TensorProto:
    return numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name)


def convert_to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` computing in float16; graph inputs and outputs must not be float."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for v in (*g.input, *g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            raise ValueError(f"graph I/O {v.name!r} is float32; the fp16 pass expects uint8 frame I/O")
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(_half(t))
    for node in g.node:
        if node.op_type in ("If", "Loop", "Scan"):
            raise ValueError(f"control flow ({node.op_type}) is not supported by the fp16 pass")
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
            elif a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(_half(a.t))
            elif a.type == onnx.AttributeProto.FLOAT and node.op_type == "Constant":
                raise ValueError("scalar float Constant nodes are not supported by the fp16 pass")
    del g.value_info[:]
    return m
