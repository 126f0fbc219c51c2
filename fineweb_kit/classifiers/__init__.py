"""Model-based quality classifiers: train, evaluate, save and load them.

Two recipes, the two behind the strongest open pre-training sets:

- **DCLM** (:mod:`.fasttext_model`): a fastText bigram classifier, high-quality positives versus
  random web negatives; the pipeline keeps the top fraction by ``P(positive)``.
- **FineWeb-Edu** (:mod:`.embedding`, :mod:`.head`): a small regression (or classification) head
  on frozen sentence embeddings of documents graded 0-5; the pipeline keeps ``score >= 3``.

Every saved model carries a versioned manifest (:mod:`.manifest`), so a model of the wrong kind
or format version is refused with a clear error before a pipeline starts. torch and transformers
are only imported by the embedding modules (the ``classify`` extra); fastText scoring needs only
the core install.
"""
