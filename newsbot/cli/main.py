"""The `newsbot` command: build and inspect an index, search it, ask it, chat with it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import textwrap
from pathlib import Path

from newsbot.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, CliError
from newsbot.cli.feeds import FEED_COMMANDS, add_feed_commands
from newsbot.index.backends import BACKENDS
from newsbot.settings import Settings, SettingsError


def _date(value: str):
    from newsbot.index.articles import ArticleError, parse_date

    try:
        return parse_date(value)
    except ArticleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _add_index_commands(commands, common: argparse.ArgumentParser) -> None:
    """`newsbot index add|remove|stats|repair`."""
    index = commands.add_parser("index", help="build and manage the passage index")
    index_commands = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    add = index_commands.add_parser("add", parents=[common], help="index article files and folders")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--passage-words", type=_positive, help="passage size in words (env NEWSBOT_PASSAGE_WORDS)")
    add.add_argument("--overlap-words", type=int, help="overlap between passages in words (env NEWSBOT_OVERLAP_WORDS)")
    add.add_argument("--paragraph-words", type=_positive,
                     help="a passage this long ends with its paragraph (env NEWSBOT_PARAGRAPH_WORDS)")
    add.add_argument("--batch-size", type=_positive, help="embedding batch size (env NEWSBOT_BATCH_SIZE)")
    add.add_argument("--quiet", action="store_true",
                     help="no progress (else a bar on a terminal, a line a minute in a log, and a summary)")
    remove = index_commands.add_parser("remove", parents=[common], help="remove articles by id or source")
    remove.add_argument("ids", nargs="*", metavar="ID")
    remove.add_argument("--source", help="remove every article from this source or file path")
    stats = index_commands.add_parser("stats", parents=[common], help="counts, size on disk and model")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    index_commands.add_parser("repair", parents=[common],
                              help="rebuild vectors.faiss from the vectors in the database")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", dest="index_dir", type=Path, metavar="DIR",
                        help="index directory (env NEWSBOT_INDEX_DIR, default ./newsbot-index)")
    common.add_argument("--model", help="embedding model name or folder (env NEWSBOT_MODEL; "
                        "default: the index's model, or all-MiniLM-L6-v2 for a new index)")
    common.add_argument("--backend", choices=["auto", *BACKENDS],
                        help="embedding backend (env NEWSBOT_BACKEND; default auto: the fastest this CPU "
                        "and the installed extras run)")
    common.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (env NEWSBOT_LOG_LEVEL)")

    parser = argparse.ArgumentParser(prog="newsbot", description="Answers questions about news articles, with citations.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_index_commands(commands, common)
    add_feed_commands(commands, common)

    ask = commands.add_parser("ask", parents=[common], help="answer one question, with sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="JSON output")
    ask.add_argument("--ref-date", type=_date, metavar="YYYY-MM-DD",
                     help="the day that 'yesterday' and 'last week' count from (default today)")
    chat = commands.add_parser("chat", parents=[common], help="interactive chat in the terminal")
    chat.add_argument("--ref-date", type=_date, metavar="YYYY-MM-DD")

    evaluate = commands.add_parser("eval", parents=[common], help="measure retrieval and answers on a question set")
    evaluate.add_argument("data", type=Path, help="SQuAD-format JSON, or JSONL of {id, question, answers, history?, ref_date?}")
    evaluate.add_argument("--corpus", type=Path, nargs="+", default=[], metavar="PATH",
                          help="articles to index (default: the SQuAD file's own paragraphs)")
    evaluate.add_argument("--limit", type=_positive, help="sample this many questions")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--modes", default="hybrid,dense,keyword", help="comma-separated retrieval modes")
    evaluate.add_argument("--out", type=Path, metavar="FILE.json", help="write the summary as JSON")
    evaluate.add_argument("--details", type=Path, metavar="FILE.jsonl",
                          help="one line per question and mode; an existing file is resumed")

    serve = commands.add_parser("serve", parents=[common], help="run the Telegram bot (token from TELEGRAM_BOT_TOKEN)")
    serve.add_argument("--webhook", metavar="URL", help="receive updates at this public URL instead of long polling")
    serve.add_argument("--listen", default="127.0.0.1:8443", metavar="ADDR:PORT", help="where the webhook server listens")

    search = commands.add_parser("search", parents=[common], help="find the passages that best match a question")
    search.add_argument("query")
    search.add_argument("-k", type=_positive, default=5, help="number of passages (default 5)")
    search.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    search.add_argument("--since", type=_date, metavar="YYYY-MM-DD")
    search.add_argument("--until", type=_date, metavar="YYYY-MM-DD")
    search.add_argument("--source", action="append", default=[], help="only this source or file path (repeatable)")
    search.add_argument("--json", action="store_true", help="JSON output")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    flags = {name: getattr(args, name, None) for name in
             ("index_dir", "model", "backend", "passage_words", "overlap_words", "paragraph_words", "batch_size", "log_level")}
    return Settings.from_env(**flags)


def cmd_index_add(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.app import Newsbot
    from newsbot.index.articles import input_bytes, load_paths
    from newsbot.index.progress import Progress

    with Newsbot.open(settings, create=True) as app:
        if args.quiet:
            report = app.add(load_paths(args.paths))
        else:
            progress = Progress(input_bytes(args.paths))
            report = app.add(load_paths(args.paths, on_read=progress.read), progress=progress)
        stats = app.stats()
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if report.problem_count > len(report.problems):
        print(f"… and {report.problem_count - len(report.problems):,} more problems", file=sys.stderr)
    print(f"added: {report.added}\nupdated: {report.updated}\nduplicates: {report.duplicates}\n"
          f"problems: {report.problem_count}\npassages: {report.passages}\n"
          f"seconds: {report.seconds:.1f}\nindex articles: {stats.articles}\nindex passages: {stats.passages}")
    return EXIT_PROBLEMS if report.problems else EXIT_OK


def cmd_index_remove(args: argparse.Namespace, settings: Settings) -> int:
    if not args.ids and not args.source:
        raise CliError("give article ids or --source PATH")
    from newsbot.app import Newsbot

    sources = (args.source, str(Path(args.source).expanduser().resolve())) if args.source else ()
    with Newsbot.open(settings, writable=True) as app:
        removed = app.remove(args.ids, sources=sources)
    if not removed:
        raise CliError("no matching article in the index")
    for article_id in removed:
        print(f"removed {article_id}")
    return EXIT_OK


def cmd_index_stats(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.index.store import Store

    with Store.open(settings.index_dir) as store:
        stats = dataclasses.asdict(store.stats())
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for name, value in stats.items():
            print(f"{name.replace('_', ' ')}: {'' if value is None else value}")
    return EXIT_OK


def cmd_index_repair(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.index.store import Store

    with Store.open(settings.index_dir, writable=True, repair=True) as store:
        count = store.repair()
    print(f"vectors: {count}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.answer.types import cited_where, date_label
    from newsbot.app import Newsbot
    from newsbot.index.store import Filters

    if not args.query.strip():
        raise CliError("the query is empty: ask something, e.g. newsbot search \"who won the final?\"")
    with Newsbot.open(settings) as app:
        filters = Filters(since=args.since, until=args.until, sources=tuple(args.source))
        hits = app.search(args.query, k=args.k, mode=args.mode, filters=filters)
    if args.json:
        print(json.dumps([_hit_json(hit) for hit in hits], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not hits:
        print("no matching passages")
    for hit in hits:
        print(f"[{hit.rank}] {hit.article.title} ({date_label(hit.article.date)})  score {hit.score:.4f}")
        print(f"    {cited_where(hit.article)}  chars {hit.passage.start}-{hit.passage.end}")
        print(textwrap.indent(textwrap.fill(hit.passage.text, 96), "    "))
        print()
    return EXIT_OK


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.answer.query import SmallTalk
    from newsbot.answer.types import answer_record
    from newsbot.app import Newsbot
    from newsbot.cli import render

    with Newsbot.open(settings) as app:
        try:
            answer = app.ask(args.question, today=args.ref_date)
        except SmallTalk as reply:
            print(json.dumps({"reply": str(reply)}, ensure_ascii=False) if args.json else reply)
            return EXIT_OK
    if args.json:
        print(json.dumps(answer_record(answer), indent=2, ensure_ascii=False))
    else:
        print(render.plain(answer))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.app import Newsbot
    from newsbot.cli.chat import chat

    with Newsbot.open(settings) as app:
        stats = app.stats()
        banner = (f"newsbot: {stats.articles} articles"
                  + (f" from {stats.oldest} to {stats.newest}" if stats.oldest else "") + ".")
        return chat(app, today=args.ref_date, banner=banner, turns=settings.history_turns)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import hashlib

    from newsbot import evaluate
    from newsbot.app import Newsbot
    from newsbot.index.articles import load_paths
    from newsbot.index.search import Mode
    from newsbot.index.store import index_exists

    try:
        modes = [Mode(m.strip()) for m in args.modes.split(",") if m.strip()]
    except ValueError:
        raise CliError(f"--modes takes hybrid, dense and keyword, not {args.modes!r}") from None
    data = evaluate.load_eval_data(args.data)
    if not data.articles and not args.corpus and args.index_dir is None:
        raise CliError("a JSONL question set needs --corpus PATH… (the articles) or --index DIR")
    if args.index_dir is None:
        key = hashlib.sha256(json.dumps([str(p.resolve()) for p in [args.data, *args.corpus]]).encode()).hexdigest()[:10]
        settings = settings.with_(index_dir=Path(".newsbot") / "eval" / f"{args.data.stem}-{key}")
        print(f"index: {settings.index_dir}", file=sys.stderr)
    fresh = not index_exists(settings.index_dir)
    with Newsbot.open(settings, writable=bool(args.corpus), create=fresh) as app:
        if fresh or args.corpus:
            items = load_paths(args.corpus) if args.corpus else data.articles
            report = app.add(items, progress=sys.stderr.isatty())
            print(f"indexed: {report.added} articles, {report.passages} passages", file=sys.stderr)
        questions = evaluate.sample(data.questions, args.limit, args.seed)
        indexed = app.store.existing_ids({q.article_id for q in questions if q.article_id})
        summary = evaluate.run(app, questions, modes, indexed, args.details, progress=sys.stderr.isatty())
    print(evaluate.table(summary))
    if args.out:
        args.out.write_text(json.dumps({"data": str(args.data), "index": str(settings.index_dir), "limit": args.limit,
                                        "seed": args.seed, "modes": summary}, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.telegram_bot_token:
        raise CliError("set TELEGRAM_BOT_TOKEN to the token @BotFather gave you")
    from newsbot.app import Newsbot
    from newsbot.telegram.bot import serve

    with Newsbot.open(settings) as app:
        serve(settings, app, webhook_url=args.webhook, listen=args.listen)
    return EXIT_OK


def _hit_json(hit) -> dict:
    return {
        "rank": hit.rank,
        "score": hit.score,
        "dense_rank": hit.dense_rank,
        "keyword_rank": hit.keyword_rank,
        "article_id": hit.article.id,
        "title": hit.article.title,
        "date": hit.article.date.isoformat() if hit.article.date else None,
        "source": hit.article.source,
        "url": hit.article.url,
        "passage_id": hit.passage.id,
        "start": hit.passage.start,
        "end": hit.passage.end,
        "text": hit.passage.text,
    }


COMMANDS = {
    ("index", "add"): cmd_index_add,
    ("index", "remove"): cmd_index_remove,
    ("index", "stats"): cmd_index_stats,
    ("index", "repair"): cmd_index_repair,
    ("search", None): cmd_search,
    ("ask", None): cmd_ask,
    ("chat", None): cmd_chat,
    ("eval", None): cmd_eval,
    ("serve", None): cmd_serve,
    **FEED_COMMANDS,
}


def configure_logging(level: str) -> None:
    """Log lines at `level` as "LEVEL logger: message"; one-time notices (the model being prepared)
    as plain lines, whatever the level."""
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    notices = logging.getLogger("newsbot.notice")
    if not notices.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        notices.addHandler(handler)
        notices.setLevel(logging.INFO)
        notices.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Models are never downloaded: the default one ships in a package, others are local folders.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from newsbot.index.layout import BackendError
    from newsbot.index.embedding import EmbeddingError
    from newsbot.answer.engine import QuestionError
    from newsbot.evaluate import EvalDataError
    from newsbot.index.search import QueryError
    from newsbot.index.store import StoreError

    try:
        settings = settings_from(args)
        configure_logging(settings.log_level)
        handler = COMMANDS[(args.command, getattr(args, "index_command", None) or getattr(args, "feeds_command", None))]
        return handler(args, settings)
    except (CliError, SettingsError, StoreError, EmbeddingError, QueryError, QuestionError, EvalDataError,
            BackendError) as exc:
        print(f"newsbot: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("newsbot: interrupted; everything committed before is kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
