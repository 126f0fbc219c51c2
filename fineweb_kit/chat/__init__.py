"""Conversations, the chat template, the calculator tool and the KV-cache chat engine."""
