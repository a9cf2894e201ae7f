"""Grounded answers: hybrid retrieval, extractive or LLM answers, verified citations."""
