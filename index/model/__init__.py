"""The pinned model: its spec and checks, the encoders, the ONNX export and int8 quantisation."""
