#!/usr/bin/env python3
"""Rewrites a jepa4j int8 export (per-token activation scales) into the per-batch variant that
ONNX Runtime's own dynamic quantization uses: one DynamicQuantizeLinear scale and zero point for
the whole [batch*N, in] input of each Linear. For measuring what jepa4j's batch invariance costs
(docs/precision.md): the result is NOT batch-invariant (the other images of a batch move the scale)
and jepa4j never writes such a file itself.

    /usr/bin/python3 tools/lib/int8_per_batch.py IN_INT8.onnx OUT.onnx

Needs Debian's python3-onnx. The weights, their per-channel scales, the bias and everything
outside the Linears stay as they are.
"""
import sys

import onnx
from onnx import helper


def rewrite(model):
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    new_nodes = []
    done = 0
    for n in list(g.node):
        if n.op_type != "MatMulInteger":
            continue
        quant = producer[n.input[0]]
        assert quant.op_type == "QuantizeLinear", quant.op_type
        div = producer[quant.input[0]]
        assert div.op_type == "Div", div.op_type
        x, scale = div.input[0], div.input[1]
        if producer.get(x) is not None and producer[x].op_type == "Reshape" and producer[x].output[0].endswith("per_image"):
            raise SystemExit("the input uses per-image scales; give a per-token (default) int8 export")
        base = n.name or n.output[0]
        q, s, z = base + ".dq_q", base + ".dq_scale", base + ".dq_zero"
        new_nodes.append((n, helper.make_node("DynamicQuantizeLinear", [x], [q, s, z], name=base + ".dynamic_quantize")))
        n.input[0] = q
        n.input[2] = z
        cast = consumers[n.output[0]][0]
        rescale = [c for c in consumers[cast.output[0]] if c.op_type == "Mul"][0]
        rescale.input[:] = [cast.output[0] if i == cast.output[0] else (s if i == scale else i) for i in rescale.input]
        done += 1
    nodes = list(g.node)
    for matmul, dq in new_nodes:
        nodes.insert(nodes.index(matmul), dq)
    # drop the per-token scale computations nobody reads any more
    outputs = {o.name for o in g.output}
    while True:
        used = {i for n in nodes for i in n.input} | outputs
        keep = [n for n in nodes if any(o in used for o in n.output)]
        if len(keep) == len(nodes):
            break
        nodes = keep
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in nodes for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    for p in model.metadata_props:
        if p.key == "jepa4j.int8_activation_scale":
            p.value = "batch"
    return done


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    model = onnx.load(sys.argv[1])
    n = rewrite(model)
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[2])
    print(f"{n} Linears now quantize their input per batch: {sys.argv[2]}")


if __name__ == "__main__":
    main()
