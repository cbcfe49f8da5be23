"""The measuring equipment for quality: BEIR and SQuAD readers, ranking metrics, retrieval and answer evaluation,
and retrieval tuning. Nothing in the engine or the service imports it."""
