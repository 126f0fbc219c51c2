"""Reinforcement learning after SFT: verifiable tasks and their checkers, a sandbox for code
tasks, GRPO (DAPO loss), reward models (Bradley–Terry), RLHF with a KL budget, and DPO."""
