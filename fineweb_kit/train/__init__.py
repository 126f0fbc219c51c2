"""A thin GPT pre-trainer over token shards (needs the optional extra ``fineweb-kit[train]``,
i.e. PyTorch). ``config`` imports without torch; ``model``, ``data`` and ``train`` need it."""
