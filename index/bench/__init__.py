"""The measuring equipment for speed: the benchmark of scripts/bench.py, the server under load, quantisation and
large-index studies. Nothing in the engine or the service imports it; its HTTP client code lives here."""
