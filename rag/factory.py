"""The one place that builds the pipeline from settings. Nothing heavy happens at import."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.chunking import Chunker
from index.cleaning import Cleaner
from index.embedder import Embedder, LocalTokenizer, SentenceTransformerEmbedder
from index.errors import ConfigError
from index.ingest import IngestService
from index.replica import PassageScreen, ReleaseReplica
from index.lock import WriteLock
from index.remote_embedder import OpenAIEmbedder, check_same_model
from index.disk_space import ensure_room
from index.store import ChromaStore, make_client
from rag.question_typing import Nlp
from rag.conversation import Condenser, LLMCondenser, RuleCondenser
from rag.embedding_cache import CachedEmbedder
from rag.generators.base import Generator
from rag.generators.extractive import ExtractiveGenerator
from rag.fusion import DuplicateRule
from rag.generators.llm import ChatModel, LLMGenerator
from rag.injection import hostile, screen_version
from rag.prompts import PromptSet, load_prompts
from rag.answerability import DEFAULT_WEIGHTS as DEFAULT_REFUSAL_WEIGHTS
from rag.answerability import ModelGate, RefusalGate, ThresholdGate
from rag.answerability import load_weights as load_refusal_weights
from rag.rerank import (DEFAULT_WEIGHTS, CrossEncoderReranker, FeatureReranker, Reranker,
                        load_weights)
from rag.retrieval import HybridRetriever, RetrievalConfig
from rag.retrieval.focus import FocusRule
from rag.selection import DEFAULT_WEIGHTS as DEFAULT_SELECTOR_WEIGHTS
from rag.selection import SentenceSelector
from rag.selection import load_weights as load_selector_weights
from rag.answer_service import AnswerService
from rag.stages import Stage
from rag.stages.assemble import Assemble
from rag.stages.condense import Condense
from rag.stages.embed import Embed
from rag.stages.evidence import Evidence
from rag.stages.gate import Gate
from rag.stages.generate import Generate
from rag.stages.retrieve import Retrieve
from rag.stages.shape import ShapeException, Shape, kind_name
from rag.stages.short_answer import ShortAnswer
from rag.stages.sides import Disputed
from rag.stages.spans import Spans
from rag.stages.verify import Verify
from rag.table_rows import TableRows
from rag.settings import Settings
from rag.span_locator import SpanLocator
from rag.grounding import CitationVerifier


@dataclass
class Pipeline:
    settings: Settings
    embedder: Embedder
    store: ChromaStore
    keyword: ReleaseReplica | None
    retriever: HybridRetriever
    ingest: IngestService
    answers: AnswerService


def build_embedder(settings: Settings) -> Embedder:
    e = settings.embedding
    if e.backend == "openai":
        return build_remote_embedder(settings)
    return SentenceTransformerEmbedder(e.model, device=e.device, batch_size=e.batch_size,
                                       precision=e.precision, backend=e.backend,
                                       cache_dir=encoder_cache_dir(settings), trace=e.trace,
                                       short_text_threads=e.short_text_threads)


def encoder_cache_dir(settings: Settings) -> Path:
    """Where built encoder files (the ONNX export) live: ``embedding.cache_dir`` or
    DATA_DIR/encoders."""
    return Path(settings.embedding.cache_dir or Path(settings.data_dir) / "encoders")


def names_local_model(api_model: str, model: str) -> bool:
    """Whether the server's model name is the local model's (``all-MiniLM-L6-v2``,
    ``sentence-transformers/all-MiniLM-L6-v2`` or a local directory's name; any case)."""
    def base(name: str) -> str:
        return name.rstrip("/").lower().rsplit("/", 1)[-1]

    return base(api_model) == base(model)


def build_remote_embedder(settings: Settings) -> OpenAIEmbedder:
    """The ``openai`` backend, probed at once (docs/embedding-backends.md): its dimension is
    learnt, and a server declared to run the local model is compared with it on the probe texts
    (refused unless they agree). Chunk lengths are counted with embedding.model's tokenizer."""
    e = settings.embedding
    assert e.api_base is not None and e.api_model is not None  # checked by the settings
    same = (e.api_same_model if e.api_same_model is not None
            else names_local_model(e.api_model, e.model))
    tokenizer = LocalTokenizer(e.model)
    server = dict(api_key=e.api_key.get_secret_value() if e.api_key else None,
                  tokenize=tokenizer.tokenize, batch_size=e.api_batch_size,
                  timeout=e.api_timeout, max_retries=e.api_max_retries)
    if not same:
        if settings.chunking.chunk_size > e.api_max_tokens:
            raise ConfigError(
                f"chunking.chunk_size ({settings.chunking.chunk_size}) is larger than "
                f"embedding.api_max_tokens ({e.api_max_tokens}), the longest input the model "
                f"{e.api_model!r} takes: lower the chunk size or raise api_max_tokens")
        return OpenAIEmbedder(e.api_base, e.api_model, max_tokens=e.api_max_tokens, **server)
    local = SentenceTransformerEmbedder(e.model, device=e.device, batch_size=e.batch_size,
                                        precision="float32", backend="torch")
    remote = OpenAIEmbedder(e.api_base, e.api_model, model_id=local.model_id,
                            max_tokens=local.max_tokens, **server)
    check_same_model(local, remote, e.api_min_cosine)
    return remote


def build_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    s = settings.store
    client: Any = make_client(s.mode, settings.data_dir, s.host, s.port, s.ssl, s.headers,
                              s.timeout_seconds)
    # Embedded Chroma: a file beside it tells the processes sharing it when the release
    # pointer moved (index.releases.ReleaseLog); a Chroma server's clients read the pointer.
    token = (Path(settings.data_dir) / f"{s.collection}.pointer"
             if s.mode == "embedded" else None)
    return ChromaStore(client, s.collection, embedder.model_id, embedder.dimension, token)


def open_existing_store(settings: Settings) -> ChromaStore | None:
    """The configured index for inspection (no model loaded), or None if nothing is indexed."""
    s = settings.store
    client: Any = make_client(s.mode, settings.data_dir, s.host, s.port, s.ssl, s.headers,
                              s.timeout_seconds)
    return ChromaStore.existing(client, s.collection)


def build_lock(settings: Settings) -> WriteLock:
    """The index's write lock (a local file lock; see index/lock.py)."""
    s = settings.store
    match s.mode:
        case "embedded":
            return WriteLock(settings.data_dir / "locks", s.collection, allow_partitions=False,
                             wait_seconds=settings.ingest.lock_wait_seconds)
        case "server":
            name = f"{s.host}-{s.port}-{s.collection}"
            return WriteLock(settings.data_dir / "locks", name, allow_partitions=True,
                             wait_seconds=settings.ingest.lock_wait_seconds)


def build_cleaner(settings: Settings) -> Cleaner:
    """The cleaning rules: used by ingest, and by the span locator to map offsets exactly."""
    return Cleaner(settings.ingest.boilerplate_patterns, settings.ingest.block_start_patterns)


def build_ingest(settings: Settings, store: ChromaStore, embedder: Embedder,
                 keyword: ReleaseReplica | None = None) -> IngestService:
    i = settings.ingest
    # Chunk sizes are counted in word pieces: by their ids where the embedder has that
    # cheaper call (index.embedder.SentenceTransformerEmbedder.word_piece_ids), else tokenize.
    chunker = Chunker(settings.chunking.chunk_size, settings.chunking.chunk_overlap,
                      getattr(embedder, "word_piece_ids", embedder.tokenize),
                      context_headers=settings.chunking.context_headers)
    return IngestService(
        store, embedder, chunker,
        build_cleaner(settings),
        lock=build_lock(settings),
        max_file_bytes=int(i.max_file_mb * 1_000_000),
        near_duplicate_threshold=i.near_duplicate_threshold,
        embed_group_chunks=i.embed_group_chunks,
        on_change=(lambda: keyword.refresh(store)) if keyword is not None else None,
        retain=settings.releases.retain,
        check_room=functools.partial(ensure_room, settings.data_dir,
                                     int(i.min_free_mb * 1_000_000)),
    )


def build_generator(settings: Settings, embedder: Embedder, prompts: PromptSet | None = None,
                    *, keyword: ReleaseReplica | None = None,
                    chat: ChatModel | None = None) -> Generator:
    """The generator ``generator.name`` names; ``chat`` replaces an LLM backend's model."""
    g = settings.generator
    prompts = prompts or load_prompts(g.prompt_version)
    if chat is not None:
        if g.name == "extractive":
            raise ConfigError("a chat model was given but generator.name is 'extractive': name "
                              "the LLM backend it stands in for ('llamacpp' or 'openai')")
        return LLMGenerator(g.name, chat, prompts, g.max_passage_chars)
    match g.name:
        case "extractive":
            return ExtractiveGenerator(embedder, max_sentences=g.max_sentences,
                                       selector=build_selector(settings, keyword))
        case "llamacpp":
            from rag.generators.llamacpp import LlamaCppChat

            model = LlamaCppChat(g.llamacpp.model_path, n_ctx=g.llamacpp.n_ctx,
                                 n_threads=g.llamacpp.n_threads, seed=g.llamacpp.seed,
                                 max_tokens=g.max_tokens, temperature=g.temperature)
            return LLMGenerator("llamacpp", model, prompts, g.max_passage_chars)
        case "openai":
            from rag.generators.openai import OpenAIChat

            o = g.openai
            chat = OpenAIChat(o.base_url, o.model, o.api_key.get_secret_value(),
                              max_tokens=g.max_tokens, temperature=g.temperature,
                              timeout=o.timeout, max_retries=o.max_retries)
            return LLMGenerator("openai", chat, prompts, g.max_passage_chars)


def build_selector(settings: Settings, keyword: ReleaseReplica | None) -> SentenceSelector | None:
    """The fitted sentence selector of extractive answers (None: the plain score rule)."""
    g = settings.generator
    if g.selector == "score":
        return None
    model = load_selector_weights(g.selector_weights or DEFAULT_SELECTOR_WEIGHTS)
    return SentenceSelector(model, keyword.terms if keyword is not None else None,
                            keyword.idf if keyword is not None else None,
                            max_sentences=g.max_sentences, time_penalty=g.time_penalty)


def build_condenser(settings: Settings, generator: Generator, prompts: PromptSet) -> Condenser:
    if settings.generator.condense == "auto" and isinstance(generator, LLMGenerator):
        return LLMCondenser(generator.complete, prompts)
    return RuleCondenser()


def build_keyword_index(settings: Settings, follow_current: bool = True) -> ReleaseReplica | None:
    """The release replica beside the Chroma index (BM25 and the release's copy that the fast
    paths read: index/replica.py), current with the store. Built in hybrid and keyword mode and
    for the features reranker and the answerability gate (their term statistics); ``None``
    otherwise. ``follow_current=False``: the replica of one pinned release."""
    r = settings.retrieval
    if (r.mode == "dense" and not (r.rerank and r.reranker == "features")
            and r.refusal != "model"):
        return None
    try:
        return ReleaseReplica(settings.data_dir / "keyword" / settings.store.collection,
                              stemmer_language=r.keyword_stemmer or None,
                              check_interval=r.keyword_check_seconds,
                              follow_current=follow_current,
                              keep_versions=settings.releases.retain + 3,
                              screen=PassageScreen(screen_version(), hostile))
    except KeyError:
        raise ConfigError(f"retrieval.keyword_stemmer {r.keyword_stemmer!r} is not a Snowball "
                          "language (e.g. 'english', 'german'; empty for none)") from None


def build_reranker(settings: Settings, keyword: ReleaseReplica | None) -> Reranker | None:
    r = settings.retrieval
    if not r.rerank:
        return None
    match r.reranker:
        case "cross_encoder":
            assert r.cross_encoder_path is not None  # checked by the settings
            return CrossEncoderReranker(r.cross_encoder_path, device=settings.embedding.device)
        case "features":
            assert keyword is not None  # built for this reranker
            model = load_weights(r.rerank_weights or DEFAULT_WEIGHTS)
            return FeatureReranker(model, keyword.terms, keyword.idf, keyword.matches,
                                   keyword.title_terms)


def build_gate(settings: Settings, keyword: ReleaseReplica | None) -> RefusalGate:
    r = settings.retrieval
    if r.refusal == "threshold":
        return ThresholdGate(r.min_relevance)
    assert keyword is not None  # built for this gate
    model = load_refusal_weights(r.refusal_weights or DEFAULT_REFUSAL_WEIGHTS)
    threshold = (r.min_answerability if r.min_answerability is not None
                 else float(model.extra["threshold"]))
    # the answer-typing features: the shared spaCy pipeline (build_nlp, loaded once)
    return ModelGate(model, threshold, keyword.terms, keyword.idf, build_nlp())


def duplicate_rule(settings: Settings) -> DuplicateRule:
    r = settings.retrieval
    return DuplicateRule(text=r.duplicate_text_overlap, cosine=r.duplicate_cosine,
                         group_cosine=r.duplicate_group_cosine)


def build_retriever(settings: Settings, store: ChromaStore, embedder: Embedder,
                    keyword: ReleaseReplica | None) -> HybridRetriever:
    r = settings.retrieval
    config = RetrievalConfig(mode=r.mode, pool=r.candidates, rrf_k=r.rrf_k,
                             dense_weight=r.dense_weight, keyword_weight=r.keyword_weight,
                             exact_max=r.exact_max, duplicates=duplicate_rule(settings),
                             time_scope=r.time_scope,
                             focus=FocusRule(passages=r.focus_passages,
                                             min_coverage=r.focus_min_coverage))
    return HybridRetriever(store, embedder, config, keyword, build_reranker(settings, keyword))


_NLP: Nlp | None = None
_NLP_LOCK = threading.Lock()


def build_nlp() -> Nlp:
    """The spaCy pipeline (answer typing, entities): loaded once per process, shared by every
    pipeline built in it (eval variants, tests), and only when a pipeline is built."""
    global _NLP
    with _NLP_LOCK:
        if _NLP is None:
            _NLP = Nlp()
        return _NLP


def build_stages(settings: Settings, *, embedder: Embedder, store: ChromaStore,
                 retriever: HybridRetriever, keyword: ReleaseReplica | None,
                 prompts: PromptSet, chat: ChatModel | None = None) -> AnswerService:
    """The answering sequence (rag.stages) and the service that runs it."""
    g = settings.generator
    sentences = CachedEmbedder(embedder)  # passage sentences: scored, then verified
    generator = build_generator(settings, sentences, prompts, keyword=keyword, chat=chat)
    extractive = (generator if isinstance(generator, ExtractiveGenerator)
                  else ExtractiveGenerator(sentences, max_sentences=g.max_sentences,
                                           selector=build_selector(settings, keyword)))
    verifier = CitationVerifier(sentences, g.min_lexical_support, g.min_dense_support,
                                g.verification)
    locator = SpanLocator(store, build_cleaner(settings))  # the ingest's rules: exact offsets
    short = ShortAnswer(build_nlp(), locator) if g.short_answers else None
    stages: list[Stage] = [
        Condense(build_condenser(settings, generator, prompts)),
        Embed(embedder),
        Retrieve(retriever, settings.retrieval.top_k,
                 functools.partial(kind_name, build_nlp()) if g.shapes else None),
        Evidence(extractive),
        Gate(build_gate(settings, keyword),
             ShapeException(build_nlp(), locator) if g.shapes else None,
             period_refusal=settings.retrieval.period_refusal,
             disputed=Disputed(short) if short is not None else None),
        Generate(None if generator is extractive else generator, prompts, g.on_error),
        Verify(verifier, sentences, fallback_share=g.fallback_share,
               trust_model_refusal=g.trust_model_refusal),
        Spans(locator, TableRows(store)),
    ]
    if short is not None:
        stages.append(short)
    if g.shapes:
        stages.append(Shape(build_nlp(), locator))
    return AnswerService(stages, Assemble(prompts, generator.name),
                         prompt_version=prompts.version, generator_name=generator.name,
                         max_question_chars=settings.server.max_question_chars)


def build_pipeline(settings: Settings, embedder: Embedder | None = None, *,
                   chat: ChatModel | None = None, release: str | None = None) -> Pipeline:
    """Load the model (unless given one), open the store and wire every stage.

    ``release``: answer from that release (e.g. a staged one, for the release gate) instead of
    the published one; such a pipeline is for reading only.

    ``chat`` stands in for the LLM backend that ``generator.name`` names ('llamacpp' or
    'openai'): the rest of the pipeline is built exactly as in production around it (tests
    inject a scripted model this way, as httpx takes a transport)."""
    prompts = load_prompts(settings.generator.prompt_version)
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    if release is not None:
        store = store.pinned(release)
    keyword = build_keyword_index(settings, follow_current=release is None)
    if keyword is not None:
        keyword.refresh(store)
    ingest = build_ingest(settings, store, embedder, keyword)
    retriever = build_retriever(settings, store, embedder, keyword)
    answers = build_stages(settings, embedder=embedder, store=store, retriever=retriever,
                           keyword=keyword, prompts=prompts, chat=chat)
    return Pipeline(settings, embedder, store, keyword, retriever, ingest, answers)
