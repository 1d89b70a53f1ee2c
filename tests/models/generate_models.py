#!/usr/bin/python3
"""Generates the small ONNX models the inference tests and benchmarks use.

Run with Debian's interpreter (onnx 1.12):  /usr/bin/python3 tests/models/generate_models.py [out_dir]
Each model <name>.onnx comes with <name>.json holding its parameters, so tests compute expected outputs
independently of ONNX Runtime. Weights are fixed (seeded), so the files are reproducible.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
FEATURES = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"]
# Standardisation of the vitals (roughly adult population means and spreads).
MEANS = [80.0, 16.0, 96.0, 37.0, 120.0]
SCALES = [15.0, 4.0, 3.0, 0.8, 20.0]
# Direction of risk: fast heart and breathing, low saturation, fever, low blood pressure.
BASE_WEIGHTS = [0.8, 0.9, -0.7, 0.4, -0.6]
BASE_BIAS = -2.0


def save(model, out_dir, name, params):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(params, f, indent=2)


def logistic_regression(out_dir):
    """features[N,4] -> probability[N] = sigmoid(features @ w + b)."""
    w = np.array([0.5, -1.25, 2.0, 0.75], dtype=np.float32)
    b = np.array([-0.3], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "w"], ["logit_raw"]),
            helper.make_node("Add", ["logit_raw", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability"]),
        ],
        "logistic_regression",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch"])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mlops-tests")
    save(model, out_dir, "logistic_regression", {"weights": w.tolist(), "bias": float(b[0])})


def ensemble(out_dir, name, seed, members=5):
    """An ensemble of logistic regressions over standardised vitals.

    features[N,F] -> members[N,M] = sigmoid(((x - mean) / scale) @ W + b);
    probability[N] = mean over members; uncertainty[N] = population std over members.
    """
    rng = np.random.default_rng(seed)
    weights = (np.array(BASE_WEIGHTS)[:, None] + rng.normal(0, 0.25, (len(FEATURES), members))).astype(np.float32)
    biases = (BASE_BIAS + rng.normal(0, 0.3, members)).astype(np.float32)
    mean = np.array(MEANS, dtype=np.float32)
    scale = np.array(SCALES, dtype=np.float32)
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["z"]),
        helper.make_node("MatMul", ["z", "W"], ["logits_raw"]),
        helper.make_node("Add", ["logits_raw", "b"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["members"]),
        helper.make_node("ReduceMean", ["members"], ["probability"], axes=[1], keepdims=0),
        helper.make_node("ReduceMean", ["members"], ["member_mean"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["members", "member_mean"], ["deviation"]),
        helper.make_node("Mul", ["deviation", "deviation"], ["squared"]),
        helper.make_node("ReduceMean", ["squared"], ["variance"], axes=[1], keepdims=0),
        helper.make_node("Sqrt", ["variance"], ["uncertainty"]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", len(FEATURES)])],
        [
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("uncertainty", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("members", TensorProto.FLOAT, ["batch", members]),
        ],
        [
            numpy_helper.from_array(mean, "mean"),
            numpy_helper.from_array(scale, "scale"),
            numpy_helper.from_array(weights, "W"),
            numpy_helper.from_array(biases, "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mlops-tests")
    save(model, out_dir, name, {
        "features": FEATURES,
        "means": mean.tolist(),
        "scales": scale.tolist(),
        "weights": weights.tolist(),
        "biases": biases.tolist(),
    })


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out_dir, exist_ok=True)
    logistic_regression(out_dir)
    ensemble(out_dir, "deterioration_ensemble_v1", seed=1)
    ensemble(out_dir, "deterioration_ensemble_v2", seed=2)


if __name__ == "__main__":
    main()
